/**
 * Console sign-in without MFA by a user whose earlier sign-ins in the case used MFA: the trace
 * of a stolen password used by someone who does not hold the MFA device. Unlike the Sigma rule
 * for any sign-in without MFA, this one stays quiet for users who never use MFA.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EventMatch, RuleMeta } from '../detect/types.ts';
import { isoFromEpochMs } from './sql-values.ts';
import type { Analytic } from './types.ts';

/** Thresholds of the analytic. Every field has a default. */
export interface ConsoleMfaOptions {
  /** Earlier successful sign-ins with MFA the user must have. Default 3. */
  minMfaLogins?: number;
  /** Minimum share of the user's earlier successful sign-ins that used MFA, 0 to 1. Default 0.9. */
  minMfaShare?: number;
}

const DEFAULTS: Required<ConsoleMfaOptions> = { minMfaLogins: 3, minMfaShare: 0.9 };

/** Rule id of the analytic, stable across releases. */
export const CONSOLE_MFA_ID = 'c46b013c-c995-4f5d-be54-5a05ab4ba20d';

function consoleMfaMeta(settings: Required<ConsoleMfaOptions>): RuleMeta {
  return {
    id: CONSOLE_MFA_ID,
    title: 'Console Login Without MFA by a User Who Normally Uses MFA',
    level: 'medium',
    description:
      'Successful AWS Management Console sign-in without MFA by an IAM user or the root user ' +
      `who had at least ${settings.minMfaLogins} earlier successful sign-ins with MFA in this ` +
      `case, making up at least ${Math.round(settings.minMfaShare * 100)}% of their earlier ` +
      'successful sign-ins. Federated sessions are left out because their MFA happens at the ' +
      'identity provider.',
    tactics: ['initial-access'],
    techniques: ['T1078.004'],
    tags: ['attack.initial-access', 'attack.t1078.004'],
    falsepositives: ['A user who lost their MFA device and had it removed by an administrator'],
    file: 'src/analyze/console-login-without-usual-mfa.ts',
  };
}

// The window frame ends one row before the current one, so the counts cover earlier sign-ins
// only. Sign-ins whose log does not say whether MFA was used (actor_mfa NULL) count for neither
// side.
const SQL = `WITH logins AS (
  SELECT uid, time, actor_uid, actor_mfa
  FROM events
  WHERE api_service = 'signin.amazonaws.com' AND api_operation = 'ConsoleLogin'
    AND status = 'success' AND actor_type IN ('IAMUser', 'Root')
    AND actor_uid IS NOT NULL AND actor_mfa IS NOT NULL
),
history AS (
  SELECT *,
    coalesce(sum(CAST(actor_mfa AS INTEGER)) OVER earlier, 0) AS prior_mfa,
    count(*) OVER earlier AS prior_logins
  FROM logins
  WINDOW earlier AS (PARTITION BY actor_uid ORDER BY time, uid
    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
)
SELECT uid, epoch_ms(time) AS time_ms
FROM history
WHERE NOT actor_mfa AND prior_mfa >= $min_logins AND prior_mfa >= $min_share * prior_logins
ORDER BY time, uid`;

/** Builds the analytic with the given thresholds. */
export function consoleLoginWithoutUsualMfa(options: ConsoleMfaOptions = {}): Analytic {
  const settings = { ...DEFAULTS, ...options };

  return {
    meta: consoleMfaMeta(settings),
    run: (connection) => findLogins(connection, settings),
  };
}

async function findLogins(
  connection: DuckDBConnection,
  settings: Required<ConsoleMfaOptions>,
): Promise<EventMatch[]> {
  const reader = await connection.runAndReadAll(SQL, {
    min_logins: settings.minMfaLogins,
    min_share: settings.minMfaShare,
  });

  return reader.getRowObjectsJS().map((row) => ({
    rule_id: CONSOLE_MFA_ID,
    event_uid: String(row.uid),
    time: isoFromEpochMs(row.time_ms),
  }));
}
