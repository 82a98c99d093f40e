import { describe, expect, it } from 'vitest';
import { detectFormat } from './index.ts';
import { oktaSystemLog } from './okta.ts';
import { ingestText, pantherLogs } from './test-ingest.ts';

const LOGIN = {
  uuid: 'e1',
  published: '2024-04-02T19:17:37.621Z',
  eventType: 'user.session.start',
  displayMessage: 'User login to Okta',
  actor: { id: '00u1', type: 'User', alternateId: 'casey@example.com', displayName: 'Casey' },
  client: { ipAddress: '99.108.5.25', userAgent: { rawUserAgent: 'Mozilla/5.0' } },
  outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' },
  authenticationContext: { externalSessionId: 'sess-1' },
  target: [{ id: '0oa1', type: 'AppInstance', alternateId: 'Salesforce' }],
};

describe('Okta System Log', () => {
  it('reads a failed sign-in with the user, session, address and reason', async () => {
    const text = JSON.stringify([LOGIN]);
    expect(detectFormat(Buffer.from(text), 'okta.json')?.id).toBe('okta.system');

    const { events } = await ingestText(oktaSystemLog, text);
    expect(events[0]).toMatchObject({
      time: '2024-04-02T19:17:37.621Z',
      source: 'okta.system',
      category: 'identity',
      class_name: 'Authentication',
      activity: 'Logon',
      status: 'failure',
      status_detail: 'INVALID_CREDENTIALS',
      actor: { uid: 'casey@example.com', name: 'Casey', session: 'sess-1' },
      src: { ip: '99.108.5.25' },
      user_agent: 'Mozilla/5.0',
      api: { operation: 'user.session.start' },
      resources: [{ uid: 'Salesforce', type: 'AppInstance' }],
    });
  });

  it('reads the Panther Okta test events, rejecting those without a usable time', async () => {
    const { events, rejected } = await ingestText(oktaSystemLog, pantherLogs('Okta.SystemLog'));

    expect(events.length + rejected.length).toBe(66);
    expect(events.length).toBeGreaterThanOrEqual(58);
    expect(new Set(rejected.map((entry) => entry.code))).toEqual(
      new Set(['missing_time', 'invalid_time']),
    );
  });
});
