import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadRules } from './load.ts';
import { RuleSet } from './rule-set.ts';

const SIGMA = '/work/shared/data/sigma';

describe('sigma corpora', () => {
  test('every rules-all file yields rules or issues', { timeout: 120_000 }, async () => {
    const root = join(SIGMA, 'rules-all');
    const result = await loadRules([root]);
    const yamlFiles = (await readdir(root, { recursive: true })).filter((f) => /\.ya?ml$/.test(f));
    expect(result.filesRead).toBe(yamlFiles.length);

    const covered = new Set([...result.rules, ...result.issues].map((item) => item.file));
    const silent = yamlFiles.filter((file) => !covered.has(file));
    expect(silent).toEqual([]);
    for (const issue of result.issues) expect(issue.code).toMatch(/^[a-z_]+$/);

    // Building a set from the whole corpus must not throw either.
    expect(() => new RuleSet(result.rules)).not.toThrow();
  });

  test('cloudtrail rules load without errors', { timeout: 60_000 }, async () => {
    const result = await loadRules([join(SIGMA, 'rules-cloud')]);
    const cloudtrail = result.rules.filter(
      (rule) => rule.kind === 'detection' && rule.logsource.service === 'cloudtrail',
    );
    expect(cloudtrail.length).toBeGreaterThan(50);

    const errors = result.issues.filter((issue) => issue.severity === 'error');
    // SigmaHQ keeps Sigma 1.x aggregation rules under unsupported/; those are rejected by code.
    const supported = errors.filter((issue) => !issue.file.startsWith('unsupported/'));
    expect(supported).toEqual([]);
    const unsupportedCodes = new Set(errors.map((issue) => issue.code));
    expect([...unsupportedCodes]).toEqual(['obsolete_aggregation']);

    // One rule compares against placeholder lists of countries and address ranges.
    const set = new RuleSet(cloudtrail, {
      placeholders: { Legitimate_Countries: ['DE'], Legitimate_IP_Ranges: ['10.*'] },
    });
    expect(set.issues).toEqual([]);
    expect(set.meta()).toHaveLength(cloudtrail.length);
  });

  test('specification examples load', async () => {
    const result = await loadRules([join(SIGMA, 'specification/tests/schema')]);
    const titles = result.rules.map((rule) => `${rule.kind}:${rule.title}`);
    expect(titles).toContain('detection:A Title');
    expect(titles).toContain('correlation:Recon ordered');
    expect(result.rules.filter((rule) => rule.kind === 'correlation')).toHaveLength(8);

    const errors = result.issues.filter((issue) => issue.severity === 'error');
    expect(errors).toEqual([]);
    expect(result.filters.map((filter) => filter.title.trim())).toEqual([
      'Filter Administrator account',
      'Filter google',
    ]);
  });
});
