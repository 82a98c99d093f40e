/**
 * The per-run token of the workbench. The printed URL carries it once; the server then keeps it
 * in an HttpOnly, SameSite=Strict cookie and checks that cookie in constant time on every request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Name of the cookie that carries the token. */
export const TOKEN_COOKIE = 'cloudcase_token';

/** Creates a random token of 256 bits, URL-safe. */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

// Both sides are hashed first so that timingSafeEqual compares equal lengths and the time
// taken says nothing about the length of the guess either.
/** Compares a presented token with the server's in constant time. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;

  const expected = createHash('sha256').update(token).digest();
  const actual = createHash('sha256').update(presented).digest();
  return timingSafeEqual(expected, actual);
}

/** Returns the value of the token cookie of a request, if any. */
export function cookieToken(request: IncomingMessage): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;

  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return rest.join('=');
  }
  return undefined;
}

/** The Set-Cookie value that stores the token for this origin only. */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
