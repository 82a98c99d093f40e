import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';

interface TimelineEvent {
  uid: string;
  source: string;
}

// SigmaHQ's generic rules: cleartext protocols allowed through a firewall, and the WannaCry
// kill-switch domains in DNS queries.
const CLEARTEXT_RULE = 'd7fb8f0e-bd5f-45c2-b467-19571c490d7e';
const WANNACRY_RULE = '3eaf6218-3bed-4d8a-8707-274096f12a18';

// Default-format flow records: telnet accepted, telnet rejected, HTTPS accepted.
const FLOWS = [
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
  '2 123456789012 eni-0a1b2c3d 198.51.100.7 10.0.1.5 50122 23 6 3 180 1712052000 1712052060 ACCEPT OK',
  '2 123456789012 eni-0a1b2c3d 198.51.100.8 10.0.1.5 50123 23 6 3 180 1712052100 1712052160 REJECT OK',
  '2 123456789012 eni-0a1b2c3d 10.0.1.5 203.0.113.9 61000 443 6 12 5400 1712052200 1712052260 ACCEPT OK',
];

function query(name: string, time: string) {
  return {
    version: '1.100000',
    account_id: '123456789012',
    region: 'us-east-1',
    vpc_id: 'vpc-0a1b2c3d',
    query_timestamp: time,
    query_name: name,
    query_type: 'A',
    query_class: 'IN',
    rcode: 'NOERROR',
    answers: [],
    srcaddr: '10.0.1.5',
    srcport: '53211',
    transport: 'UDP',
    srcids: { instance: 'i-0a1b2c3d4e5f60718' },
  };
}

describe('generic Sigma rules on AWS network logs', () => {
  let caseDir: string;
  let rules: string[];
  let events: TimelineEvent[];
  let findings: { rule_id: string; event_uids: string[] }[];

  beforeAll(async () => {
    const dir = await tempDir();
    const flows = path.join(
      dir,
      '123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d_20240402T1000Z_a1b2c3d4.log',
    );
    await writeFile(flows, `${FLOWS.join('\n')}\n`);
    const resolver = path.join(dir, 'resolver.jsonl');
    const queries = [
      query('ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com.', '2024-04-02T10:30:00Z'),
      query('www.example.com.', '2024-04-02T10:31:00Z'),
    ];
    await writeFile(resolver, `${queries.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
    caseDir = path.join(dir, 'case');
    const network = path.join(SHARED_DATA, 'sigma/rules-all/rules/network');
    rules = [path.join(network, 'firewall'), path.join(network, 'dns')];

    const run = await runCli([
      'investigate',
      flows,
      resolver,
      '--case',
      caseDir,
      '--no-builtin-rules',
      '--rules',
      ...rules,
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const timeline = await runCli(['timeline', '--case', caseDir, '--format', 'jsonl']);
    events = timeline.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as TimelineEvent);
    findings = JSON.parse(await readFile(path.join(caseDir, 'reports/findings.json'), 'utf8'));
  }, 120_000);

  it('reads the flows and queries', () => {
    expect(events.map((event) => event.source)).toEqual([
      'aws.vpcflow',
      'aws.vpcflow',
      'aws.vpcflow',
      'aws.route53resolver',
      'aws.route53resolver',
    ]);
  });

  it('fires firewall rules on accepted flows only', () => {
    const fired = findings.find((finding) => finding.rule_id === CLEARTEXT_RULE);
    expect(fired?.event_uids).toEqual([events[0]?.uid]);
  });

  it('fires DNS rules on names with the root dot', () => {
    const fired = findings.find((finding) => finding.rule_id === WANNACRY_RULE);
    expect(fired?.event_uids).toEqual([events[3]?.uid]);
  });

  it('hunts with the same matches', async () => {
    const run = await runCli(['hunt', '--case', caseDir, '--rules', ...rules, '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { rules: { id: string; matches: number }[] };
    const matches = (id: string) => result.rules.find((rule) => rule.id === id)?.matches;
    expect(matches(CLEARTEXT_RULE)).toBe(1);
    expect(matches(WANNACRY_RULE)).toBe(1);
  });
});
