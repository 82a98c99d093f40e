import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { generateBenignRecords } from '../../demo/benign-stream.ts';
import { compileAccessor } from './fields.ts';
import { loadRules } from './load.ts';
import { PrefilterIndex, type Requirement } from './prefilter.ts';
import { FieldTable, RecordView } from './record-view.ts';
import { RuleSet } from './rule-set.ts';
import { cloudtrailEvent } from './test-events.ts';

const CLOUD_RULES = '/work/shared/data/sigma/rules-cloud';
const OTRF_RECORDS =
  '/work/shared/data/logs/otrf-aws-ec2-proxy-s3-exfiltration/derived_cloudtrail_records.json';

const requirement = (field: string, ...values: string[]): Requirement => ({
  field,
  values: new Set(values),
});

function viewOf(record: Record<string, unknown>, ...fields: string[]) {
  const table = new FieldTable();
  const slots = fields.map((field) => table.slot(field));
  return { view: new RecordView(table).reset(record), slots };
}

describe('RecordView', () => {
  test('values agree with field accessors', () => {
    const record = {
      eventName: 'GetObject',
      'a.b': 'literal key',
      a: { b: 'nested' },
      userIdentity: { sessionContext: { sessionIssuer: { type: 'Role' } } },
      resources: [{ ARN: 'arn:1' }, { ARN: ['arn:2', 'arn:3'] }, { other: 1 }],
      list: [[1, 2], 3],
      empty: null,
    };
    const fields = [
      'eventName',
      'a.b',
      'userIdentity.sessionContext.sessionIssuer.type',
      'resources.ARN',
      'list',
      'empty',
      'missing',
      'eventName.deeper',
      'resources.missing',
    ];
    const { view, slots } = viewOf(record, ...fields);
    for (const [i, field] of fields.entries()) {
      const entry = view.entry(slots[i]!);
      const expected = compileAccessor(field)(record);
      expect({ field, present: entry.present }).toEqual({ field, present: expected.present });
      expect({ field, values: entry.values }).toEqual({ field, values: expected.values });
    }
  });

  test('texts lower-cased once per record', () => {
    const { view, slots } = viewOf({ a: ['MiXed', 5, { K: 'V' }, null] }, 'a');
    const entry = view.entry(slots[0]!);
    expect(entry.flat()).toEqual(['MiXed', 5, { K: 'V' }, null]);
    expect(entry.texts()).toEqual(['MiXed', '5', '{"K":"V"}', null]);
    expect(entry.lower()).toEqual(['mixed', '5', '{"k":"v"}', null]);
    expect(view.entry(slots[0]!).lower()).toBe(entry.lower());
  });

  test('reset drops cached values', () => {
    const { view, slots } = viewOf({ a: 'First' }, 'a');
    expect(view.entry(slots[0]!).lower()).toEqual(['first']);

    view.reset({ a: 'Second' });
    expect(view.entry(slots[0]!).lower()).toEqual(['second']);
    view.reset({});
    expect(view.entry(slots[0]!).present).toBe(false);
    expect(view.entry(slots[0]!).lower()).toEqual([]);
  });

  test('keyword slot reads every scalar', () => {
    const table = new FieldTable();
    const slot = table.slot(null);
    expect(table.slot(null)).toBe(slot);

    const entry = new RecordView(table).reset({ a: 'x', b: { c: [1, true] } }).entry(slot);
    expect(entry.present).toBe(true);
    expect(entry.values).toEqual(['x', 1, true]);
  });
});

describe('PrefilterIndex', () => {
  test('prefers a field other items require', () => {
    const table = new FieldTable();
    const index = new PrefilterIndex<string>(table);
    index.add('attribute rule', [
      requirement('requestParameters.attribute', 'createvolumepermission'),
      requirement('eventName', 'modifysnapshotattribute'),
    ]);
    index.add('name rule', [requirement('eventName', 'getobject')]);
    const view = new RecordView(table);

    // Indexed under eventName, the rule is a candidate even when the attribute is absent.
    const candidates = index.candidates(view.reset({ eventName: 'ModifySnapshotAttribute' }));
    expect(candidates).toEqual(['attribute rule']);
    expect(index.candidates(view.reset({ eventName: 'GetObject' }))).toEqual(['name rule']);
  });

  test('merged candidates keep insertion order', () => {
    const table = new FieldTable();
    const index = new PrefilterIndex<string>(table);
    index.add('always', []);
    index.add('by source', [requirement('eventSource', 's3.amazonaws.com')]);
    index.add('by name', [requirement('eventName', 'getobject', 'putobject')]);
    index.add('by source too', [requirement('eventSource', 's3.amazonaws.com')]);
    const view = new RecordView(table);
    const record = { eventSource: 'S3.amazonaws.com', eventName: 'GetObject' };

    const first = index.candidates(view.reset(record));
    expect(first).toEqual(['always', 'by source', 'by name', 'by source too']);
    expect(index.candidates(view.reset({ ...record }))).toBe(first);
    expect(index.candidates(view.reset({ eventName: ['GetObject', 'PutObject'] }))).toEqual([
      'always',
      'by name',
    ]);
    expect(index.candidates(view.reset({ eventName: 'ListBuckets' }))).toEqual(['always']);
  });
});

describe('RuleSet with shared views', () => {
  test('agrees with explanations on cloud rules', { timeout: 120_000 }, async () => {
    const loaded = await loadRules([CLOUD_RULES, 'rules']);
    // Without correlations every detection rule reports its own matches.
    const detections = loaded.rules.filter((rule) => rule.kind === 'detection');
    const set = new RuleSet(detections, {
      placeholders: { Legitimate_Countries: ['DE'], Legitimate_IP_Ranges: ['10.*'] },
    });
    const aws = new Set(
      detections
        .filter((rule) => rule.logsource.product?.toLowerCase() === 'aws')
        .map((rule) => rule.id),
    );
    const ids = set
      .meta()
      .map((rule) => rule.id)
      .filter((id) => aws.has(id));
    expect(ids.length).toBeGreaterThan(100);

    const otrf = JSON.parse(await readFile(OTRF_RECORDS, 'utf8')) as {
      Records: Record<string, unknown>[];
    };
    const records = [...otrf.Records, ...generateBenignRecords({ count: 1500, seed: 7 })];
    let matched = 0;
    for (const [i, record] of records.entries()) {
      const event = cloudtrailEvent(record, `test:${i}`);
      const got = set.match(event).map((match) => match.rule_id);
      const expected = ids.filter((id) => set.explainRecord(id, record) !== null);
      expect({ record: i, rules: got }).toEqual({ record: i, rules: expected });
      matched += got.length;
    }
    expect(matched).toBeGreaterThan(100);
  });
});
