import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.ts';

// The files whose codes `verify` reports: its checks, and the case key it reads first, whose
// errors it lists as problems.
async function verifySources(): Promise<string[]> {
  const folder = path.join(ROOT, 'src/evidence');
  const names = (await readdir(folder)).filter(
    (name) => name.startsWith('verify') && name.endsWith('.ts') && !name.endsWith('.test.ts'),
  );
  return [...names, 'case-cipher.ts'].map((name) => path.join(folder, name));
}

// Ledger action names appear in the same files as string literals, but are no problem codes.
const NOT_CODES = new Set(['case_init', 'case_update', 'legal_hold', 'legal_hold_released']);

describe('README verify section', () => {
  it('documents every code verify reports', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('### `cloudcase verify');
    const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
    const codes = new Set<string>();
    for (const file of await verifySources()) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(
        /'((?:case|custody|manifest|evidence|database|encryption|working)_[a-z_]+)'/g,
      )) {
        if (!NOT_CODES.has(match[1] as string)) codes.add(match[1] as string);
      }
    }

    expect(codes.size).toBeGreaterThan(30);
    expect([...codes].filter((code) => !section.includes(`\`${code}\``)).sort()).toEqual([]);
  });
});
