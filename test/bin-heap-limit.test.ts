import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, tempDir } from './support/cli.ts';

// Run as a shell runs it, the bin starts Node with the heap limit of its shebang.
it('starts Node with a heap limit', async () => {
  const dir = await tempDir();
  const report = path.join(dir, 'heap-limit.mjs');
  await writeFile(
    report,
    "import v8 from 'node:v8';\n" +
      'const limit = () => v8.getHeapStatistics().heap_size_limit;\n' +
      "process.on('exit', () => process.stderr.write('heap limit ' + limit() + '\\n'));\n",
  );

  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'bin/cloudcase.mjs'), ['--version'], {
      env: { ...process.env, NODE_OPTIONS: `--import=${report}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', () => resolve(text));
  });

  const limit = Number(/heap limit (\d+)/.exec(stderr)?.[1]);
  expect(limit).toBeGreaterThan(1_000_000_000);
  expect(limit).toBeLessThan(1_700_000_000);
});
