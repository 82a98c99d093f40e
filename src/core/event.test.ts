import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventUid, MAX_UID_MEMBER_LENGTH } from './event.ts';

const SHA = '0123456789abcdef'.repeat(4);

describe('eventUid', () => {
  it('joins the hash prefix, the member and the record index', () => {
    expect(eventUid({ sha256: SHA, member: null, record: 7, offset: 0 })).toBe(
      '0123456789abcdef:7',
    );
    expect(eventUid({ sha256: SHA, member: 'logs/a.json', record: 7, offset: 0 })).toBe(
      '0123456789abcdef:logs/a.json#7',
    );
  });

  it('keeps a member name up to the limit whole', () => {
    const member = 'm'.repeat(MAX_UID_MEMBER_LENGTH);

    expect(eventUid({ sha256: SHA, member, record: 0, offset: 0 })).toBe(
      `0123456789abcdef:${member}#0`,
    );
  });

  it('puts a digest in place of a longer member name', () => {
    const first = `${'m'.repeat(MAX_UID_MEMBER_LENGTH)}/first.json`;
    const second = `${'m'.repeat(MAX_UID_MEMBER_LENGTH)}/second.json`;
    const digest = createHash('sha256').update(first).digest('hex').slice(0, 32);

    const uids = [first, second, first].map((member, record) =>
      eventUid({ sha256: SHA, member, record, offset: 0 }),
    );

    expect(uids[0]).toBe(`0123456789abcdef:~${digest}#0`);
    expect(uids[1]).not.toContain(digest);
    expect(uids[2]).toBe(`0123456789abcdef:~${digest}#2`);
  });

  it('keeps digest-like member names apart', () => {
    const long = `${'m'.repeat(MAX_UID_MEMBER_LENGTH)}/long.json`;
    const digest = createHash('sha256').update(long).digest('hex').slice(0, 32);
    const lookalike = `~${digest}`;

    const longUid = eventUid({ sha256: SHA, member: long, record: 0, offset: 0 });
    const lookalikeUid = eventUid({ sha256: SHA, member: lookalike, record: 0, offset: 0 });

    expect(lookalikeUid).not.toBe(longUid);
    expect(lookalikeUid).toMatch(/^0123456789abcdef:~[0-9a-f]{32}#0$/);
  });
});
