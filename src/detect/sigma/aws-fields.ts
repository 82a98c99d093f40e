/**
 * Raw field names for SigmaHQ's generic `firewall` and `dns` rules on AWS logs. The Sigma
 * taxonomy names firewall fields `src_ip`, `src_port`, `dst_ip`, `dst_port` and `action`, and
 * SigmaHQ's DNS rules use `query`, `record_type` and `answer`. VPC Flow Logs and Route 53
 * Resolver query logs name the same values their own way.
 */
import type { FieldAlternatives, ValueSynonyms } from './field-alternatives.ts';
import { literalSynonyms } from './field-alternatives.ts';
import type { Pattern } from './model.ts';

/**
 * Firewall fields in a flow record: the text line's AWS names, then the names of the JSON
 * renderings that keep the record as `raw` (Panther's camelCase, Sentinel's `AWSVPCFlow`).
 */
const FLOW_FIELDS: Record<string, string[]> = {
  src_ip: ['srcaddr', 'srcAddr', 'SrcAddr'],
  src_port: ['srcport', 'srcPort', 'SrcPort'],
  dst_ip: ['dstaddr', 'dstAddr', 'DstAddr'],
  dst_port: ['dstport', 'dstPort', 'DstPort'],
  action: ['action', 'Action'],
};

/** Fields of `category: firewall` rules in `aws.vpcflow` records. */
export const flowFirewallFields: FieldAlternatives = (field) =>
  FLOW_FIELDS[field.toLowerCase()] ?? [field];

// Firewall rules write the verdict as firewalls do; a flow record has ACCEPT or REJECT.
const FLOW_ACTIONS: Record<string, string[]> = {
  allow: ['ACCEPT'],
  allowed: ['ACCEPT'],
  forward: ['ACCEPT'],
  pass: ['ACCEPT'],
  block: ['REJECT'],
  blocked: ['REJECT'],
  deny: ['REJECT'],
  denied: ['REJECT'],
  drop: ['REJECT'],
  dropped: ['REJECT'],
};

/** Values of firewall rules' `action` in a flow record's `action`. */
export const flowFirewallValues: ValueSynonyms = literalSynonyms(
  ['action', 'Action'],
  FLOW_ACTIONS,
);

const RESOLVER_FIELDS: Record<string, string[]> = {
  query: ['query_name'],
  record_type: ['query_type'],
  answer: ['answers.Rdata'],
  src_ip: ['srcaddr'],
  src_port: ['srcport'],
};

/** Fields of `category: dns` rules in `aws.route53resolver` records. */
export const resolverDnsFields: FieldAlternatives = (field) =>
  RESOLVER_FIELDS[field.toLowerCase()] ?? [field];

/**
 * Values of DNS rules' `query` in Route 53's `query_name`, which ends with the root's `.`
 * (`example.com.`): a pattern that ends with text also matches that text followed by `.`.
 * NOTE: `re` tests on the query are not rewritten, so one anchored at the end (`\.onion$`)
 * misses.
 */
export const resolverDnsValues: ValueSynonyms = (rawField, pattern) => {
  if (rawField !== 'query_name') return [];
  const last = pattern.parts.at(-1);
  if (last?.kind !== 'text' || last.text.endsWith('.')) return [];
  const parts: Pattern['parts'] = [
    ...pattern.parts.slice(0, -1),
    { kind: 'text', text: `${last.text}.` },
  ];
  return [{ parts }];
};
