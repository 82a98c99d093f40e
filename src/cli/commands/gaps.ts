import path from 'node:path';
import type { Command } from 'commander';
import { resolveAnalyst } from '../../case/analyst.ts';
import { readCaseInfo } from '../../case/case-dir.ts';
import { EXIT } from '../../core/errors.ts';
import { sanitizeTerminalLine } from '../../core/escape.ts';
import { Logger } from '../../core/logger.ts';
import { type GapReport, type GapRunOptions, runGapAnalysis } from '../../gaps/index.ts';
import { findingsChangedBeforeRun, recordFindings } from '../../pipeline/record-findings.ts';
import { buildReport, writeReports } from '../../report/index.ts';
import { CaseDb } from '../../store/index.ts';
import { noteResults } from '../audit-hook.ts';
import type { CommandContext } from '../main.ts';
import { requireExisting } from './investigate.ts';

interface GapsFlags {
  case: string;
  cloudtrailPublicKeys?: string;
  cloudtrailSignatures?: string;
  json?: boolean;
}

/** Finding kinds that prove evidence was altered, which make the command exit with 5. */
const TAMPERED = new Set(['log_file_modified', 'digest_modified', 'digest_signature_invalid']);

/** `cloudcase gaps --case DIR`: what is missing or tampered in the case's logs. */
export function registerGaps(program: Command, context: CommandContext): void {
  program
    .command('gaps')
    .description(
      'list silent sources, stopped or narrowed logging, short retention and, from CloudTrail ' +
        'digest files, deleted or modified log files; writes the reports again',
    )
    .requiredOption('-c, --case <dir>', 'case folder, already investigated (required)')
    .option(
      '--cloudtrail-public-keys <file>',
      'JSON output of `aws cloudtrail list-public-keys`, to check digest signatures',
    )
    .option(
      '--cloudtrail-signatures <file>',
      'digest signatures saved from S3 object metadata (x-amz-meta-signature): a JSON object ' +
        'of digest key to hex signature, or head-object outputs with their Key',
    )
    .option('--json', 'print the gap analysis as JSON')
    .action(async (flags: GapsFlags) => {
      const { io } = context;
      const caseDir = path.resolve(io.cwd, flags.case);
      const keys = flags.cloudtrailPublicKeys && path.resolve(io.cwd, flags.cloudtrailPublicKeys);
      if (keys) await requireExisting([keys], 'public key file');
      const signatures =
        flags.cloudtrailSignatures && path.resolve(io.cwd, flags.cloudtrailSignatures);
      if (signatures) await requireExisting([signatures], 'signatures file');
      await readCaseInfo(caseDir);

      const db = await CaseDb.open(caseDir);
      const logger = new Logger(io.stderr);
      const files = { publicKeysFile: keys || undefined, signaturesFile: signatures || undefined };
      const analyst = resolveAnalyst(undefined, io.env);
      const report = await analyzeAndReport(db, files, { analyst, logger }).finally(() =>
        db.close(),
      );
      noteResults(context, report.findings.length);
      context.exitCode = report.findings.some((f) => TAMPERED.has(f.kind))
        ? EXIT.verification
        : EXIT.ok;
      io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : gapsText(report));
    });
}

// The reports are written again so that they show the analysis just stored. The ledger records
// the findings before the reports are written, as after investigate and hunt.
async function analyzeAndReport(
  db: CaseDb,
  files: GapRunOptions,
  run: { analyst: string; logger: Logger },
) {
  const changedBeforeRun = await findingsChangedBeforeRun(db, run.logger);
  const report = await runGapAnalysis(db, files);
  await recordFindings(db, run.analyst, 'gaps', changedBeforeRun);
  await writeReports(db.caseDir, await buildReport(db, null), db);
  return report;
}

/** Renders the gap analysis for the terminal, one finding per paragraph. */
export function gapsText(report: GapReport): string {
  const line = (text: string) => `${sanitizeTerminalLine(text)}\n`;
  let out = line(`Evidence ends at ${report.evidence_end ?? '-'}. ${report.method}`);
  const i = report.integrity;
  if (i) {
    out += line(
      `CloudTrail digests: ${i.digests}, ` +
        `${i.signatures_checked ? `valid signatures ${i.digests_valid}` : 'signatures not checked: no public keys given'}; log files ` +
        `listed ${i.log_files_listed}, valid ${i.log_files_valid}, modified ` +
        `${i.log_files_modified}, not in the evidence ${i.log_files_missing}.`,
    );
    for (const p of i.problems) out += line(`  note ${p.code}: ${p.file}: ${p.message}`);
  }
  out += line(`Findings: ${report.findings.length}.`);
  for (const f of report.findings) {
    const where = [f.source, f.account, f.region].filter(Boolean).join(' ');
    const window = `${f.start} .. ${f.end ?? 'end of evidence'}`;
    out += `\n${line(`${f.severity.toUpperCase()} ${f.kind} [${where}] ${window}`)}`;
    out += line(`  ${f.summary}`);
    out += line(`  Cannot be seen: ${f.cannot_see}`);
    if (f.event_uids.length > 0) out += line(`  Events: ${f.event_uids.join(', ')}`);
  }
  if (report.retention.length > 0) out += `\n${line('Retention shorter than 90 days:')}`;
  for (const w of report.retention) out += line(`  ${w.message}`);

  return out;
}
