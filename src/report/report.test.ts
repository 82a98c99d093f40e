import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sanitizeTerminal } from '../core/escape.ts';
import type { Event } from '../core/event.ts';
import type { RunSummary } from '../pipeline/types.ts';
import { CaseDb } from '../store/case-db.ts';
import { TEST_SHA, testEvent } from '../store/test-events.ts';
import { buildReport } from './build-report.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { renderSummary } from './summary.ts';
import { formatTimeline, type TimelineFormat } from './timeline-format.ts';
import type { ReportData } from './types.ts';
import { writeReports } from './write-reports.ts';

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';
const ANSI = '\u001b[31mred\u001b[0m';
const FORMULA = "=cmd|' /C calc'!A0";

let caseDir: string;

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-report-'));
});

afterEach(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

function hostileEvent(): Event {
  const base = testEvent(1);

  return testEvent(1, {
    actor: { ...base.actor, uid: `${IMG}${ANSI}`, name: ANSI },
    user_agent: SCRIPT,
    api: { ...base.api, operation: `${FORMULA}${ANSI}` },
    message: `${SCRIPT} ${ANSI}\u009b31m`,
    cloud: { ...base.cloud, region: FORMULA },
    raw: { userAgent: SCRIPT, c1: '\u009b2J' },
  });
}

const events = [testEvent(0), hostileEvent(), testEvent(2, { source: 'gcp.audit' })];

// Builds a case with three events, two findings (one with a hostile title) and rejected
// records whose file name, reason and sample are hostile too.
async function buildCase(db: CaseDb, rejectedCount = 3): Promise<void> {
  await db.beginIngest(TEST_SHA, null, `trail${SCRIPT}.json`, 'aws.cloudtrail');
  const writer = await db.eventWriter();
  for (const event of events) writer.append(event);
  await writer.close();
  await db.upsertRules([
    {
      id: 'key-created',
      title: `Access key created ${IMG}`,
      level: 'high',
      description: '',
      tactics: ['persistence'],
      techniques: ['T1098.001'],
      tags: [],
      falsepositives: [],
      file: 'k.yml',
    },
    {
      id: 'recon',
      title: 'Discovery burst',
      level: 'low',
      description: '',
      tactics: ['discovery'],
      techniques: [],
      tags: [],
      falsepositives: [],
      file: 'r.yml',
    },
  ]);
  await db.insertMatches([
    { rule_id: 'recon', event_uid: events[1]?.uid ?? '', time: events[1]?.time ?? '' },
    { rule_id: 'key-created', event_uid: events[1]?.uid ?? '', time: events[1]?.time ?? '' },
    { rule_id: 'key-created', event_uid: events[0]?.uid ?? '', time: events[0]?.time ?? '' },
  ]);
  await db.insertRejected(
    Array.from({ length: rejectedCount }, (_, i) => ({
      path: `trail${SCRIPT}.json`,
      sha256: TEST_SHA,
      member: null,
      index: 10 + i,
      offset: 1000 + i,
      line: 11 + i,
      code: 'invalid_json',
      reason: `bad ${ANSI}`,
      sample: `${FORMULA}${SCRIPT}`,
    })),
  );
  await db.completeIngest(TEST_SHA, null, {
    read: 3 + rejectedCount,
    stored: 3,
    rejected: rejectedCount,
  });
}

async function withCase<T>(work: (db: CaseDb, data: ReportData) => Promise<T>, rejected = 3) {
  const db = await CaseDb.open(caseDir);
  try {
    await buildCase(db, rejected);
    return await work(db, await buildReport(db, null));
  } finally {
    await db.close();
  }
}

async function timelineText(db: CaseDb, format: TimelineFormat): Promise<[string, number]> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const count = await formatTimeline(db.timeline(), format, out);
  out.end();

  return [Buffer.concat(chunks).toString('utf8'), count];
}

// A second run that read one new file of one record, beside a file already in the case.
function secondRun(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    case_dir: caseDir,
    started_at: '2024-05-02T00:00:00.000Z',
    finished_at: '2024-05-02T00:00:01.000Z',
    records: { read: 1, stored: 1, rejected: 0 },
    sources: { 'aws.cloudtrail': { read: 1, stored: 1, rejected: 0 } },
    streams: [],
    evidence: { new: 1, already_present: 1, failed: [] },
    rejected: [],
    duplicates: 0,
    detections: { events_matched: 0, correlation_hits: 0 },
    rules: { loaded: 2, problems: [] },
    max_rss_bytes: 0,
    ...overrides,
  };
}

function expectNoRawControls(text: string): void {
  expect(text).not.toContain('\u001b');
  expect(text).not.toContain('\u009b');
}

describe('buildReport', () => {
  it('names the units of the severity table', async () => {
    const data = await withCase(async (_db, report) => report);
    const markdown = renderMarkdown(data);
    const html = renderHtml(data);

    expect(markdown).toContain('| severity | rules matched | events detected |');
    expect(markdown).toContain('| high | 1 | 2 |');
    expect(markdown).toContain('Findings (rules matched): 2.');
    expect(html).toContain('<th>rules matched</th><th>events detected</th>');
    expect(html).toMatch(/<td>high<\/td><td>1<\/td><td>2<\/td>/);
  });

  it('orders findings and the attack timeline', async () => {
    const data = await withCase(async (_db, report) => report);

    expect(data.totals).toEqual({ read: 6, stored: 3, rejected: 3 });
    expect(data.findings.map((f) => [f.rule_id, f.severity, f.event_count])).toEqual([
      ['key-created', 'high', 2],
      ['recon', 'low', 1],
    ]);
    expect(data.severity_counts).toMatchObject({ high: 1, low: 1, critical: 0 });
    expect(data.severity_events).toMatchObject({ high: 2, low: 1, critical: 0 });
    expect(data.attack_timeline.map((h) => [h.event_uid, h.rule_id, h.tactic])).toEqual([
      [events[0]?.uid, 'key-created', 'persistence'],
      [events[1]?.uid, 'key-created', 'persistence'],
      [events[1]?.uid, 'recon', 'discovery'],
    ]);
    expect(data.sources.map((s) => [s.source, s.events])).toEqual([
      ['aws.cloudtrail', 2],
      ['gcp.audit', 1],
    ]);
    expect(data.rejected_total).toBe(3);
    expect(data.evidence.map((e) => e.sha256)).toEqual([TEST_SHA]);
  });
});

describe('report sources', () => {
  const SECOND_SHA = 'b'.repeat(64);
  const THIRD_SHA = 'c'.repeat(64);

  async function sourcesOf(
    streams: { sha256: string; format: string | null; rejected: number }[],
  ): Promise<[string, number, number][]> {
    const db = await CaseDb.open(caseDir);
    try {
      const writer = await db.eventWriter();
      writer.append(testEvent(0));
      await writer.close();
      await db.completeIngests(
        streams.map(({ sha256, format, rejected }) => ({
          sha256,
          member: null,
          path: `${sha256.slice(0, 4)}.json`,
          format,
          counts: { read: 1 + rejected, stored: 1, rejected },
        })),
      );
      const data = await buildReport(db, null);

      return data.sources.map((s) => [s.source, s.records.read, s.events]);
    } finally {
      await db.close();
    }
  }

  it('shows one row per recorded format', async () => {
    const rows = await sourcesOf([{ sha256: TEST_SHA, format: 'aws.cloudtrail', rejected: 0 }]);

    expect(rows).toEqual([['aws.cloudtrail', 1, 1]]);
  });

  it('skips formatless ingests without rejects', async () => {
    const rows = await sourcesOf([
      { sha256: TEST_SHA, format: 'aws.cloudtrail', rejected: 0 },
      { sha256: SECOND_SHA, format: null, rejected: 0 },
    ]);

    expect(rows).toEqual([['aws.cloudtrail', 1, 1]]);
  });

  it('keeps unrecognised streams with rejects', async () => {
    const rows = await sourcesOf([
      { sha256: TEST_SHA, format: 'aws.cloudtrail', rejected: 0 },
      { sha256: SECOND_SHA, format: null, rejected: 0 },
      { sha256: THIRD_SHA, format: null, rejected: 4 },
    ]);

    expect(rows).toEqual([
      ['aws.cloudtrail', 1, 1],
      ['unrecognised', 5, 0],
    ]);
  });
});

describe('report figures', () => {
  const RUN_LINE = 'This run: read 1, stored 1, rejected 0; evidence 1 new, 1 already present';

  it('shows case totals beside the run', async () => {
    const data = await withCase(async (db) => buildReport(db, secondRun()));
    const markdown = renderMarkdown(data);
    const html = renderHtml(data);
    const summary = renderSummary(data, { color: false });

    expect(data.totals).toEqual({ read: 6, stored: 3, rejected: 3 });
    expect(data.sources[0]?.records).toEqual({ read: 6, stored: 3, rejected: 3 });
    expect(markdown).toContain('Case totals: records read 6, stored 3, rejected 3.');
    expect(markdown).toContain(`${RUN_LINE}.`);
    expect(markdown).toContain('Total: 3.');
    expect(html).toContain('Case totals: records read 6, stored 3, rejected 3.');
    expect(html).toContain(`<p>${RUN_LINE}.</p>`);
    expect(summary).toMatch(/case total +6 +3 +3/);
    expect(summary).toContain(RUN_LINE);
  });

  it('keeps case totals on a no-op run', async () => {
    const noOp = secondRun({
      records: { read: 0, stored: 0, rejected: 0 },
      sources: {},
      evidence: { new: 0, already_present: 1, failed: [] },
    });
    const data = await withCase(async (db) => buildReport(db, noOp));

    expect(data.totals).toEqual({ read: 6, stored: 3, rejected: 3 });
    expect(data.sources.map((s) => [s.source, s.records.read])).toEqual([
      ['aws.cloudtrail', 6],
      ['gcp.audit', 0],
    ]);
    expect(renderMarkdown(data)).toContain('This run: read 0, stored 0, rejected 0;');
  });

  it('omits the run line without a run', async () => {
    const data = await withCase(async (_db, report) => report);

    expect(renderMarkdown(data)).not.toContain('This run');
    expect(renderHtml(data)).not.toContain('This run');
    expect(renderSummary(data, { color: false })).not.toContain('This run');
  });
});

describe('run problems in reports', () => {
  const run = secondRun({
    evidence: {
      new: 0,
      already_present: 0,
      failed: [{ path: `in${SCRIPT}.json`, code: 'unreadable', reason: `denied ${ANSI}` }],
    },
    rules: {
      loaded: 1,
      problems: [
        {
          file: `r${IMG}.yml`,
          line: 3,
          code: 'invalid_yaml',
          severity: 'error',
          message: `bad ${SCRIPT}`,
        },
        { file: 'empty.yml', line: null, code: 'no_rules', severity: 'error', message: 'empty' },
      ],
    },
  });

  it('lists failed inputs and rules', async () => {
    const data = await withCase(async (db) => buildReport(db, run));
    const markdown = renderMarkdown(data);
    const html = renderHtml(data);
    const summary = renderSummary(data, { color: false });

    expect(markdown).toContain('## Inputs that could not be acquired');
    expect(markdown).toContain('| in&lt;script&gt;alert(1)&lt;/script&gt;.json | unreadable |');
    expect(markdown).toContain('## Rules that failed to load');
    expect(markdown).toContain('| 3 | invalid_yaml | bad &lt;script&gt;');
    expect(markdown).toContain('| empty.yml | - | no_rules | empty |');
    expect(markdown).not.toMatch(/<script|<img/i);
    expectNoRawControls(markdown);

    expect(html).toContain('<h2>Inputs that could not be acquired</h2>');
    expect(html).toContain('<td>in&lt;script&gt;alert(1)&lt;/script&gt;.json</td>');
    expect(html).toContain('<h2>Rules that failed to load</h2>');
    expect(html).toContain('<td>invalid_yaml</td>');
    expect(html).not.toMatch(/<script|<img/i);
    expectNoRawControls(html);

    expect(summary).toContain('Inputs that could not be acquired (1)');
    expect(summary).toContain(`in${SCRIPT}.json  unreadable  denied \\x1b[31mred`);
    expect(summary).toContain('Rules that failed to load (2)');
    expect(summary).toContain(`r${IMG}.yml:3  invalid_yaml  bad ${SCRIPT}`);
    expect(summary).toContain('  empty.yml  no_rules  empty');
    expectNoRawControls(summary);
  });

  it('omits the sections when nothing failed', async () => {
    const data = await withCase(async (db) => buildReport(db, secondRun()));

    expect(renderMarkdown(data)).not.toContain('could not be acquired');
    expect(renderHtml(data)).not.toContain('failed to load');
    expect(renderSummary(data, { color: false })).not.toContain('failed to load');
  });
});

describe('renderSummary', () => {
  it('shows counts, findings, timeline and rejects', async () => {
    const text = await withCase(async (_db, data) => renderSummary(data, { color: false }));

    expect(text).toMatch(/aws\.cloudtrail +6 +3 +3/);
    expect(text).toMatch(/HIGH +Access key created/);
    expect(text).toContain('[persistence]');
    expect(text).toContain(`:11 (offset 1000)  invalid_json`);
    expect(text).not.toContain('and ');
    expectNoRawControls(text);
    expect(text).toContain('\\x1b[31m');
  });

  it('lists 20 rejects then points to the report', async () => {
    const text = await withCase(async (_db, data) => renderSummary(data, { color: false }), 25);

    expect(text.match(/invalid_json/g)).toHaveLength(20);
    expect(text).toContain('and 5 more, see reports/report.md');
  });

  it('adds color only when asked', async () => {
    const [plain, colored] = await withCase(async (_db, data) => [
      renderSummary(data, { color: false }),
      renderSummary(data, { color: true, width: 60 }),
    ]);

    expect(plain).not.toContain('\u001b');
    expect(colored).toContain('\u001b[31mHIGH');
    const colorCodes = new RegExp(`${'\u001b'}\\[[0-9;]*m`, 'g');
    expect(colored.replace(colorCodes, '')).not.toContain('\u001b');
  });
});

describe('renderSummary fitting', () => {
  const LONG_ACTOR = `arn:aws:iam::111122223333:assumed-role/${'Admin'.repeat(12)}/session`;
  const LONG_CODE = 'unknown_format_with_a_long_code';
  const LONG_RULE = 'aws-iam-access-key-created-for-another-user';

  // One finding, one timeline entry and one rejected zip member, all with long values.
  async function longData(): Promise<ReportData> {
    const data = await withCase(async (_db, report) => report, 1);
    const finding = data.findings[0];
    const entry = data.attack_timeline[0];
    const rejected = data.rejected[0];
    if (finding === undefined || entry === undefined || rejected === undefined) {
      throw new Error('the test case has no finding, timeline entry or rejected record');
    }

    return {
      ...data,
      findings: [
        {
          ...finding,
          rule_id: LONG_RULE,
          title: `Access key created ${'for another user '.repeat(5)}`,
          event_count: 1,
          actors: [LONG_ACTOR],
        },
      ],
      attack_timeline: [{ ...entry, actor: LONG_ACTOR, title: 'Key created '.repeat(8) }],
      rejected: [
        {
          ...rejected,
          path: `logs/${'nested/'.repeat(10)}x.zip!m.json`,
          member: 'm.json',
          line: 1,
          code: LONG_CODE,
          reason: 'the format of this member is not one cloudcase reads '.repeat(2),
        },
      ],
      rejected_total: 1,
    };
  }

  it('never shortens without a width', async () => {
    const text = renderSummary(await longData(), { color: false });

    expect(text).not.toContain('…');
    expect(text).toContain(LONG_ACTOR);
    expect(text).toContain(LONG_CODE);
  });

  it('shortens text but never codes', async () => {
    const text = renderSummary(await longData(), { color: false, width: 80 });

    expect(text).toContain('…');
    expect(text).toContain(`  ${LONG_CODE}  `);
    expect(text).toContain(`[${LONG_RULE}]`);
    expect(text).toContain('ip=203.0.113.7 op=CreateAccessKey');
    expect(text).not.toContain(LONG_ACTOR);
  });

  it('fits colored lines without cutting escapes', async () => {
    const text = renderSummary(await longData(), { color: true, width: 80 });
    const colorCodes = new RegExp(`${'\u001b'}\\[[0-9;]*m`, 'g');

    expect(text).toContain('\u001b[31mHIGH');
    expect(text).toContain('…');
    expect(text.replace(colorCodes, '')).not.toContain('\u001b');
  });

  it('names a zip member once', async () => {
    const text = renderSummary(await longData(), { color: false });

    expect(text).toContain('x.zip!m.json:1 (offset');
    expect(text).not.toContain('m.json!m.json');
  });

  it('uses singular forms for one', async () => {
    const text = renderSummary(await longData(), { color: false });

    expect(text).toContain('Detections (1 rule)');
    expect(text).toMatch(/^ {6}1 event, /m);
  });

  it('shows the source IP in the timeline', async () => {
    const text = renderSummary(await longData(), { color: false, width: 60 });
    const line = text.split('\n').find((l) => l.includes('[persistence]'));

    expect(line).toContain('ip=203.0.113.7');
  });
});

describe('report stream labels', () => {
  it('names a zip member once', async () => {
    const data = await withCase(async (_db, report) => report, 1);
    const rejected = data.rejected.map((r) => ({ ...r, path: 'x.zip!m.json', member: 'm.json' }));
    const withMember = { ...data, rejected };

    expect(renderMarkdown(withMember)).toContain('| x.zip!m.json | 10 |');
    expect(renderHtml(withMember)).toContain('<td>x.zip!m.json</td>');
    expect(renderMarkdown(withMember)).not.toContain('m.json!m.json');
    expect(renderHtml(withMember)).not.toContain('m.json!m.json');
  });
});

describe('formatTimeline', () => {
  it('writes a sanitized aligned table', async () => {
    const [text, count] = await withCase(async (db) => timelineText(db, 'table'));
    const lines = text.trimEnd().split('\n');

    expect(count).toBe(3);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^TIME +SOURCE +ACTOR/);
    expect(lines[1]?.indexOf('aws.cloudtrail')).toBe(lines[0]?.indexOf('SOURCE'));
    expectNoRawControls(text);
  });

  it('writes CSV with formulas neutralized', async () => {
    const [text] = await withCase(async (db) => timelineText(db, 'csv'));
    const lines = text.split('\r\n');

    expect(lines[0]).toMatch(/^time,source,category,actor_uid/);
    expect(text).toContain(`,'${FORMULA},`);
    expect(text).not.toMatch(/(^|,)=cmd/m);
    expect(text).toContain(`'=cmd|`);
    expect(lines).toHaveLength(5);
  });

  it('writes JSON lines with nested names and raw', async () => {
    const [text] = await withCase(async (db) => timelineText(db, 'jsonl'));
    const parsed = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);

    expect(parsed).toEqual(events);
    expect(parsed[1]?.actor.uid).toBe(`${IMG}${ANSI}`);
    expect(parsed[1]?.raw).toEqual({ userAgent: SCRIPT, c1: '\u009b2J' });
    expectNoRawControls(text);
  });
});

describe('writeReports', () => {
  it('writes four files with hostile text inert', async () => {
    const files = await withCase(async (db, data) => (await writeReports(caseDir, data, db)).files);
    const read = (name: string) => readFile(join(caseDir, 'reports', name), 'utf8');

    expect(files.map((file) => file.slice(caseDir.length))).toEqual([
      '/reports/report.md',
      '/reports/report.html',
      '/reports/findings.json',
      '/reports/timeline.csv',
    ]);

    const html = await read('report.html');
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    );
    expect(html).not.toMatch(/<script|<img|onerror=alert\(1\)>/i);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/\b(src|href)=["']?https?:/i);
    expectNoRawControls(html);

    const markdown = await read('report.md');
    expect(markdown).not.toMatch(/<script|<img/i);
    expect(markdown).not.toContain('&quot;');
    expect(markdown).toContain('Access key created "&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(markdown).toContain('## Attack timeline');
    expect(markdown).toContain(TEST_SHA);
    expectNoRawControls(markdown);

    const findings = JSON.parse(await read('findings.json')) as Record<string, unknown>[];
    expect(Object.keys(findings[0] ?? {})).toEqual(
      expect.arrayContaining([
        'rule_id',
        'title',
        'severity',
        'tactics',
        'techniques',
        'event_uids',
        'first_seen',
        'last_seen',
        'actors',
      ]),
    );

    const csv = await read('timeline.csv');
    expect(csv.split('\r\n')).toHaveLength(5);
    expect(csv).not.toMatch(/(^|,)"?=cmd/m);
  });
});

describe('timeline CSV writers', () => {
  // Every kind of hostile cell content: terminal controls (ESC, BEL, C1 CSI, DEL, NUL, CR, tab),
  // formula starts, quotes, delimiters, line breaks and empty text.
  function controlEvents(): Event[] {
    const base = testEvent(0);

    return [
      testEvent(0, {
        actor: { ...base.actor, uid: '\u001b]0;owned\u0007', name: 'alice\u001b[2J' },
        user_agent: `\u009b31m agent, "quoted"\nsecond line\u007f`,
        message: `${FORMULA} \u0000 nul`,
        status_detail: '',
      }),
      testEvent(1, {
        api: { ...base.api, operation: '+SUM(A1)', service: '@svc\r\nnext' },
        cloud: { ...base.cloud, region: '-1', account: '\ttabbed' },
        message: '\rcarriage',
        user_agent: 'plain\ttab',
        status_detail: '\t=1+1',
      }),
      testEvent(2, {
        user_agent: 'caf\u00e9\u0085\u{1f600}\u0001',
        message: 'admin\u202etxt.exe \u2066x\u2069 \u200fy \u2028z',
      }),
    ];
  }

  it('JS and DuckDB COPY output match', async () => {
    const db = await CaseDb.open(caseDir);
    try {
      await db.beginIngest(TEST_SHA, null, 'trail.json', 'aws.cloudtrail');
      const writer = await db.eventWriter();
      for (const event of controlEvents()) writer.append(event);
      await writer.close();
      await db.completeIngest(TEST_SHA, null, { read: 3, stored: 3, rejected: 0 });

      const [fromJs] = await timelineText(db, 'csv');
      const file = join(caseDir, 'timeline.csv');
      await db.exportTimelineCsv(file);
      const fromCopy = await readFile(file, 'utf8');

      expect(fromCopy).toBe(fromJs);
      for (const text of [fromJs, fromCopy]) {
        const lines = text.replaceAll('\r\n', '\n');
        expect(sanitizeTerminal(lines)).toBe(lines);
        expect(text).toContain('\\x1b]0;owned\\x07');
        expect(text).toContain('"\\x9b31m agent, ""quoted""\nsecond line\\x7f"');
        expect(text).toContain(`'${FORMULA} \\x00 nul`);
        expect(text).toContain(",'+SUM(A1),");
        expect(text).toContain(",'-1,");
        expect(text).toContain(",'\\x0dcarriage,");
        expect(text).toContain(",'\\x09tabbed,");
        expect(text).toContain(",'\\x09=1+1,");
        expect(text).toContain(',plain\\x09tab,');
        expect(text).toContain(',caf\u00e9\\x85\u{1f600}\\x01,');
        expect(text).toContain(',admin\\u{202e}txt.exe \\u{2066}x\\u{2069} \\u{200f}y \\u{2028}z,');
        expect(text).not.toMatch(/[\u200e\u200f\u2028-\u202e\u2066-\u2069]/);
        expect(text).not.toContain('\t');
      }
    } finally {
      await db.close();
    }
  });
});

describe('finding actors', () => {
  // A password spray gives a failed sign-in rule one actor per name the attacker tried.
  const ACTORS = Array.from({ length: 25 }, (_, i) => `sprayed-user-${String(i).padStart(2, '0')}`);

  async function sprayData(): Promise<ReportData> {
    const data = await withCase(async (_db, report) => report, 1);
    const finding = data.findings[0];
    if (finding === undefined) throw new Error('the test case has no finding');

    return { ...data, findings: [{ ...finding, actors: ACTORS }] };
  }

  it('name the first ten and count the rest', async () => {
    const data = await sprayData();
    const outputs = {
      markdown: renderMarkdown(data),
      html: renderHtml(data),
      summary: renderSummary(data, { color: false }),
    };

    for (const [name, text] of Object.entries(outputs)) {
      expect(text, name).toContain('sprayed-user-09 and 15 more (see findings.json)');
      expect(text, name).not.toContain('sprayed-user-10');
    }
  });
});

describe('long log values', () => {
  // The case stores a value up to 16 KiB; a table of the reports shows its start.
  const LONG = `arn:aws:iam::111122223333:user/${'B'.repeat(16_000)}`;

  async function longValueData(): Promise<ReportData> {
    const data = await withCase(async (_db, report) => report, 1);
    const finding = data.findings[0];
    const entry = data.attack_timeline[0];
    if (finding === undefined || entry === undefined) {
      throw new Error('the test case has no finding or timeline entry');
    }

    return {
      ...data,
      findings: [{ ...finding, actors: [LONG] }],
      attack_timeline: [{ ...entry, actor: LONG, operation: LONG }],
    };
  }

  it('show their start, length and digest', async () => {
    const data = await longValueData();
    const outputs = {
      markdown: renderMarkdown(data),
      html: renderHtml(data),
      summary: renderSummary(data, { color: false }),
    };

    for (const [name, text] of Object.entries(outputs)) {
      expect(text, name).toContain(`${'B'.repeat(100)}…(${LONG.length} characters, SHA-256 `);
      expect(text, name).not.toContain('B'.repeat(1000));
    }
  });
});
