import { describe, expect, it } from 'vitest';
import { githubAudit } from './github-audit.ts';
import { detectFormat } from './index.ts';
import { ingestText, pantherLogs } from './test-ingest.ts';

describe('GitHub audit log', () => {
  it('reads a streamed event with its actor, address, token and repository', async () => {
    const event = {
      '@timestamp': 1714600000123,
      _document_id: 'doc-1',
      action: 'git.clone',
      actor: 'mallory',
      actor_ip: '203.0.113.50',
      org: 'acme',
      repo: 'acme/payments',
      token_id: 42,
      user_agent: 'git/2.44.0',
    };
    const text = JSON.stringify(event);
    expect(detectFormat(Buffer.from(text), 'audit.json')?.id).toBe('github.audit');

    const { events } = await ingestText(githubAudit, text);
    expect(events[0]).toMatchObject({
      time: '2024-05-01T21:46:40.123Z',
      source: 'github.audit',
      category: 'storage',
      activity: 'Read',
      actor: { uid: 'mallory', access_key: '42', account: 'acme' },
      src: { ip: '203.0.113.50' },
      api: { operation: 'git.clone', request_id: 'doc-1', read_only: true },
      resources: [{ uid: 'acme/payments', type: 'repository' }],
      message: 'mallory git.clone on acme/payments from 203.0.113.50',
    });
  });

  it('reads the Panther GitHub test events, rejecting those without a usable time', async () => {
    const { events, rejected } = await ingestText(githubAudit, pantherLogs('GitHub.Audit'));

    expect(events.length + rejected.length).toBe(101);
    expect(events.length).toBeGreaterThanOrEqual(70);
    const member = events.find((entry) => entry.api.operation === 'org.add_member');
    expect(member?.category).toBe('identity');
    for (const entry of rejected) {
      expect(['missing_time', 'invalid_time', 'not_github_audit']).toContain(entry.code);
    }
  });
});
