import { describe, expect, it } from 'vitest';
import { GENERATORS, toReadable } from '../bench/generate/index.ts';
import { formatOf, runParseStage } from '../bench/parse-stage.ts';
import { detectFormat, FORMATS } from '../src/sources/index.ts';

const COUNT = 300;

/** Returns the first 64 KiB of a generator's output, the head that format detection reads. */
async function head(pieces: Iterable<string>): Promise<Buffer> {
  for await (const chunk of toReadable(pieces)) return (chunk as Buffer).subarray(0, 64 * 1024);
  return Buffer.alloc(0);
}

describe('benchmark log generators', () => {
  it('cover every format that yields events', () => {
    // A CloudTrail digest file lists log files and holds no activity to count.
    const withEvents = FORMATS.filter((format) => format.id !== 'aws.cloudtrail.digest');
    expect(GENERATORS.map((generator) => generator.format)).toEqual(
      withEvents.map((format) => format.id),
    );
  });

  for (const generator of GENERATORS) {
    it(`${generator.format} output is detected and normalizes cleanly`, async () => {
      const text = await head(generator.pieces(COUNT, 7));
      expect(detectFormat(text, generator.fileName)?.id).toBe(formatOf(generator).id);

      const counts = await runParseStage(generator, COUNT, 7);
      expect(counts.rejectionCodes).toEqual({});
      expect(counts.events).toBeGreaterThanOrEqual(COUNT);
    });
  }

  it('vary with the seed', async () => {
    const [first] = GENERATORS;
    const a = await head(first!.pieces(20, 1));
    const b = await head(first!.pieces(20, 2));
    expect(a.equals(b)).toBe(false);
  });
});
