/** What a trail, sink or audit setting change stops logging, in words, one loss per item. */
import type { JsonObject } from '../sources/cloudtrail-unwrap.ts';
import { objectOf, text } from './call-fields.ts';
import type { LoggingCall } from './logging-calls.ts';

/** Lists what `call` stops logging; empty when it narrows nothing. */
export function trailLosses(call: LoggingCall): string[] {
  const request = call.request;
  switch (call.op) {
    case 'puteventselectors':
      return selectorLosses(request);
    case 'putinsightselectors': {
      const selectors = request.insightSelectors;
      return Array.isArray(selectors) && selectors.length === 0
        ? ['CloudTrail Insights events (unusual API call rates) are no longer recorded']
        : [];
    }
    case 'updatetrail':
      return updateTrailLosses(request);
    case 'google.logging.v2.configservicev2.updatesink': {
      const sink = objectOf(request.sink);
      return sink.disabled === true ? ['the log sink was disabled and exports nothing'] : [];
    }
    case 'google.logging.v2.configservicev2.createexclusion':
    case 'google.logging.v2.configservicev2.updateexclusion': {
      const exclusion = objectOf(request.exclusion);
      const filter = text(exclusion.filter);
      return exclusion.disabled === true
        ? []
        : [`log entries matching an exclusion filter are dropped${filter ? ` (${filter})` : ''}`];
    }
    case 'set-adminauditlogconfig':
      return String(request.UnifiedAuditLogIngestionEnabled).toLowerCase() === 'false'
        ? ['the Microsoft 365 unified audit log no longer records activity']
        : [];
    case 'updatedetector':
      return request.enable === false ? ['GuardDuty stopped producing findings'] : [];
    default:
      return [];
  }
}

function selectorLosses(request: JsonObject): string[] {
  const losses: string[] = [];
  const selectors = request.eventSelectors;
  if (Array.isArray(selectors)) {
    const list = selectors.map(objectOf);
    if (list.length > 0 && list.every((s) => s.includeManagementEvents === false)) {
      losses.push('management events are no longer logged');
    }
    const kinds = new Set(list.map((s) => text(s.readWriteType) ?? 'All'));
    if (list.length > 0 && !kinds.has('All') && kinds.size === 1) {
      losses.push(`only ${[...kinds][0]} events are logged`);
    }
    const excluded = list.flatMap((s) =>
      Array.isArray(s.excludeManagementEventSources) ? s.excludeManagementEventSources : [],
    );
    if (excluded.length > 0) {
      losses.push(`management events of ${excluded.map(String).join(', ')} are excluded`);
    }
    if (list.length === 0) losses.push('no events are selected');
  }
  const advanced = request.advancedEventSelectors;
  if (Array.isArray(advanced)) losses.push(...advancedLosses(advanced.map(objectOf)));

  return losses;
}

function advancedLosses(selectors: JsonObject[]): string[] {
  if (selectors.length === 0) return ['no events are selected'];
  const categories = new Set<string>();
  const losses: string[] = [];
  for (const selector of selectors) {
    const fields = Array.isArray(selector.fieldSelectors) ? selector.fieldSelectors : [];
    for (const field of fields.map(objectOf)) {
      const name = text(field.field);
      const equals = Array.isArray(field.equals) ? field.equals.map(String) : [];
      if (name === 'eventCategory') for (const value of equals) categories.add(value);
      if (name === 'readOnly' && equals.length === 1) {
        losses.push(`only ${equals[0] === 'true' ? 'read' : 'write'} events match a selector`);
      }
      if (name === 'eventSource' && Array.isArray(field.notEquals)) {
        losses.push(`events of ${field.notEquals.map(String).join(', ')} are excluded`);
      }
    }
  }
  if (!categories.has('Management')) losses.unshift('management events are no longer logged');

  return losses;
}

function updateTrailLosses(request: JsonObject): string[] {
  const losses: string[] = [];
  if (request.isMultiRegionTrail === false) {
    losses.push('the trail no longer logs regions other than its home region');
  }
  if (request.includeGlobalServiceEvents === false) {
    losses.push('global service events (IAM, STS, CloudFront) are no longer logged');
  }
  if (request.enableLogFileValidation === false) {
    losses.push('digest files are no longer written, so deleted or edited log files go unnoticed');
  }
  const bucket = text(request.s3BucketName);
  if (bucket) losses.push(`log files now go to bucket ${bucket}, which must be collected too`);

  return losses;
}
