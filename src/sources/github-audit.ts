import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Category,
  type Event,
  type EvidenceRef,
  emptyActor,
  emptyEndpoint,
  eventUid,
  type Resource,
} from '../core/event.ts';
import { isObject } from './cloudtrail-unwrap.ts';
import { scanJsonRecords } from './json-records.ts';
import { clipPart } from './message.ts';
import { field, stringField } from './record-fields.ts';
import { parseTimestamp } from './time.ts';
import type { NormalizeError, RecordResult, SourceFormat } from './types.ts';

const ACTION = /"action"\s*:\s*"[a-z_]+\.[a-z_.]+"/;
const COMPANIONS = /"(actor|_document_id|created_at|@timestamp|org|business)"\s*:/g;

const CATEGORIES: [RegExp, Category][] = [
  [
    /^(org|team|business|oauth_\w+|personal_access_token|ssh_key|two_factor_authentication|user|org_credential_authorization|public_key|deploy_key|integration_installation)\./,
    'identity',
  ],
  [/^(git|repo\.download_zip)\b/, 'storage'],
  [
    /^(secret_scanning|repository_secret|environment_secret|org_secret|codespaces_secret)/,
    'secrets',
  ],
];

/**
 * GitHub organization and enterprise audit log events, as the REST API returns them (a JSON
 * array), as audit log streaming writes them (JSON lines) and as the web export downloads them.
 */
export const githubAudit: SourceFormat = {
  id: 'github.audit',
  description: 'GitHub organization and enterprise audit log (API, streaming, export)',
  example: 'export-my-org-1714600000.json',
  logCategory: 'audit',
  alsoCovers: ['identity', 'secrets', 'storage'],
  sniff: (head: Buffer): number => {
    const text = head.toString('latin1');
    const first = text.trimStart()[0];
    if (first !== '{' && first !== '[') return 0;
    if (!ACTION.test(text)) return 0;
    const companions = new Set([...text.matchAll(COMPANIONS)].map((match) => match[1]));
    return companions.size >= 2 ? 0.85 : 0;
  },
  records: (input: Readable): AsyncIterable<RecordResult> => scanJsonRecords(input),
  normalize: normalizeGithubAudit,
};

/** Maps one GitHub audit log event to an event. */
export function normalizeGithubAudit(value: unknown, ref: EvidenceRef): Event | NormalizeError {
  if (!isObject(value)) return notGithub('the record is not a JSON object');
  const action = stringField(value, 'action');
  if (action === null || !action.includes('.')) return notGithub('the record has no action');

  const found = field(value, '@timestamp', 'at_sign_timestamp', 'created_at', 'p_event_time');
  if (found === undefined)
    return { code: 'missing_time', reason: 'the event has no @timestamp or created_at' };
  const time = parseTimestamp(found);
  if (time === null)
    return { code: 'invalid_time', reason: 'the event time is not a valid timestamp' };

  const actor = emptyActor();
  actor.uid = stringField(value, 'actor');
  actor.name = actor.uid;
  actor.type = value.actor_is_bot === true ? 'Bot' : actor.uid === null ? null : 'User';
  actor.access_key = stringField(value, 'token_id') ?? stringField(value, 'hashed_token');
  actor.account = stringField(value, 'org') ?? stringField(value, 'business');
  const src = emptyEndpoint();
  const address = stringField(value, 'actor_ip');
  if (address !== null && isIP(address) !== 0) src.ip = address;

  const resources: Resource[] = [];
  const repo = stringField(value, 'repo', 'repository');
  if (repo !== null) resources.push({ uid: repo, type: 'repository' });
  const user = stringField(value, 'user');
  if (user !== null) resources.push({ uid: user, type: 'user' });
  const category = CATEGORIES.find(([pattern]) => pattern.test(action))?.[1] ?? 'audit';
  const verb = action.split('.').pop() ?? '';

  return {
    uid: eventUid(ref),
    time,
    source: 'github.audit',
    category,
    class_uid: 6003,
    class_name: 'API Activity',
    activity: /^(create|add|\w*_add)/.test(verb)
      ? 'Create'
      : /^(destroy|remove|delete)/.test(verb)
        ? 'Delete'
        : /^(clone|fetch|download)/.test(verb)
          ? 'Read'
          : 'Update',
    // The audit log records actions that took place.
    status: 'success',
    status_detail: null,
    actor,
    src,
    dst: emptyEndpoint(),
    user_agent: stringField(value, 'user_agent'),
    cloud: { provider: 'other', account: actor.account, region: null },
    api: {
      service: 'github',
      operation: action,
      request_id: stringField(value, '_document_id', 'request_id'),
      read_only: category === 'storage' && /clone|fetch|download/.test(verb),
    },
    resources,
    message: `${clipPart(actor.uid ?? 'unknown actor')} ${clipPart(action)}${repo === null ? '' : ` on ${clipPart(repo)}`}${src.ip === null ? '' : ` from ${src.ip}`}`,
    tags: [],
    evidence: ref,
    raw: value,
  };
}

function notGithub(reason: string): NormalizeError {
  return { code: 'not_github_audit', reason };
}
