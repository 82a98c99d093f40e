import { type Actor, emptyActor } from '../core/event.ts';
import { isObject, type JsonObject } from './cloudtrail-unwrap.ts';

/** Returns the value when it is a string, else `null`. */
export function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Reads a boolean that CloudTrail writes as `true`, `"true"`, `"Yes"` and the like. */
export function flag(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return null;

  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'yes') return true;
  if (lower === 'false' || lower === 'no') return false;

  return null;
}

/**
 * Maps CloudTrail `userIdentity` to the actor. For assumed roles and federated users the session
 * ARN is both the uid and the session, so activity of one session stitches together; the role
 * itself stays in `userIdentity.sessionContext.sessionIssuer.arn` of the raw record.
 */
export function actorOf(record: JsonObject): Actor {
  const actor = emptyActor();
  const identity = record.userIdentity;
  if (!isObject(identity)) return actor;

  const type = text(identity.type);
  const arn = text(identity.arn);
  const invokedBy = text(identity.invokedBy);
  actor.type = type;
  actor.access_key = text(identity.accessKeyId);
  actor.account = text(identity.accountId);
  actor.invoked_by = invokedBy;
  actor.mfa = mfaOf(record, identity);

  if (type === 'AWSService') {
    actor.uid = invokedBy ?? text(identity.principalId);
    actor.name = invokedBy;
    return actor;
  }

  // Anonymous S3 requests carry an empty principalId beside `accountId: ANONYMOUS_PRINCIPAL`.
  const principalId = text(identity.principalId) || null;
  const account = type === 'AWSAccount' ? text(identity.accountId) : null;
  actor.uid = arn ?? principalId ?? text(identity.userName) ?? account;
  actor.name = nameOf(type, identity, arn);
  if (type === 'AssumedRole' || type === 'FederatedUser') actor.session = arn;
  // Some service events, such as SharedSnapshotVolumeCreated, carry only `accountId` and
  // `invokedBy`, so the invoking service is the only principal named.
  if (actor.uid === null && invokedBy !== null) {
    actor.uid = invokedBy;
    actor.name = invokedBy;
    actor.type = type ?? 'AWSService';
  }

  return actor;
}

function nameOf(type: string | null, identity: JsonObject, arn: string | null): string | null {
  const userName = text(identity.userName);
  if (userName !== null) return userName;
  if (type === 'Root') return 'root';
  // Session ARNs end in the session name: `assumed-role/<role>/<session>`, `federated-user/<name>`.
  if ((type === 'AssumedRole' || type === 'FederatedUser') && arn !== null) {
    return arn.slice(arn.lastIndexOf('/') + 1) || null;
  }
  if (type === 'AWSAccount') return text(identity.accountId);

  return text(identity.principalId);
}

// Console sign-ins say in additionalEventData.MFAUsed; API calls in the session context.
function mfaOf(record: JsonObject, identity: JsonObject): boolean | null {
  const context = identity.sessionContext;
  const attributes = isObject(context) ? context.attributes : undefined;
  const fromSession = isObject(attributes) ? flag(attributes.mfaAuthenticated) : null;
  if (record.eventName !== 'ConsoleLogin') return fromSession;

  const additional = record.additionalEventData;
  const fromSignIn = isObject(additional) ? flag(additional.MFAUsed) : null;

  return fromSignIn ?? fromSession;
}
