import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { failureMessage, ParserThread } from './parser-thread.ts';

describe('ParserThread', () => {
  test('failure names the step', async () => {
    const thread = await ParserThread.start([], { timezone: 'UTC' });
    try {
      const input = { path: 'input.json', sha256: '0'.repeat(64), member: null };
      const sink = { onBatch: async () => {} };
      const parsing = thread.parse('no-such-format', Readable.from([]), input, sink);

      await expect(parsing).rejects.toMatchObject({ code: 'parser_failed' });
      await expect(parsing).rejects.toThrow(
        'the parser thread failed while parsing a stream (run with -v to log the cause); ' +
          'the ingest stays partial and the next run resumes it',
      );
      await expect(parsing).rejects.toMatchObject({
        cause: { message: 'unknown format no-such-format' },
      });
    } finally {
      await thread.close();
    }
  });
});

describe('failureMessage', () => {
  const outOfMemory = new Error(
    'Out of Memory Error: could not allocate block of size 256.0 KiB (61.0 MiB/61.0 MiB used)' +
      '\n\nPossible solutions:\n* Reducing the number of threads (SET threads=X)',
  );

  test('shows an out-of-memory cause', () => {
    expect(failureMessage(outOfMemory, 'correlations')).toBe(
      'the parser thread failed while evaluating correlations: Out of Memory Error: could not ' +
        'allocate block of size 256.0 KiB (61.0 MiB/61.0 MiB used); the ingest stays partial ' +
        'and the next run resumes it',
    );
  });

  test('hides other causes', () => {
    const message = failureMessage(new Error('Unexpected token "secret"'), 'parse');

    expect(message).not.toContain('secret');
    expect(message).toContain('(run with -v to log the cause)');
  });

  test('shows a cause marked as shown', () => {
    const message = failureMessage(new Error('it exited with code 1'), null, true);

    expect(message).toContain('the parser thread failed: it exited with code 1;');
  });
});
