/** Helpers for the one-line `Event.message` every format writes. */

// Maximum length of one part of a summary line; log fields can be megabytes long.
const MAX_MESSAGE_PART = 200;

/** Cuts one part of a summary line to at most 200 characters, marking the cut with `…`. */
export function clipPart(value: string): string {
  return value.length > MAX_MESSAGE_PART ? `${value.slice(0, MAX_MESSAGE_PART)}…` : value;
}
