import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnomalyBrief } from '../src/baseline/index.ts';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';

const ROOT = 'arn:aws:iam::493859302102:root';

describe('baselines on compromised root credentials', () => {
  const folder = path.join(
    SHARED_DATA,
    'logs/panther-test-scenarios/compromised-root-creds/native',
  );
  let top: AnomalyBrief[];
  let byKind: Record<string, number>;
  let reportMd: string;

  beforeAll(async () => {
    const caseDir = path.join(await tempDir(), 'case');
    const run = await runCli(['investigate', folder, '--case', caseDir, '--json']);
    const summary = JSON.parse(run.stdout) as {
      baselines: { top: AnomalyBrief[]; by_kind: Record<string, number> };
    };
    top = summary.baselines.top;
    byKind = summary.baselines.by_kind;
    reportMd = await readFile(path.join(caseDir, 'reports/report.md'), 'utf8');
  });

  it('flags the attacker country for root', () => {
    const country = top.find((a) => a.kind === 'new_country');

    expect(country?.identity).toBe(ROOT);
    expect(country?.value).toBe('RO');
    expect(country?.explanation).toContain('it used: US (1)');
  });

  it('flags the attacker network for root', () => {
    const network = top.find((a) => a.kind === 'new_network');

    expect(network?.identity).toBe(ROOT);
    expect(network?.value).toBe('AS39737 Prime Telecom srl');
  });

  it('reports one new country', () => {
    expect(byKind.new_country).toBe(1);
  });

  it('lists the anomalies in the report', () => {
    expect(reportMd).toContain('## Behaviour baselines');
    expect(reportMd).toMatch(/\| medium \| new_country \| arn:aws:iam::493859302102:root \|/);
  });
});
