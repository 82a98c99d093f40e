import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaseReader } from '../src/server/case-reader.ts';
import { eventDetail } from '../src/server/timeline-api.ts';
import { CaseDb } from '../src/store/index.ts';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';

const RECORDS = path.join(
  SHARED_DATA,
  'logs/otrf-aws-ec2-proxy-s3-exfiltration/derived_cloudtrail_records.json',
);

const RULE = `title: EC2 volumes listed by pedro
id: 5d3c1f0e-8a4b-4c1e-9f3a-2b7e6d5c4a10
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: ec2.amazonaws.com
    eventName|startswith: DescribeVol
    userIdentity.userName|contains: edr
  condition: selection
level: low
`;

interface Reason {
  search: string;
  field: string | null;
  modifiers: string[];
  value: string | null;
  expected: string;
}

interface Explained {
  event_uid: string;
  reasons: Reason[];
  omitted: number;
}

const EXPECTED_REASONS: Reason[] = [
  {
    search: 'selection',
    field: 'eventSource',
    modifiers: [],
    value: 'ec2.amazonaws.com',
    expected: 'ec2.amazonaws.com',
  },
  {
    search: 'selection',
    field: 'eventName',
    modifiers: ['startswith'],
    value: 'DescribeVolumes',
    expected: 'DescribeVol*',
  },
  {
    search: 'selection',
    field: 'userIdentity.userName',
    modifiers: ['contains'],
    value: 'pedro',
    expected: '*edr*',
  },
];

function withEventName(value: string): Reason[] {
  return EXPECTED_REASONS.map((reason) =>
    reason.field === 'eventName' ? { ...reason, value } : reason,
  );
}

async function findingExplanations(caseDir: string): Promise<Explained[]> {
  const text = await readFile(path.join(caseDir, 'reports/findings.json'), 'utf8');
  const findings = JSON.parse(text) as { rule_id: string; explanations: Explained[] }[];
  return findings.find((finding) => finding.rule_id.startsWith('5d3c1f0e'))?.explanations ?? [];
}

describe('detection explanations', () => {
  let streamed: string;
  let hunted: string;
  let huntRules: { id: string; explanations: Explained[] }[];

  beforeAll(async () => {
    const work = await tempDir();
    const rules = path.join(work, 'rules');
    await mkdir(rules);
    await writeFile(path.join(rules, 'volumes.yml'), RULE);

    streamed = path.join(work, 'streamed');
    const investigate = await runCli([
      'investigate',
      RECORDS,
      '--case',
      streamed,
      '--no-builtin-rules',
      '--rules',
      rules,
    ]);
    expect(investigate.code).toBe(0);

    hunted = path.join(work, 'hunted');
    const ingest = await runCli(['investigate', RECORDS, '--case', hunted, '--no-builtin-rules']);
    expect(ingest.code).toBe(0);
    const hunt = await runCli(['hunt', '--case', hunted, '--rules', rules, '--json']);
    expect(hunt.code).toBe(0);
    huntRules = (JSON.parse(hunt.stdout) as { rules: typeof huntRules }).rules;
  }, 120_000);

  it('findings.json lists the matched fields', async () => {
    const explained = await findingExplanations(streamed);
    const names = new Set(explained.map((entry) => entry.reasons[1]?.value));
    expect(names).toContain('DescribeVolumes');
    expect(names).toContain('DescribeVolumeStatus');
    for (const entry of explained) {
      const volumes = entry.reasons[1]?.value ?? '';
      expect(entry.reasons).toEqual(withEventName(volumes));
      expect(entry.omitted).toBe(0);
    }
  });

  it('hunt stores the same explanations', async () => {
    expect(await findingExplanations(hunted)).toEqual(await findingExplanations(streamed));
  });

  it('hunt --json explains each rule', () => {
    const rule = huntRules.find((entry) => entry.id.startsWith('5d3c1f0e'));
    expect(rule?.explanations.length).toBeGreaterThan(0);
    const first = rule?.explanations[0];
    expect(first?.reasons).toEqual(withEventName(first?.reasons[1]?.value ?? ''));
  });

  it('event detail carries the explanation', async () => {
    const [first] = await findingExplanations(hunted);
    const db = await CaseDb.openReadOnly(hunted);
    try {
      const reader = new CaseReader(await db.connect());
      const detail = await eventDetail(reader, first?.event_uid ?? '');
      const detections = detail.detections as { rule_id: string; explanation: unknown }[];
      expect(detections).toHaveLength(1);
      expect(detections[0]?.explanation).toEqual({ reasons: first?.reasons, omitted: 0 });
    } finally {
      await db.close();
    }
  });

  it('event detail explains a hunted match stored without an explanation', async () => {
    const [first] = await findingExplanations(hunted);
    const uid = first?.event_uid ?? '';
    const copy = path.join(await tempDir(), 'case');
    await cp(hunted, copy, { recursive: true });
    const edit = async (sql: string, params: Record<string, string> = {}) => {
      const db = await CaseDb.open(copy);
      const connection = await db.connect();
      try {
        await connection.run(sql, params);
      } finally {
        connection.closeSync();
        await db.close();
      }
    };
    const detail = async () => {
      const db = await CaseDb.openReadOnly(copy);
      try {
        const found = await eventDetail(new CaseReader(await db.connect()), uid);
        return (found.detections as { explanation: unknown }[])[0]?.explanation;
      } finally {
        await db.close();
      }
    };

    // Matches past the ones a hunt explains are stored like this.
    await edit('UPDATE detections SET explanation = NULL WHERE event_uid = $uid', { uid });
    expect(await detail()).toEqual({ reasons: first?.reasons, omitted: 0 });

    await edit("DELETE FROM rule_models WHERE id LIKE '5d3c1f0e%'");
    expect(await detail()).toBeNull();
  });
});
