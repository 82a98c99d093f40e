import { describe, expect, it } from 'vitest';
import type { Event, Status } from '../core/event.ts';
import type { EventMatch } from '../detect/types.ts';
import { testEvent } from '../store/test-events.ts';
import { CONSOLE_MFA_ID, consoleLoginWithoutUsualMfa } from './console-login-without-usual-mfa.ts';
import { at, onEvents } from './test-case.ts';

interface Login {
  day: number;
  mfa: boolean | null;
  user?: string;
  type?: string;
  status?: Status;
}

/** Builds console sign-ins at 08:30 on the given days, one record number each. */
function logins(list: Login[]): Event[] {
  return list.map((login, index) => {
    const base = testEvent(index);
    const user = login.user ?? 'alice';
    return {
      ...base,
      time: at(login.day * 24 + 8.5),
      status: login.status ?? 'success',
      actor: {
        ...base.actor,
        uid: `arn:aws:iam::111122223333:user/${user}`,
        name: user,
        type: login.type ?? 'IAMUser',
        access_key: null,
        mfa: login.mfa,
      },
      api: { ...base.api, service: 'signin.amazonaws.com', operation: 'ConsoleLogin' },
    };
  });
}

const withMfa = (days: number, user?: string): Login[] =>
  Array.from({ length: days }, (_, day) => ({ day, mfa: true, ...(user ? { user } : {}) }));

async function matchesFor(events: Event[]): Promise<EventMatch[]> {
  const analytic = consoleLoginWithoutUsualMfa();
  return onEvents(events, (connection) => analytic.run(connection)) as Promise<EventMatch[]>;
}

describe('console login without the usual MFA', () => {
  it('flags a sign-in without MFA after sign-ins with MFA', async () => {
    const events = logins([...withMfa(4), { day: 4, mfa: false }]);

    const matches = await matchesFor(events);

    expect(matches).toEqual([
      { rule_id: CONSOLE_MFA_ID, event_uid: events[4]?.uid, time: at(4 * 24 + 8.5) },
    ]);
  });

  it('ignores a user who never uses MFA', async () => {
    const never = Array.from({ length: 5 }, (_, day) => ({ day, mfa: false }));

    expect(await matchesFor(logins(never))).toEqual([]);
  });

  it('ignores a user with too few sign-ins with MFA', async () => {
    expect(await matchesFor(logins([...withMfa(2), { day: 2, mfa: false }]))).toEqual([]);
  });

  it('stops flagging once sign-ins without MFA are common', async () => {
    const mixed = [...withMfa(6), { day: 6, mfa: false }, { day: 7, mfa: false }];

    const matches = await matchesFor(logins(mixed));

    // The first sign-in without MFA follows six with MFA; after it, MFA is only 6 of 7 (86%).
    expect(matches).toHaveLength(1);
    expect(matches[0]?.time).toBe(at(6 * 24 + 8.5));
  });

  it('ignores failed and federated sign-ins', async () => {
    const events = logins([
      ...withMfa(4),
      { day: 4, mfa: false, status: 'failure' },
      { day: 5, mfa: false, type: 'AssumedRole' },
    ]);

    expect(await matchesFor(events)).toEqual([]);
  });

  it('keeps users apart', async () => {
    const events = logins([...withMfa(4), { day: 4, mfa: false, user: 'bob' }]);

    expect(await matchesFor(events)).toEqual([]);
  });

  it('ignores sign-ins that do not say whether MFA was used', async () => {
    const events = logins([...withMfa(4), { day: 4, mfa: null }, { day: 5, mfa: false }]);

    const matches = await matchesFor(events);

    expect(matches.map((match) => match.event_uid)).toEqual([events[5]?.uid]);
  });
});
