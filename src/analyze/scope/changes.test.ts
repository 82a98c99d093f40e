import { describe, expect, it } from 'vitest';
import type { Event } from '../../core/event.ts';
import { call, user } from '../entities/test-calls.ts';
import { onEvents } from '../test-case.ts';
import { scopeOf } from './index.ts';

const ATTACKER = '203.0.113.9';

/** Builds a call from the attacker's address whose record has no read-only flag. */
function unflagged(
  record: number,
  operation: string,
  overrides: Partial<Event> = {},
  hour = 1 + record / 10,
): Event {
  const event = call(record, { hour, actor: user('mallory'), ip: ATTACKER, operation });
  return { ...event, api: { ...event.api, read_only: null }, ...overrides };
}

const EVENTS: Event[] = [
  unflagged(0, 'CreateUser', { category: 'identity' }),
  unflagged(1, 'AttachUserPolicy', { category: 'identity' }),
  unflagged(2, 'ListUsers', { category: 'identity' }),
  unflagged(3, 'DescribeInstances', { category: 'compute' }),
  unflagged(4, 'DeleteFlowLogs', { category: 'network' }),
  unflagged(5, 'AuthorizeSecurityGroupIngress', { category: 'network' }),
  unflagged(6, 'ChangeResourceRecordSets', { category: 'network' }),
  unflagged(7, 'DescribeLoadBalancers', { category: 'network' }),
  unflagged(8, 'GetObject', { category: 'storage' }),
  unflagged(9, 'RunInstances', { category: 'compute' }),
  unflagged(10, 'v1.compute.instances.insert', { source: 'gcp.audit' }),
  unflagged(11, 'storage.objects.get', { source: 'gcp.audit' }),
  unflagged(12, 'Microsoft.Compute/virtualMachines/write', { source: 'azure.activity' }),
  unflagged(13, 'Microsoft.Storage/storageAccounts/listKeys/action', {
    source: 'azure.activity',
  }),
  unflagged(14, 'REST.GET.OBJECT', { source: 'aws.s3access' }),
  unflagged(15, 'REST.PUT.OBJECT', { source: 'aws.s3access' }),
  unflagged(16, 'user.authentication.sso', { source: 'okta.system' }),
  unflagged(17, 'system.api_token.create', { source: 'okta.system' }),
  unflagged(18, 'Decrypt', { category: 'secrets' }),
  unflagged(23, 'FileDownloaded', { source: 'm365.audit', activity: 'Read' }),
  unflagged(24, 'New-InboxRule', { source: 'm365.audit', activity: 'Create' }),
  // The record's own flag wins over the name: a DeleteObject marked read-only is no change.
  {
    ...unflagged(19, 'DeleteObject'),
    api: { ...unflagged(19, 'DeleteObject').api, read_only: true },
  },
  unflagged(20, 'CreateAccessKey', { status: 'failure' }),
  unflagged(21, 'AssumeRole'),
  // A flow record has no operation, so it is no change to roll back.
  unflagged(22, 'x', {
    source: 'aws.vpcflow',
    category: 'network',
    class_uid: 4001,
    api: { service: null, operation: null, request_id: null, read_only: null },
  }),
];

describe('scope changes', () => {
  it('decides from the operation name without a read-only flag', async () => {
    const changes = await onEvents(EVENTS, async (connection) => {
      const scope = await scopeOf(connection, { kind: 'ip', value: ATTACKER });
      return scope.changes;
    });

    expect(changes.map((change) => change.operation)).toEqual([
      'CreateUser',
      'AttachUserPolicy',
      'DeleteFlowLogs',
      'AuthorizeSecurityGroupIngress',
      'ChangeResourceRecordSets',
      'RunInstances',
      'v1.compute.instances.insert',
      'Microsoft.Compute/virtualMachines/write',
      'REST.PUT.OBJECT',
      'system.api_token.create',
      'New-InboxRule',
    ]);
  });

  it('gives network changes their rollback', async () => {
    const changes = await onEvents(EVENTS, async (connection) => {
      const scope = await scopeOf(connection, { kind: 'ip', value: ATTACKER });
      return scope.changes;
    });
    const rollback = new Map(changes.map((change) => [change.operation, change.rollback]));

    expect(rollback.get('DeleteFlowLogs')).toBe('create the flow logs again');
    expect(rollback.get('AuthorizeSecurityGroupIngress')).toBe('revoke the added ingress rule');
    expect(rollback.get('ChangeResourceRecordSets')).toContain('DNS records');
  });
});
