/** Amounts of a scope in words: bytes, data read and flows, saying what the logs left out. */
import type { DataReadTotals } from '../analyze/scope/index.ts';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** `13219749 bytes (12.6 MiB)`: the exact count, then a binary-prefixed size from 1 KiB up. */
export function bytesText(bytes: number): string {
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  let size = bytes;
  let unit = '';
  for (const next of UNITS) {
    if (size < 1024) break;
    size /= 1024;
    unit = next;
  }

  return unit === '' ? exact : `${exact} (${size.toFixed(1)} ${unit})`;
}

/**
 * The data read in one phrase: objects, reads, the bytes sent where logged and the object sizes
 * where logged. A total that covers only some reads names how many, and a total no log recorded
 * is written "not logged" instead of 0.
 */
export function dataReadText(totals: DataReadTotals): string {
  if (totals.reads === 0) return 'no objects or secrets read';

  const what = `${count(totals.resources, 'object or secret', 'objects or secrets')} read in ${count(totals.reads, 'read', 'reads')}`;
  const parts = [what, amount('bytes sent', totals.bytes, totals.reads_with_bytes, totals.reads)];
  if (totals.object_size !== null) {
    parts.push(amount('object sizes', totals.object_size, totals.reads_with_size, totals.reads));
  }

  return parts.join('; ');
}

/** Flow totals in one phrase, or `null` when the scope has no flow records. */
export function flowText(totals: { flows: number; bytes: number }): string | null {
  if (totals.flows === 0) return null;
  return `${count(totals.flows, 'flow record', 'flow records')}, ${bytesText(totals.bytes)} sent`;
}

function amount(label: string, sum: number | null, logged: number, reads: number): string {
  if (sum === null || logged === 0) return `${label} not logged`;
  const coverage = logged < reads ? ` in the ${logged} of ${reads} reads that log it` : '';

  return `${label} ${bytesText(sum)}${coverage}`;
}

function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
