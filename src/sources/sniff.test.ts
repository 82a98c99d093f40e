import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectFormat, FORMATS, SNIFF_THRESHOLD } from './index.ts';
import { ingestWith, LOGS } from './test-ingest.ts';

const AWS = 'elastic-integrations-pipeline-samples/packages/aws/data_stream';

const TEXT_FORMATS = new Set([
  'aws.vpcflow',
  'aws.s3access',
  'aws.elb',
  'host.syslog',
  'host.auditd',
  'aws.honeybucket',
]);

// Real files of every format, each with the one format that must recognise it.
const FILES: [string, string][] = [
  ['plaso-cloud-test-data/test_data/aws_cloudtrail.jsonl', 'aws.cloudtrail'],
  [`${AWS}/cloudtrail/_dev/test/pipeline/test-console-login-json.log`, 'aws.cloudtrail'],
  [
    'elastic-integrations-pipeline-samples/packages/kubernetes/data_stream/audit_logs/_dev/test/pipeline/test-audit.log',
    'k8s.audit',
  ],
  ['plaso-cloud-test-data/test_data/gcp_logging.jsonl', 'gcp.audit'],
  [`${AWS}/vpcflow/_dev/test/pipeline/test-extra-samples.log`, 'aws.vpcflow'],
  [`${AWS}/vpcflow/_dev/test/pipeline/test-tgw-samples.log`, 'aws.vpcflow'],
  [`${AWS}/vpcflow/_dev/test/pipeline/test-v5-all-fields.log`, 'aws.vpcflow'],
  [`${AWS}/vpcflow/_dev/test/pipeline/test-v8-samples.log`, 'aws.vpcflow'],
  [`${AWS}/s3access/_dev/test/pipeline/test-s3-server-access.log`, 'aws.s3access'],
  [`${AWS}/elb_logs/_dev/test/pipeline/test-alb.log`, 'aws.elb'],
  ['plaso-cloud-test-data/test_data/aws_elb_access.log', 'aws.elb'],
  ['plaso-cloud-test-data/test_data/azure_activity_log.jsonl', 'azure.monitor'],
  ['plaso-cloud-test-data/test_data/azure_application_gateway_access.json', 'azure.monitor'],
  ['otrf-goldensaml-adfs-mail-access/AADAuditEvents.json', 'azure.monitor'],
  ['otrf-goldensaml-adfs-mail-access/OfficeActivityEvents.json', 'm365.audit'],
  ['plaso-cloud-test-data/test_data/microsoft_audit_log.jsonl', 'm365.audit'],
  ['plaso-cloud-test-data/test_data/syslog_ssh.log', 'host.syslog'],
  ['loghub-openssh-linux/OpenSSH/OpenSSH_2k.log', 'host.syslog'],
  ['loghub-openssh-linux/Linux/Linux_2k.log', 'host.syslog'],
  ['plaso-cloud-test-data/test_data/audit_enriched.log', 'host.auditd'],
  ['plaso-cloud-test-data/test_data/selinux.log', 'host.auditd'],
  ['otrf-aws-s3-honeybucket/AWS_S3_HoneyBucketLogs.csv', 'aws.honeybucket'],
];

// Text logs of other kinds that no format may claim.
const FOREIGN = [
  'otrf-goldensaml-adfs-mail-access/WindowsEvents.json',
  'otrf-goldensaml-adfs-mail-access/Microsoft365DefenderEvents.json',
];

describe('format sniffing', () => {
  it('picks the right format for each real file, and text formats claim no other', () => {
    for (const [file, id] of FILES) {
      const head = readFileSync(path.join(LOGS, file)).subarray(0, 64 * 1024);
      expect(detectFormat(head, path.basename(file))?.id, file).toBe(id);

      const recognised = FORMATS.filter(
        (format) => format.sniff(head, path.basename(file)) >= SNIFF_THRESHOLD,
      ).map((format) => format.id);
      // A Kubernetes audit file with GKE entries is also GCP audit, so JSON formats may overlap.
      const claimedByText = recognised.filter((found) => TEXT_FORMATS.has(found));
      expect(claimedByText, file).toEqual(TEXT_FORMATS.has(id) ? [id] : []);
      if (TEXT_FORMATS.has(id)) expect(recognised, file).toEqual([id]);
    }
  });

  it('recognises no format in unsupported logs', () => {
    for (const file of FOREIGN) {
      const head = readFileSync(path.join(LOGS, file)).subarray(0, 64 * 1024);
      const recognised = FORMATS.filter((format) => format.sniff(head, file) >= SNIFF_THRESHOLD);
      expect(
        recognised.map((format) => format.id),
        file,
      ).toEqual([]);
    }
  });

  it('reads each real file the same after a UTF-8 byte order mark', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    for (const [file, id] of FILES) {
      const bytes = readFileSync(path.join(LOGS, file));
      const marked = Buffer.concat([bom, bytes]);
      const format = detectFormat(marked.subarray(0, 64 * 1024), path.basename(file));
      expect(format?.id, file).toBe(id);
      if (format === null) continue;

      const plain = await ingestWith(format, Readable.from([bytes]));
      const read = await ingestWith(format, Readable.from([marked]));
      expect(read.events.length, file).toBe(plain.events.length);
      expect(read.rejected.length, file).toBe(plain.rejected.length);
    }
  });
});
