/**
 * Load balancer log records as JSON objects, one per record, as query engines and log shippers
 * export them. Keys are compared without case, `_`, `-` and `:`, so the AWS field names
 * (`elb_status_code`), their camelCase (`elbStatusCode`) and the column names of Athena's
 * tables for ALB, NLB and Classic Load Balancer logs all read. Athena splits an endpoint into
 * `client_ip` and `client_port` and the request into `request_verb`, `request_url` and
 * `request_proto`; these are joined back into the fields a text line gives.
 */
import { ELB_TEXT_FIELDS } from './elb-layouts.ts';

/** Text field names by compacted key, for the keys that differ only in spelling. */
const DIRECT_NAMES: ReadonlyMap<string, string> = new Map(
  ELB_TEXT_FIELDS.filter((name) => !name.includes(':')).map((name) => [compact(name), name]),
);

/** Keys of other renderings, by compacted key, with the text field they stand for. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['timestamp', 'time'],
  ['requesttimestamp', 'time'],
  ['elbname', 'elb'],
  ['listenerid', 'listener'],
  ['clientresponsetime', 'response_processing_time'],
  ['elbresponsecode', 'elb_status_code'],
  ['backendresponsecode', 'backend_status_code'],
  ['lambdaerrorreason', 'error_reason'],
  ['targetportlist', 'target:port_list'],
]);

/** Endpoint fields of the text layouts, each from an address key and a port key. */
const ENDPOINTS: readonly { field: string; ip: string[]; port: string[] }[] = [
  { field: 'client:port', ip: ['clientip', 'requestip'], port: ['clientport', 'requestport'] },
  { field: 'target:port', ip: ['targetip'], port: ['targetport'] },
  { field: 'backend:port', ip: ['backendip'], port: ['backendport'] },
  { field: 'destination:port', ip: ['destinationip'], port: ['destinationport'] },
];

const REQUEST_PARTS = {
  method: ['requestverb', 'requestmethod', 'requesthttpmethod'],
  url: ['requesturl', 'requesturi', 'url'],
  protocol: ['requestproto', 'requesthttpversion', 'protocol'],
};

// Keys that only load balancer records have: the HTTP logs' status fields, the NLB's TLS
// handshake time and the connection log's verify status.
const ELB_KEYS =
  /"(elb_?status_?code|elbStatusCode|elb_response_code|tls_handshake_time|tlsHandshakeTime|tls_verify_status|tlsVerifyStatus)"\s*:/;
const ELB_NAME_KEYS = /"(elb|elb_name|elbName|time|timestamp|request_timestamp)"\s*:/;

function compact(name: string): string {
  return name.toLowerCase().replace(/[-_:]/g, '');
}

/** Scores how much the first bytes of a JSON stream look like load balancer log records. */
export function sniffElbJson(textHead: string): number {
  return ELB_KEYS.test(textHead) && ELB_NAME_KEYS.test(textHead) ? 0.85 : 0;
}

/**
 * Maps a JSON load balancer record to the text fields a log line gives (`client:port`,
 * `request`, `elb_status_code`), with numbers written as text. Returns `null` when the record
 * has neither a time nor a load balancer name.
 */
export function elbFieldsOfJson(record: Record<string, unknown>): Record<string, string> | null {
  const byKey = new Map<string, string>();
  for (const [key, value] of Object.entries(record)) {
    const text = textOf(value);
    if (text !== null && !byKey.has(compact(key))) byKey.set(compact(key), text);
  }

  const fields: Record<string, string> = {};
  for (const [key, text] of byKey) {
    const name = DIRECT_NAMES.get(key) ?? ALIASES.get(key);
    if (name !== undefined && fields[name] === undefined) fields[name] = text;
  }
  for (const endpoint of ENDPOINTS) {
    const ip = firstText(byKey, endpoint.ip);
    if (ip === undefined || fields[endpoint.field] !== undefined) continue;
    const port = firstText(byKey, endpoint.port);
    fields[endpoint.field] = ip === '-' || port === undefined ? ip : `${ip}:${port}`;
  }
  const method = firstText(byKey, REQUEST_PARTS.method);
  if (fields.request === undefined && method !== undefined) {
    const parts = [
      method,
      firstText(byKey, REQUEST_PARTS.url),
      firstText(byKey, REQUEST_PARTS.protocol),
    ];
    fields.request = parts.filter((part) => part !== undefined).join(' ');
  }

  if (fields.time === undefined && fields.elb === undefined) return null;
  return fields;
}

function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

// Module-level rather than a closure per record, which the TypeScript loader would name each time.
function firstText(
  byKey: ReadonlyMap<string, string>,
  keys: readonly string[],
): string | undefined {
  for (const key of keys) {
    const text = byKey.get(key);
    if (text !== undefined) return text;
  }
  return undefined;
}
