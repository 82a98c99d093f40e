/** Log generators of the per-format benchmark, one for each format in `FORMATS`. */

import {
  elbGenerator,
  route53Generator,
  s3AccessGenerator,
  vpcFlowGenerator,
} from './aws-network.ts';
import {
  cloudTrailGenerator,
  cloudWatchGenerator,
  guardDutyGenerator,
  honeyBucketGenerator,
  rdsGenerator,
} from './aws-services.ts';
import {
  azureMonitorGenerator,
  gcpAuditGenerator,
  githubAuditGenerator,
  k8sAuditGenerator,
  m365AuditGenerator,
  oktaGenerator,
} from './cloud-audit.ts';
import type { FormatGenerator } from './common.ts';
import {
  auditdGenerator,
  azureFlowGenerator,
  journaldGenerator,
  syslogGenerator,
} from './host-and-flow.ts';

export { FLOW_HEADER, flowFileName, flowLines } from './aws-network.ts';
export type { FormatGenerator } from './common.ts';
export { toReadable } from './common.ts';

/** Every generator, in the order of `FORMATS`. */
export const GENERATORS: readonly FormatGenerator[] = [
  cloudTrailGenerator,
  k8sAuditGenerator,
  gcpAuditGenerator,
  azureMonitorGenerator,
  azureFlowGenerator,
  m365AuditGenerator,
  oktaGenerator,
  githubAuditGenerator,
  vpcFlowGenerator,
  s3AccessGenerator,
  elbGenerator,
  guardDutyGenerator,
  route53Generator,
  rdsGenerator,
  honeyBucketGenerator,
  syslogGenerator,
  auditdGenerator,
  journaldGenerator,
  cloudWatchGenerator,
];
