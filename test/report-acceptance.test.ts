import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../src/case/audit-trail.ts';
import { main } from '../src/cli/main.ts';
import { launchChromium } from '../src/core/chromium.ts';
import { runCli, tempDir } from './support/cli.ts';

const run = promisify(execFile);

interface CisaJson {
  version: number;
  status: string;
  supersedes: { version: number; file: string; sha256: string } | null;
  missing: { id: string }[];
  sections: { id: string; fields: { id: string; value: string | null }[] }[];
  deadlines: { id: string; due_at: string }[];
  audit_trail: { command: string }[];
}

const ORGANISATION_FIELDS = [
  'organisation.name',
  'contact.name',
  'contact.email',
  'contact.phone',
  'contracts',
  'access_level',
];

let work: string;
let caseDir: string;
let demoSummary: { deadlines?: { id: string }[] };

// Runs the CLI in this process, which spares the start-up of a child process per command.
async function cli(args: string[]) {
  const chunks = { stdout: '', stderr: '' };
  const sink = (name: keyof typeof chunks) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks[name] += chunk.toString('utf8');
        done();
      },
    });
  const io = { stdout: sink('stdout'), stderr: sink('stderr'), env: { ...process.env }, cwd: work };
  const code = await main(args, io);

  return { code, ...chunks };
}

async function report(template: string, format: string) {
  const args = ['report', '--case', caseDir, '--template', template, '--format', format, '--json'];
  const result = await cli(args);
  return { ...result, written: JSON.parse(result.stdout || '{}') as { file: string } };
}

beforeAll(async () => {
  work = await tempDir('cloudcase-report-e2e-');
  caseDir = path.join(work, 'case');
  const demo = await cli(['demo', '--case', caseDir, '--logs', path.join(work, 'logs'), '--json']);
  expect(demo.code).toBe(0);
  demoSummary = JSON.parse(demo.stdout);
}, 180_000);

describe('cisa report on the demo case', () => {
  it('fills every section but the organisation fields', async () => {
    // The real executable, once, as a responder runs it.
    const args = ['report', '--case', caseDir, '--template', 'cisa', '--format', 'json', '--json'];
    const result = await runCli(args);
    const written = JSON.parse(result.stdout) as { file: string };
    const cisa = JSON.parse(await readFile(written.file, 'utf8')) as CisaJson;
    const organisation = new Set(ORGANISATION_FIELDS);
    const filled = cisa.sections.flatMap((s) => s.fields).filter((f) => !organisation.has(f.id));

    expect(result.code).toBe(3);
    expect(cisa.status).toBe('incomplete');
    expect(cisa.missing.map((m) => m.id)).toEqual(ORGANISATION_FIELDS);
    expect(filled.length).toBeGreaterThan(10);
    for (const field of filled) expect(field.value, field.id).not.toBeNull();
    expect(cisa.deadlines.map((d) => d.id)).toEqual(['incident_report']);
    expect(result.stdout).toContain('"missing"');
  });

  it('renders the PDF and keeps the earlier version', async () => {
    const first = await report('cisa', 'md');
    const before = await readFile(first.written.file);
    const pdf = await report('cisa', 'pdf');
    const info = await run('pdfinfo', [pdf.written.file]);
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info.stdout)?.[1]);
    const png = path.join(work, 'page');
    await run('pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '1', pdf.written.file, png]);
    const rendered = (await readdir(work)).filter((name) => name.startsWith('page'));

    expect(path.basename(pdf.written.file)).toMatch(/^cisa-v\d{4}\.pdf$/);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(rendered).toHaveLength(1);
    expect((await stat(path.join(work, rendered[0] ?? ''))).size).toBeGreaterThan(5000);
    expect(await readFile(first.written.file)).toEqual(before);
    // The case did not change, so Markdown and PDF are the first version in more formats.
    const versions = (await readdir(path.join(caseDir, 'reports/cisa'))).sort();
    expect(versions).toEqual([
      'cisa-v0001.json',
      'cisa-v0001.md',
      'cisa-v0001.pdf',
      'cisa-v0001.record.json',
    ]);
  });

  it('supersedes the previous version by hash', async () => {
    // A second JSON rendering is a new version, which supplements the first.
    const result = await report('cisa', 'json');
    const cisa = JSON.parse(await readFile(result.written.file, 'utf8')) as CisaJson;
    const previous = await readFile(
      path.join(caseDir, 'reports/cisa', cisa.supersedes?.file ?? 'none'),
    );

    expect(cisa.version).toBe(2);
    expect(cisa.supersedes?.file).toMatch(/^cisa-v0001\.(json|md|pdf)$/);
    expect(cisa.supersedes?.sha256).toBe(createHash('sha256').update(previous).digest('hex'));
    // The demo command from the case's audit trail, the ingest it ran from the database's.
    expect(cisa.audit_trail.map((e) => e.command)).toEqual([
      'demo',
      'investigate',
      'report',
      'report',
      'report',
    ]);
  });

  it('loads nothing external in the HTML report', async () => {
    const html = await report('cisa', 'html');
    const browser = await launchChromium();
    const requests: string[] = [];
    try {
      const page = await browser.context.newPage();
      page.on('request', (request) => requests.push(request.url()));
      const url = pathToFileURL(html.written.file).href;
      await page.goto(url);

      expect(await page.textContent('h1')).toContain('CISA incident report');
      expect(requests).toEqual([url]);
    } finally {
      await browser.close();
    }
  });
});

describe('report templates and exports on the demo case', () => {
  it('completes the CISA report once case set names the organisation', async () => {
    const info = JSON.parse(await readFile(path.join(caseDir, 'case.json'), 'utf8'));
    const fields = [
      'contact.name=Ana Ruiz',
      'contact.email=ir@acme.test',
      'contact.phone=+1 555 0100',
      'contracts=W911QX-24-C-0001',
      'access_level=Secret',
      `ransom_payment_at=${info.discovered_at}`,
    ];
    const set = await cli([
      'case',
      'set',
      '--case',
      caseDir,
      '--organisation',
      'Acme Shop',
      ...fields.flatMap((field) => ['--report-field', field]),
    ]);
    expect(set.code, set.stderr).toBe(0);

    const result = await report('cisa', 'json');
    const cisa = JSON.parse(await readFile(result.written.file, 'utf8')) as CisaJson;
    expect(result.code).toBe(0);
    expect(cisa.status).toBe('complete');
    expect(cisa.missing).toEqual([]);
    expect(cisa.deadlines.map((d) => d.id)).toEqual(['incident_report', 'ransom_payment_report']);

    // The change is on the signed record, so the case still verifies.
    const verified = await cli(['verify', '--case', caseDir]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const bad = await cli(['case', 'set', '--case', caseDir, '--report-field', 'contracts']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid_report_field');
  });

  it('shows the deadline clock in the investigate summary', () => {
    expect(demoSummary.deadlines?.map((d) => d.id)).toEqual(['incident_report']);
  });

  it('lists every evidence item in the custody report', async () => {
    const result = await report('custody', 'json');
    const custody = JSON.parse(await readFile(result.written.file, 'utf8'));
    const manifest = (await readFile(path.join(caseDir, 'manifest.jsonl'), 'utf8'))
      .trim()
      .split('\n');

    expect(result.code).toBe(0);
    expect(custody.items).toHaveLength(manifest.length);
    expect(custody.entries.length).toBeGreaterThanOrEqual(manifest.length);
    expect(custody.unreadable).toEqual([]);
  });

  it('writes the summary report with its deadline section', async () => {
    const result = await report('summary', 'md');

    expect(result.code).toBe(0);
    expect(path.basename(result.written.file)).toBe('report.md');
    expect(await readFile(result.written.file, 'utf8')).toContain('## Reporting deadlines');
  });

  it('exports each format and records it in the audit trail', async () => {
    const formats = ['timesketch-jsonl', 'timesketch-csv', 'stix', 'ocsf-parquet'];
    const counts: Record<string, number> = {};
    for (const format of formats) {
      const out = path.join(work, `export-${format}`);
      const result = await cli([
        'export',
        '--case',
        caseDir,
        '--format',
        format,
        '--out',
        out,
        '--json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      counts[format] = JSON.parse(result.stdout).count;
    }
    const csv = await readFile(path.join(work, 'export-timesketch-csv'), 'utf8');
    const partitions = await readdir(path.join(work, 'export-ocsf-parquet/source=aws.cloudtrail'));
    const again = await cli([
      'export',
      '--case',
      caseDir,
      '--format',
      'stix',
      '--out',
      path.join(work, 'export-stix'),
    ]);

    expect(counts['timesketch-csv']).toBe(counts['ocsf-parquet']);
    expect(csv.trimEnd().split('\r\n')).toHaveLength((counts['timesketch-csv'] ?? 0) + 1);
    expect(counts.stix).toBeGreaterThan(0);
    expect(partitions.every((name) => /^day=\d{4}-\d{2}-\d{2}$/.test(name))).toBe(true);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('output_exists');

    const trail = await readAudit(caseDir);
    const exports = trail.entries.filter((entry) => entry.command === 'export');
    // The refused export is recorded too, with its exit code.
    expect(exports.map((entry) => entry.exit_code)).toEqual([0, 0, 0, 0, 2]);
    expect(exports.slice(0, 4).map((entry) => entry.results)).toEqual(
      formats.map((f) => counts[f]),
    );
  });
});
