import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { silentLogger } from '../src/core/logger.ts';
import { startWorkbench } from '../src/server/workbench.ts';
import { runCli, tempDir } from './support/cli.ts';
import { send } from './support/workbench.ts';

// A member name of 251 characters, which an event uid still contains whole: the uid has 270.
const MEMBER = `export/${'AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/'.repeat(5)}`.slice(
  0,
  240,
);
const NAME = `${MEMBER}/trail.json`;

async function zipOf(name: string, text: string): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(text), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('workbench on events of a zip member with a long name', () => {
  it('shows and marks a long-uid event', async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'long-member.zip');
    const caseDir = path.join(dir, 'case');
    const record = {
      eventVersion: '1.08',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
      eventTime: '2024-03-01T10:00:00Z',
      eventSource: 'iam.amazonaws.com',
      eventName: 'ListUsers',
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.10',
      eventID: 'e-1',
      eventType: 'AwsApiCall',
      recipientAccountId: '111122223333',
    };
    await writeFile(input, await zipOf(NAME, JSON.stringify({ Records: [record] })));
    const investigate = await runCli(['investigate', input, '--case', caseDir]);
    expect(investigate.code, investigate.stderr).toBe(0);

    const bench = await startWorkbench({
      caseDir,
      host: '127.0.0.1',
      port: 0,
      analyst: 'analyst@example.org',
      logger: silentLogger(),
    });
    const headers = { cookie: `${bench.cookieName}=${bench.token}` };
    try {
      const search = await send(bench.origin, '/api/timeline?limit=1', { headers });
      const uid = (JSON.parse(search.body) as { events: { uid: string }[] }).events[0]?.uid ?? '';
      const detail = await send(bench.origin, `/api/event?uid=${encodeURIComponent(uid)}`, {
        headers,
      });
      const mark = await send(bench.origin, '/api/marks', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ uid, kind: 'tag', value: 'reviewed' }),
      });

      expect(uid).toContain(NAME);
      expect(uid.length).toBeGreaterThan(250);
      expect(detail.status, detail.body).toBe(200);
      expect(detail.body).toContain('e-1');
      expect(mark.status, mark.body).toBeLessThan(300);
    } finally {
      await bench.close();
    }
  }, 120_000);
});
