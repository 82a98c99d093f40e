/** Helpers that read the request fields of logging calls. */
import type { JsonObject } from '../sources/cloudtrail-unwrap.ts';
import type { LoggingCall } from './logging-calls.ts';

/** Returns the trail, detector, recorder or sink a call names, or `null`. */
export function resourceOf(call: LoggingCall): string | null {
  const request = call.request;
  const named =
    text(request.name) ??
    text(request.trailName) ??
    text(request.detectorId) ??
    text(request.configurationRecorderName) ??
    text(request.sinkName) ??
    text(request.resolverQueryLogConfigId);
  if (named === null) return null;
  // A trail may be named by its ARN or its name; both name the same trail.
  const trail = /:trail\/(.+)$/.exec(named);
  return trail?.[1] ?? named;
}

/** Tells whether `next` acts on the same target as `call`. */
export function sameTarget(next: LoggingCall, call: LoggingCall, resource: string | null): boolean {
  if (next.account !== call.account) return false;
  const nextResource = resourceOf(next);
  if (resource !== null && nextResource !== null) return nextResource === resource;
  return next.region === call.region;
}

/** Returns `value` when it is a JSON object, or an empty object. */
export function objectOf(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : {};
}

/** Returns `value` when it is a non-empty string, or `null`. */
export function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Capitalizes the first letter of a sentence. */
export function capital(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}
