import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseFieldsOf } from '../case-fields.ts';
import { reportingDeadlines } from '../deadlines.ts';
import { buildCisaReport } from './fields.ts';
import { renderCisaHtml, renderCisaMarkdown } from './render.ts';
import type { CisaInputs } from './types.ts';
import { nextCisaVersion, writeCisaVersion } from './versions.ts';

const SCRIPT = '<script>alert(1)</script>';
const ANSI = '\u001b[31mred';

function inputs(overrides: Partial<CisaInputs> = {}): CisaInputs {
  return {
    findings: 2,
    severity: { high: 1, low: 1 },
    first_detected_event: '2024-05-16T01:47:00.000Z',
    last_detected_event: '2024-05-16T02:35:50.000Z',
    events_total: 900,
    accounts: [{ value: '111122223333', events: 5 }],
    regions: [{ value: 'us-east-1', events: 5 }],
    services: [{ value: 's3.amazonaws.com', events: 4 }],
    source_ips: [{ value: '203.0.113.77', events: 5 }],
    user_agents: [{ value: SCRIPT, events: 5 }],
    actors: [{ value: 'arn:aws:iam::111122223333:user/dana', events: 5 }],
    access_keys: [{ value: 'AKIAIOSFODNN7EXAMPLE', events: 5 }],
    affected: [
      { uid: 'customer-exports', type: 'AWS::S3::Bucket', operations: ['GetObject'], events: 4 },
    ],
    tactics: [
      {
        tactic: 'collection',
        techniques: ['T1530'],
        titles: ['Many objects read'],
        first_seen: '',
      },
    ],
    audit: [
      { time: '2024-05-16T07:00:00.000Z', actor: 'ana', command: 'investigate', details: '{}' },
    ],
    audit_total: 1,
    evidence_items: 3,
    custody_entries: 3,
    missing_categories: ['network'],
    rejected_total: 0,
    ...overrides,
  };
}

const ORGANISATION_FIELDS = [
  'organisation.name',
  'contact.name',
  'contact.email',
  'contact.phone',
  'contracts',
  'access_level',
];

const FIRST = { version: 1, supersedes: null };

function fieldValue(report: ReturnType<typeof buildCisaReport>, id: string) {
  return report.sections.flatMap((s) => s.fields).find((f) => f.id === id);
}

describe('buildCisaReport', () => {
  it('lists the organisation fields missing from a bare case', () => {
    const fields = caseFieldsOf({ discovered_at: '2024-05-16T06:00:00Z', phase: 'containment' });
    const report = buildCisaReport(inputs(), fields, [], FIRST);

    expect(report.missing.map((m) => m.id)).toEqual(ORGANISATION_FIELDS);
    expect(report.status).toBe('incomplete');
    expect(fieldValue(report, 'dates.onset')?.value).toContain('2024-05-16T01:47:00.000Z');
    expect(fieldValue(report, 'dates.detection')?.value).toContain('2024-05-16T07:00:00.000Z');
    expect(fieldValue(report, 'response.actions')?.value).toContain('containment');
  });

  it('is complete once case.json fills every field', () => {
    const fields = caseFieldsOf({
      discovered_at: '2024-05-16T06:00:00Z',
      organisation: { name: 'Acme', contact: { name: 'Ana', email: 'a@acme.test', phone: '1' } },
      contracts: ['W911-1'],
      access_level: 'Secret',
      cdi_impact: 'No CDI in the buckets read',
    });
    const report = buildCisaReport(inputs(), fields, [], FIRST);

    expect(report.missing).toEqual([]);
    expect(report.status).toBe('complete');
    expect(fieldValue(report, 'cdi_impact')?.source).toBe('case.json');
  });

  it('never marks a report complete without case data', () => {
    const fields = caseFieldsOf({
      discovered_at: '2024-05-16T06:00:00Z',
      organisation: 'Acme',
      contact: { name: 'Ana', email: 'a@acme.test', phone: '1' },
      defence_contractor: false,
    });
    const empty = inputs({
      findings: 0,
      first_detected_event: null,
      last_detected_event: null,
      accounts: [],
      regions: [],
      services: [],
      source_ips: [],
      user_agents: [],
      actors: [],
      access_keys: [],
      affected: [],
      tactics: [],
      audit: [],
      audit_total: 0,
      evidence_items: 0,
    });
    const report = buildCisaReport(empty, fields, [], FIRST);

    expect(report.status).toBe('incomplete');
    expect(report.missing.map((m) => m.id)).toEqual([
      'description',
      'data_affected',
      'dates.onset',
      'dates.detection',
      'locations.accounts',
      'locations.regions',
      'locations.systems',
      'method.attack',
      'method.actor',
      'response.actions',
    ]);
    expect(fieldValue(report, 'contracts')?.source).toBe('not applicable');
    expect(fieldValue(report, 'cdi_impact')?.source).toBe('not applicable');
  });

  it('appends the audit trail and says when it was cut', () => {
    const fields = caseFieldsOf({ discovered_at: '2024-05-16T06:00:00Z' });
    const report = buildCisaReport(inputs({ audit_total: 7 }), fields, [], FIRST);
    const markdown = renderCisaMarkdown(report);

    expect(report.audit_trail.map((e) => e.command)).toEqual(['investigate']);
    expect(markdown).toContain('## Appendix: audit trail');
    expect(markdown).toContain('The first 1 of 7 entries are listed.');
    expect(markdown).toContain('| 2024-05-16T07:00:00.000Z | ana | investigate |');
  });

  it('lists only completed analysis runs as actions', () => {
    const run = (time: string, command: string, details: Record<string, unknown>) => ({
      time,
      actor: 'ana',
      command,
      details: JSON.stringify(details),
    });
    const audit = [
      run('2024-05-16T07:00:00.000Z', 'investigate', { exit_code: 3, results: 900 }),
      // The database's own entry of the same investigate run.
      run('2024-05-16T07:00:02.000Z', 'investigate', { paths: ['logs'] }),
      run('2024-05-16T07:10:00.000Z', 'case show', { exit_code: 0 }),
      run('2024-05-16T07:20:00.000Z', 'hunt', { exit_code: 2, error: 'missing_rules' }),
      run('2024-05-16T07:30:00.000Z', 'scope', { exit_code: 0, results: 4 }),
      run('2024-05-16T07:40:00.000Z', 'report', { exit_code: 3 }),
      run('2024-05-16T07:50:00.000Z', 'verify', { exit_code: 0, results: 0 }),
    ];
    const fields = caseFieldsOf({ discovered_at: '2024-05-16T08:00:00Z' });
    const report = buildCisaReport(inputs({ audit }), fields, [], FIRST);
    const actions = fieldValue(report, 'response.actions')?.value ?? '';

    expect(actions.match(/Analysis: /g)).toHaveLength(3);
    expect(actions).toContain('Analysis: 2024-05-16T07:00:00.000Z investigate by ana');
    expect(actions).toContain('Analysis: 2024-05-16T07:30:00.000Z scope by ana');
    expect(actions).toContain('Analysis: 2024-05-16T07:50:00.000Z verify by ana');
    expect(actions).not.toContain('case show');
    expect(actions).not.toContain('hunt');
    expect(actions).not.toContain('report');
  });

  it('takes detection from the first completed run', () => {
    const audit = [
      {
        time: '2024-05-16T05:00:00.000Z',
        actor: 'ana',
        command: 'investigate',
        details: '{"exit_code":2}',
      },
      {
        time: '2024-05-16T05:30:00.000Z',
        actor: 'ana',
        command: 'investigate',
        details: '{"exit_code":0}',
      },
    ];
    const fields = caseFieldsOf({ discovered_at: '2024-05-16T06:00:00Z' });
    const report = buildCisaReport(inputs({ audit }), fields, [], FIRST);

    expect(fieldValue(report, 'dates.detection')?.value).toBe(
      '2024-05-16T05:30:00.000Z (first investigate run of the case)',
    );
    expect(report.warnings).toEqual([]);
  });

  it('flags a detection after the discovery', () => {
    const fields = caseFieldsOf({ discovered_at: '2024-05-16T06:00:00Z' });
    const report = buildCisaReport(inputs(), fields, [], FIRST);
    const markdown = renderCisaMarkdown(report);
    const html = renderCisaHtml(report);

    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain(
      'The detection date 2024-05-16T07:00:00.000Z (the first investigate run of the case) ' +
        'is later than the discovery date 2024-05-16T06:00:00.000Z',
    );
    expect(markdown).toContain('## Check before filing');
    expect(html).toContain('<h2>Check before filing</h2>');

    const corrected = caseFieldsOf({
      discovered_at: '2024-05-16T06:00:00Z',
      detected_at: '2024-05-16T05:00:00Z',
    });
    expect(buildCisaReport(inputs(), corrected, [], FIRST).warnings).toEqual([]);
  });

  it('flags an onset after the detection', () => {
    const fields = caseFieldsOf({
      discovered_at: '2024-05-16T06:00:00Z',
      detected_at: '2024-05-16T01:00:00Z',
    });
    const report = buildCisaReport(inputs(), fields, [], FIRST);

    expect(report.warnings).toEqual([
      'The onset date 2024-05-16T01:47:00.000Z (the first detected event) is later than the ' +
        'detection date 2024-05-16T01:00:00.000Z (detected_at in case.json). Correct onset_at ' +
        'or detected_at in case.json.',
    ]);
  });

  it('escapes log content in Markdown and HTML', () => {
    const fields = caseFieldsOf({ discovered_at: '2024-05-16T06:00:00Z', organisation: ANSI });
    const deadlines = reportingDeadlines(fields, new Date('2024-05-16T07:00:00Z'));
    const report = buildCisaReport(inputs(), fields, deadlines, FIRST);
    const html = renderCisaHtml(report);
    const markdown = renderCisaMarkdown(report);

    expect(html).not.toContain(SCRIPT);
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('\u001b');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<(img|script|link|iframe)\b/i);
    expect(markdown).not.toContain(SCRIPT);
    expect(markdown).not.toContain('\u001b');
    expect(markdown).toContain('due 2024-05-19T06:00:00.000Z');
  });
});

describe('CISA report versions', () => {
  it('numbers versions and never overwrites one', async () => {
    const caseDir = await mkdtemp(path.join(tmpdir(), 'cloudcase-cisa-'));
    try {
      expect(await nextCisaVersion(caseDir)).toEqual({ version: 1, supersedes: null });
      const first = await writeCisaVersion(caseDir, 1, 'md', 'first');

      const next = await nextCisaVersion(caseDir);
      expect(next.version).toBe(2);
      expect(next.supersedes).toEqual({
        version: 1,
        file: 'cisa-v0001.md',
        // SHA-256 of "first".
        sha256: 'a7937b64b8caa58f03721bb6bacf5c78cb235febe0e70b1b84cd99541461a08e',
      });
      await expect(writeCisaVersion(caseDir, 1, 'md', 'again')).rejects.toMatchObject({
        code: 'EEXIST',
      });
      expect(await readFile(first, 'utf8')).toBe('first');
    } finally {
      await rm(caseDir, { recursive: true, force: true });
    }
  });
});
