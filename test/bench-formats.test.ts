import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFlowLogFiles } from '../bench/flow-files.ts';
import { FORMATS_FLAGS, formatsOptionsOf } from '../bench/formats.ts';
import { FLOW_HEADER } from '../bench/generate/index.ts';
import { parseStream } from '../bench/parse-stage.ts';
import { deliveryOf, vpcFlow } from '../src/sources/vpc-flow.ts';

const defaults = {
  'format-records': FORMATS_FLAGS['format-records'].default,
  'flow-lines': FORMATS_FLAGS['flow-lines'].default,
};

describe('per-format benchmark flags', () => {
  it('default to 200,000 records and two flow sizes', () => {
    const options = formatsOptionsOf(defaults, 1, false);
    expect(options.records).toBe(200_000);
    expect(options.flowLines).toEqual([200_000, 1_000_000]);
    expect(options.formats).toBeNull();
  });

  it('reject an unknown format and a bad count', () => {
    expect(() => formatsOptionsOf({ ...defaults, formats: 'aws.nope' }, 1, false)).toThrow(
      /unknown format in --formats: aws\.nope/,
    );
    expect(() => formatsOptionsOf({ ...defaults, 'flow-lines': '10,x' }, 1, false)).toThrow(
      /invalid --flow-lines value: x/,
    );
  });
});

describe('flow log delivery files', () => {
  let dir = '';
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('split one stream of flows into headed gzip files', async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'cloudcase-flow-files-'));
    const written = await writeFlowLogFiles(dir, 250, 3, 100);
    expect(written.files).toBe(3);

    const names = (await readdir(dir)).sort();
    expect(names).toHaveLength(3);
    let previousEnd = 0;
    let events = 0;
    for (const name of names) {
      expect(deliveryOf(name.replace(/\.gz$/, ''))).toEqual({
        account: '123456789012',
        region: 'us-east-1',
      });
      const text = gunzipSync(await readFile(join(dir, name))).toString('utf8');
      expect(text.startsWith(`${FLOW_HEADER}\n`)).toBe(true);
      const firstEnd = Number(text.split('\n')[1]?.split(' ')[11]);
      expect(firstEnd).toBeGreaterThanOrEqual(previousEnd);
      previousEnd = firstEnd;

      const context = { timezone: 'UTC', fileName: name.replace(/\.gz$/, '') };
      const counts = await parseStream(vpcFlow, Readable.from([text]), context);
      expect(counts.rejected).toBe(0);
      events += counts.events;
    }
    expect(events).toBe(250);
  });
});
