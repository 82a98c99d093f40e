/** Request and response helpers of the workbench server, on `node:http`. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Maximum size of a request body in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Maximum length of a request URL (path and query string) in characters. */
export const MAX_URL_LENGTH = 8 * 1024;

/**
 * The Content-Security-Policy of every page and API response: only this origin's own scripts,
 * styles and connections, no inline script, no plugin, no framing by another page.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The policy of a report shown inside the workbench: no script at all, the report's own inline
 * styles, framed only by the workbench.
 */
export const REPORT_PREVIEW_POLICY =
  "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";

/** An error response: HTTP status, a stable code and a message without evidence content. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Sets the headers of every response. */
export function setSecurityHeaders(response: ServerResponse, policy = CONTENT_SECURITY_POLICY) {
  response.setHeader('Content-Security-Policy', policy);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader(
    'X-Frame-Options',
    policy.includes("frame-ancestors 'self'") ? 'SAMEORIGIN' : 'DENY',
  );
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  response.setHeader('Cache-Control', 'no-store');
}

// JSON cannot hold a bigint, which DuckDB returns for BIGINT columns and counts.
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** Sends a JSON response. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, jsonReplacer);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Sends bytes with a content type. */
export function sendBytes(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

/** Reads a JSON request body of at most `MAX_BODY_BYTES`; raises `HttpError` otherwise. */
export async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw new HttpError(415, 'unsupported_media_type', 'request body must be application/json');
  }

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, 'body_too_large', `request body is over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }

  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_json', 'request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** Returns a string field of a request body, raising `HttpError` when it is missing or long. */
export function stringField(
  body: Record<string, unknown>,
  name: string,
  maxLength: number,
  allowEmpty = false,
): string {
  const value = body[name];
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new HttpError(400, 'invalid_request', `field ${name} must be a non-empty string`);
  }
  if (value.length > maxLength) {
    throw new HttpError(400, 'invalid_request', `field ${name} is over ${maxLength} characters`);
  }
  return value;
}

/** Returns a query-string parameter, `fallback` when absent; raises when over `maxLength`. */
export function queryParam(url: URL, name: string, maxLength: number, fallback = ''): string {
  const value = url.searchParams.get(name);
  if (value === null) return fallback;
  if (value.length > maxLength) {
    throw new HttpError(
      400,
      'invalid_request',
      `parameter ${name} is over ${maxLength} characters`,
    );
  }
  return value;
}

/** Parses a whole-number query parameter within `[min, max]`. */
export function intParam(url: URL, name: string, fallback: number, min: number, max: number) {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return fallback;

  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < min || value > max) {
    throw new HttpError(
      400,
      'invalid_request',
      `parameter ${name} must be a whole number from ${min} to ${max}`,
    );
  }
  return value;
}
