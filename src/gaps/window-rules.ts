/** The calls that open a window in which logging was stopped or deleted, and those that close it. */
import type { GapKind } from './types.ts';

/** A call that opens a window and the calls that close it again. */
export interface WindowRule {
  opens: string;
  closes: readonly string[];
  kind: GapKind;
  what: string;
  cannotSee: string;
}

// Each rule is keyed by the lower-case operation that opens its window. The first closing call
// on the same resource closes the window, or on the same account and region when the call names
// no resource.
export const WINDOW_RULES: readonly WindowRule[] = [
  {
    opens: 'stoplogging',
    closes: ['startlogging', 'deletetrail'],
    kind: 'logging_stopped',
    what: 'CloudTrail logging was stopped',
    cannotSee: 'API activity that this trail would have delivered, in every region it covers',
  },
  {
    opens: 'deletetrail',
    closes: ['createtrail'],
    kind: 'logging_deleted',
    what: 'the CloudTrail trail was deleted',
    cannotSee: 'API activity that this trail would have delivered, in every region it covered',
  },
  {
    opens: 'deleteflowlogs',
    closes: ['createflowlogs'],
    kind: 'logging_stopped',
    what: 'VPC flow logs were deleted',
    cannotSee: 'network connections of the interfaces, subnets or VPCs those flow logs covered',
  },
  {
    opens: 'deletedetector',
    closes: ['createdetector'],
    kind: 'logging_stopped',
    what: 'the GuardDuty detector was deleted',
    cannotSee: 'GuardDuty findings in this account and region',
  },
  {
    opens: 'stopconfigurationrecorder',
    closes: ['startconfigurationrecorder'],
    kind: 'logging_stopped',
    what: 'the AWS Config recorder was stopped',
    cannotSee: 'configuration changes of resources in this account and region',
  },
  {
    opens: 'deleteconfigurationrecorder',
    closes: ['startconfigurationrecorder'],
    kind: 'logging_deleted',
    what: 'the AWS Config recorder was deleted',
    cannotSee: 'configuration changes of resources in this account and region',
  },
  {
    opens: 'deletedeliverychannel',
    closes: ['startconfigurationrecorder'],
    kind: 'logging_deleted',
    what: 'the AWS Config delivery channel was deleted',
    cannotSee: 'configuration snapshots and history files delivered to S3',
  },
  {
    opens: 'deleteresolverquerylogconfig',
    closes: [],
    kind: 'logging_deleted',
    what: 'a Route 53 Resolver query logging configuration was deleted',
    cannotSee: 'DNS queries from the VPCs it covered',
  },
  {
    opens: 'disassociateresolverquerylogconfig',
    closes: [],
    kind: 'logging_stopped',
    what: 'Route 53 Resolver query logging was removed from a VPC',
    cannotSee: 'DNS queries from that VPC',
  },
  {
    opens: 'google.logging.v2.configservicev2.deletesink',
    closes: [],
    kind: 'logging_deleted',
    what: 'a Cloud Logging sink was deleted',
    cannotSee: 'log entries that the sink exported, in its destination',
  },
  {
    opens: 'microsoft.insights/diagnosticsettings/delete',
    closes: [],
    kind: 'logging_deleted',
    what: 'an Azure diagnostic setting was deleted',
    cannotSee: 'the resource or activity logs that the setting sent to its destination',
  },
  {
    opens: 'microsoft.insights/logprofiles/delete',
    closes: [],
    kind: 'logging_deleted',
    what: 'an Azure activity log profile was deleted',
    cannotSee: 'activity log entries that the profile exported',
  },
  {
    opens: 'system.log_stream.lifecycle.deactivate',
    closes: [],
    kind: 'logging_stopped',
    what: 'an Okta log stream was deactivated',
    cannotSee: 'System Log events that the stream sent to its destination',
  },
  {
    opens: 'system.log_stream.lifecycle.delete',
    closes: [],
    kind: 'logging_deleted',
    what: 'an Okta log stream was deleted',
    cannotSee: 'System Log events that the stream sent to its destination',
  },
  {
    opens: 'audit_log_streaming.destroy',
    closes: [],
    kind: 'logging_deleted',
    what: 'a GitHub audit log stream was deleted',
    cannotSee: 'audit log events that the stream sent to its destination',
  },
];
