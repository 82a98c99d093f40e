/** An attacker identity and the clock its calls share. */
import type { UserIdentity } from './identity.ts';
import type { Random } from './random.ts';
import type { ApiCall } from './record.ts';

/** An attacker identity, where its calls come from, and the clock all attacker calls share. */
export interface Operator {
  identity: UserIdentity;
  arn: string;
  ip: string;
  agent: (command: string) => string;
  clock: { now: number };
  rng: Random;
}

/** Builds a call by `op` at its clock, then advances the clock by a few seconds. */
export function callBy(
  op: Operator,
  command: string,
  call: Omit<ApiCall, 'time' | 'identity' | 'ip' | 'userAgent'>,
): ApiCall {
  const built: ApiCall = {
    ...call,
    time: op.clock.now,
    identity: op.identity,
    ip: op.ip,
    userAgent: op.agent(command),
  };
  op.clock.now += op.rng.int(700, 6_000);
  return built;
}

/** Builds an AccessDenied error as IAM words it. */
export function denied(
  arn: string,
  action: string,
  code = 'AccessDenied',
): { code: string; message: string } {
  return {
    code,
    message: `User: ${arn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`,
  };
}
