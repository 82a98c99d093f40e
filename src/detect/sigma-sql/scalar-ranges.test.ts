import { describe, expect, test } from 'vitest';
import { onEvents } from '../../analyze/test-case.ts';
import { testEvent } from '../../store/test-events.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { detectionRules } from '../sigma/test-rules.ts';
import { duckdb } from './duckdb.ts';
import { ScalarRanges } from './scalar-ranges.ts';
import { SqlScan } from './scan.ts';

const RULES = `title: Instance launched
id: 3e5a7c90-0000-4000-8000-000000000001
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    eventSource: ec2.amazonaws.com
    eventName: RunInstances
    requestParameters.instanceType|startswith: p4
  condition: selection
level: low
`;

// Records of 15 KB: a vector of 2,048 rows has 30 MB of them. Scanned a vector at a time,
// with a prefilter on eventName, they ran out of the case's 256 MB.
const EVENTS = 5_000;
const TAGS = Array.from({ length: 90 }, (_, index) => ({
  key: `k${index}`,
  value: 'v'.repeat(150),
}));

function rules(): DetectionRule[] {
  return detectionRules(RULES);
}

describe('SqlScan scalar-shape rules', () => {
  test('scans large records in ranges', async () => {
    const events = Array.from({ length: EVENTS }, (_, record) => {
      const raw = {
        eventSource: 'ec2.amazonaws.com',
        eventName: 'RunInstances',
        requestParameters: { instanceType: record % 10 === 0 ? 'p4d.24xlarge' : 't3.micro' },
        responseElements: { instancesSet: { items: [{ tagSet: { items: TAGS } }] } },
      };
      return testEvent(record, { raw });
    });
    let matches = 0;
    await onEvents(events, (connection) =>
      new SqlScan(rules()).each(connection, {
        onMatch: () => {
          matches++;
        },
      }),
    );

    expect(matches).toBe(EVENTS / 10);
  }, 120_000);

  test('sizes ranges by the values rules read', async () => {
    // Records of 15 KB, nearly all of it one string that a rule reads: 16 MB of them took
    // about 190 MB to scan while `json_extract` wrote the string out for each record.
    const scan = new SqlScan(detectionRules(LONG_VALUE_RULE), { dialect: LIMITED });
    const events = Array.from({ length: LONG_EVENTS }, (_, record) => {
      const blob = `${'x'.repeat(15 * 1024)}${record % 4 === 0 ? 'yz' : ''}`;
      const raw = { eventName: 'StopLogging', requestParameters: { blob } };
      return testEvent(record, { raw });
    });
    let matches = 0;
    await onEvents(events, (connection) =>
      scan.each(connection, {
        onMatch: () => {
          matches++;
        },
      }),
    );

    expect(scan.problems).toEqual([]);
    expect(matches).toBe(LONG_EVENTS / 4);
  }, 120_000);
});

describe('ScalarRanges', () => {
  test('counts only the values a scan reads', async () => {
    const events = Array.from({ length: LONG_EVENTS }, (_, record) => {
      const raw = { eventName: 'StopLogging', requestParameters: { blob: 'x'.repeat(15 * 1024) } };
      return testEvent(record, { raw });
    });
    const blob = ['requestParameters', 'blob'];
    const name = ['eventName'];
    const found = await onEvents(events, async (connection) => {
      const ranges = new ScalarRanges(connection, duckdb, [name, blob], (work) => work());
      return { name: await ranges.of([name]), blob: await ranges.of([name, blob]) };
    });

    // 18 MB of records make two ranges, and 46 MB with each string counted 1.5 times more.
    expect(found.name).toHaveLength(2);
    expect(found.blob).toHaveLength(3);
    expect(found.blob.at(-1)?.high).toBe(found.name.at(-1)?.high);
  }, 60_000);
});

const LONG_VALUE_RULE = `title: Logging stopped with a long parameter
id: 3e5a7c90-0000-4000-8000-000000000002
logsource: { product: aws, service: cloudtrail }
detection:
  selection:
    requestParameters.blob|endswith: yz
  condition: selection
level: low
`;

const LONG_EVENTS = 1_200;

/** The DuckDB dialect with scans limited to 128 MB of memory. */
const LIMITED = {
  ...duckdb,
  scanSettings: duckdb.scanSettings.map(([name, value]) =>
    name === 'memory_limit' ? ([name, "'128MB'"] as const) : ([name, value] as const),
  ),
};
