import { describe, expect, it } from 'vitest';
import { detectFormat } from './index.ts';
import { journald } from './journald.ts';
import { ingestText } from './test-ingest.ts';

const ENTRY = {
  __REALTIME_TIMESTAMP: '1714550400123456',
  _HOSTNAME: 'web1',
  SYSLOG_IDENTIFIER: 'sshd',
  _PID: '811',
  PRIORITY: '6',
  MESSAGE: 'Failed password for invalid user admin from 203.0.113.9 port 40022 ssh2',
};

describe('journald exports', () => {
  it('reads an sshd entry as a failed sign-in with user and address', async () => {
    const text = JSON.stringify(ENTRY);
    expect(detectFormat(Buffer.from(text), 'journal.json')?.id).toBe('host.journald');

    const { events } = await ingestText(journald, text);
    expect(events[0]).toMatchObject({
      time: '2024-05-01T08:00:00.123Z',
      source: 'host.syslog',
      status: 'failure',
      status_detail: 'invalid user',
      actor: { uid: 'admin' },
      src: { ip: '203.0.113.9', port: 40022 },
      dst: { domain: 'web1' },
    });
    expect(events[0]?.raw).toEqual(ENTRY);
  });

  it('decodes a byte-array message and rejects entries without time or message', async () => {
    const bytes = [...Buffer.from('hello \u00e9')];
    const lines = [
      { ...ENTRY, MESSAGE: bytes },
      { ...ENTRY, __REALTIME_TIMESTAMP: undefined },
      { ...ENTRY, MESSAGE: { nested: true } },
    ].map((entry) => JSON.stringify(entry));
    const { events, rejected } = await ingestText(journald, lines.join('\n'));

    expect(events.map((event) => event.raw.MESSAGE)).toEqual([bytes]);
    expect(events[0]?.message).toBe('web1 sshd: hello \u00e9');
    expect(rejected.map((entry) => entry.code)).toEqual(['missing_time', 'missing_message']);
  });
});
