import type { Category } from '../core/event.ts';
import { auditd } from './auditd.ts';
import { azureFlow } from './azure-flow.ts';
import { azureMonitor } from './azure-monitor.ts';
import { cloudTrail } from './cloudtrail.ts';
import { cloudTrailDigest } from './cloudtrail-digest.ts';
import { cloudWatchLogs } from './cloudwatch-logs.ts';
import { elb } from './elb.ts';
import { gcpAudit } from './gcp-audit.ts';
import { githubAudit } from './github-audit.ts';
import { guardDuty } from './guardduty.ts';
import { honeyBucket } from './honeybucket.ts';
import { journald } from './journald.ts';
import { k8sAudit } from './k8s-audit.ts';
import { m365Audit } from './m365-audit.ts';
import { oktaSystemLog } from './okta.ts';
import { rds } from './rds.ts';
import { route53Resolver } from './route53-resolver.ts';
import { s3Access } from './s3-access.ts';
import { syslog } from './syslog.ts';
import type { SourceFormat } from './types.ts';
import { vpcFlow } from './vpc-flow.ts';

/**
 * Every log format cloudcase reads, in the order `cloudcase sources` lists them. On a tie in
 * sniff scores the earlier format wins: Kubernetes comes before GCP because a Kubernetes audit
 * file may also carry GKE's entries, which the Kubernetes format hands to the GCP one.
 */
export const FORMATS: SourceFormat[] = [
  cloudTrail,
  k8sAudit,
  gcpAudit,
  azureMonitor,
  azureFlow,
  m365Audit,
  oktaSystemLog,
  githubAudit,
  vpcFlow,
  s3Access,
  elb,
  guardDuty,
  route53Resolver,
  rds,
  cloudTrailDigest,
  honeyBucket,
  syslog,
  auditd,
  journald,
  cloudWatchLogs,
];

/** Lowest sniff score that counts as recognised. */
export const SNIFF_THRESHOLD = 0.5;

/** The UTF-8 byte order mark that Windows tools such as PowerShell 5 write before text. */
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Picks the format whose sniff scores the first bytes of a decompressed stream highest, or
 * `null` when no format reaches `SNIFF_THRESHOLD`. A UTF-8 byte order mark is removed before
 * the sniffs see the bytes, and the parsers remove it from the stream themselves.
 */
export function detectFormat(head: Buffer, name: string): SourceFormat | null {
  const bytes = head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)
    ? head.subarray(UTF8_BOM.length)
    : head;
  let best: SourceFormat | null = null;
  let bestScore = SNIFF_THRESHOLD;
  for (const format of FORMATS) {
    const score = format.sniff(bytes, name);
    if (score >= bestScore && (best === null || score > bestScore)) {
      best = format;
      bestScore = score;
    }
  }
  return best;
}

/** Finds the format whose events carry this `Event.source`, or `undefined` for none. */
export function formatOfSource(source: string): SourceFormat | undefined {
  return FORMATS.find((format) => (format.eventSources ?? [format.id]).includes(source));
}

/** Returns the coverage rule of one `Event.source`, or `undefined` when it is unknown. */
export function coverageOfSource(
  source: string,
): { logCategory?: Category; alsoCovers?: readonly Category[] } | undefined {
  const format = formatOfSource(source);
  return format?.sourceCoverage?.[source] ?? format;
}
