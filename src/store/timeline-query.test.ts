import { describe, expect, it } from 'vitest';
import { timelineCondition } from './timeline-query.ts';

describe('timelineCondition', () => {
  it('joins the uids of long actors as a set', () => {
    const uids = Array.from({ length: 3 }, (_, i) => `0123456789abcdef:${i}`);

    const condition = timelineCondition({ actor: 'mallory', actorUids: uids });

    // A per-row list scan costs rows times uids; a join of the unnested list costs rows plus uids.
    expect(condition.where).toContain('uid IN (SELECT unnest($actor_uids))');
    expect(condition.where).not.toContain('list_contains');
  });
});
