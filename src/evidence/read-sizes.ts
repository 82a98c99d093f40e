/**
 * Chunk sizes for reading evidence. Node's defaults (64 KiB reads, 16 KiB gunzip output) make
 * the parser handle several callbacks per record of a CloudTrail delivery file; larger chunks
 * cut that overhead while one chunk stays small beside a record's own size limit.
 */
export const READ_CHUNK_BYTES = 256 * 1024;

/** Output chunk size of gunzip streams. */
export const GUNZIP_CHUNK_BYTES = 256 * 1024;
