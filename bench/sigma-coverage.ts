/**
 * `npm run sigma:coverage`: loads the SigmaHQ cloud rules from `../shared/data/sigma/rules-cloud`
 * as a run would and matches them against every log file under `../shared/data/logs` that a
 * cloudcase source format recognises. It writes `docs/sigma-coverage.md`, which gives for each
 * rule whether it runs (or the reason code it does not) and how many events it matched.
 *
 * Plain and `.gz` files are read; zip archives are not. Panther rule test cases are unwrapped to
 * the record they carry.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { escapeMarkdown } from '../src/core/escape.ts';
import type { RuleIssue, SigmaRule } from '../src/detect/sigma/index.ts';
import { loadRules, RuleSet } from '../src/detect/sigma/index.ts';
import { detectFormat } from '../src/sources/index.ts';
import { isNormalizeError, type SourceFormat } from '../src/sources/types.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '../shared/data');
const RULES = join(SHARED, 'sigma/rules-cloud');
const LOGS = join(SHARED, 'logs');
const PAGE = join(ROOT, 'docs/sigma-coverage.md');
const HEAD_BYTES = 64 * 1024;

interface LogFile {
  path: string;
  format: SourceFormat;
  events: number;
  rejected: number;
}

async function main(): Promise<void> {
  const loaded = await loadRules([RULES]);
  const set = new RuleSet(loaded.rules);
  const counts = new Map<string, number>();
  const logs = await readLogs(set, counts);
  for (const hit of set.finish()) counts.set(hit.rule_id, (counts.get(hit.rule_id) ?? 0) + 1);

  const running = new Set(set.meta().map((meta) => meta.id));
  const issues = [...loaded.issues, ...set.issues];
  const page = renderPage(loaded.rules, loaded.files, issues, running, counts, logs);
  await mkdir(join(ROOT, 'docs'), { recursive: true });
  await writeFile(PAGE, page);
  process.stdout.write(`wrote ${relative(ROOT, PAGE)}\n`);
}

async function readLogs(set: RuleSet, counts: Map<string, number>): Promise<LogFile[]> {
  const entries = await readdir(LOGS, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((entry) => entry.isFile() && !/\.zip$/i.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();

  const logs: LogFile[] = [];
  for (const path of paths) {
    const format = detectFormat(unwrapHead(await head(path)), path);
    if (format === null) continue;

    const log: LogFile = { path, format, events: 0, rejected: 0 };
    for await (const result of format.records(openLog(path))) {
      if (result.kind === 'rejected') {
        log.rejected++;
        continue;
      }
      const ref = { sha256: '0'.repeat(64), member: null, record: result.index, offset: 0 };
      const event = format.normalize(unwrapTestCase(result.value), ref);
      if (isNormalizeError(event)) {
        log.rejected++;
        continue;
      }
      log.events++;
      for (const match of set.match(event)) {
        counts.set(match.rule_id, (counts.get(match.rule_id) ?? 0) + 1);
      }
    }
    logs.push(log);
  }
  return logs;
}

/**
 * Returns the log record of a Panther rule test case (a line with `log_types` and the record
 * under `log`), or the value itself for any other record.
 */
function unwrapTestCase(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const { log, log_types: logTypes } = value as Record<string, unknown>;
  return Array.isArray(logTypes) && typeof log === 'object' && log !== null ? log : value;
}

/**
 * The head with each whole line that is a Panther rule test case replaced by its record, so a
 * format sniffs the records themselves rather than the test cases around them.
 */
function unwrapHead(bytes: Buffer): Buffer {
  const lines = bytes.toString('utf8').split('\n');
  const complete = lines.slice(0, -1);
  const unwrapped = complete.map((line) => {
    try {
      const value: unknown = JSON.parse(line);
      const record = unwrapTestCase(value);
      return record === value ? line : JSON.stringify(record);
    } catch {
      return line;
    }
  });
  return Buffer.from([...unwrapped, lines.at(-1) ?? ''].join('\n'));
}

function openLog(path: string): Readable {
  const stream = createReadStream(path);
  return /\.gz$/i.test(path) ? stream.pipe(createGunzip()) : stream;
}

async function head(path: string): Promise<Buffer> {
  const file = await open(path);
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await file.read(buffer, 0, HEAD_BYTES, 0);
    const bytes = buffer.subarray(0, bytesRead);
    if (!/\.gz$/i.test(path)) return bytes;
    // Sniffing needs decompressed bytes; the start of a gz stream inflates on its own.
    return gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, HEAD_BYTES);
  } finally {
    await file.close();
  }
}

function renderPage(
  rules: SigmaRule[],
  files: { file: string }[],
  issues: RuleIssue[],
  running: Set<string>,
  counts: Map<string, number>,
  logs: LogFile[],
): string {
  const rows: string[] = [];
  const byFile = new Map<string, SigmaRule[]>();
  for (const rule of rules) byFile.set(rule.file, [...(byFile.get(rule.file) ?? []), rule]);
  const stateOf = (file: string, line: number | null) => {
    const own = issues.filter(
      (issue) => issue.file === file && (line === null || issue.line === line),
    );
    const error = own.find((issue) => issue.severity === 'error');
    if (error !== undefined) return `not loaded: \`${error.code}\``;
    const warning = own.find(
      (issue) => issue.severity === 'warning' && issue.code !== 'obsolete_timeframe',
    );
    return warning === undefined ? null : `routed nowhere: \`${warning.code}\``;
  };

  let runs = 0;
  let matched = 0;
  for (const { file } of files) {
    const own = byFile.get(file) ?? [];
    if (own.length === 0) {
      rows.push(`| ${cell(file)} | | ${stateOf(file, null) ?? 'no rule'} | |`);
      continue;
    }
    for (const rule of own) {
      const ok = running.has(rule.id);
      const count = counts.get(rule.id) ?? 0;
      if (ok) runs++;
      if (ok && count > 0) matched++;
      const state = ok ? 'runs' : (stateOf(file, rule.line) ?? 'not run');
      rows.push(`| ${cell(file)} | ${cell(rule.title)} | ${state} | ${ok ? count : ''} |`);
    }
  }

  const logRows = logs.map(
    (log) =>
      `| ${cell(relative(LOGS, log.path).split(sep).join('/'))} | ${log.format.id} | ${log.events} | ${log.rejected} |`,
  );
  const events = logs.reduce((sum, log) => sum + log.events, 0);
  return `# Sigma coverage of the SigmaHQ cloud rules

Generated by \`npm run sigma:coverage\` from the SigmaHQ rules in \`../shared/data/sigma/rules-cloud\`
and the public logs in \`../shared/data/logs\`. Do not edit by hand.

${files.length} rule files, ${runs} rules that run, ${matched} of them matched at least one of the
${events} events read. A rule "runs" when it loads and its logsource is routed to a source that
cloudcase reads; "routed nowhere" rules load but wait for a source (\`unknown_logsource\`); "not
loaded" names the first error's reason code (\`rules check\` lists them all). Correlation rules
count their hits, single-event rules the events they matched. Rules that use placeholders run
without placeholder values, as in \`investigate\`.

## Logs read

Files under \`../shared/data/logs\` that a source format recognises; zip archives are not read.
Panther's rule test cases hold each record under \`log\`, which is matched in place of the case.

| file | format | events | rejected |
|---|---|---:|---:|
${logRows.join('\n')}

## Rules

| file | title | state | matched |
|---|---|---|---:|
${rows.join('\n')}
`;
}

function cell(text: string): string {
  return escapeMarkdown(text.replace(/\s+/g, ' ').trim());
}

await main();
