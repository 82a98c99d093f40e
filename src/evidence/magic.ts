import type { EvidenceKind } from './types.ts';

/** Tells the storage kind from the first bytes: gzip `1f 8b`, zip local header `PK\x03\x04`. */
export function detectKind(head: Buffer): EvidenceKind {
  if (isGzip(head)) return 'gzip';
  if (isZip(head)) return 'zip';
  return 'plain';
}

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export function isZip(head: Buffer): boolean {
  return (
    head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04
  );
}
