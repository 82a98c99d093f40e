/**
 * The per-run token of the workbench. The printed URL carries it once; the server then keeps it
 * in an HttpOnly, SameSite=Strict cookie and checks that cookie in constant time on every request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Name of the cookie that carries the token of the server on `port`. Browsers keep cookies per
 * host, not per port, so two workbenches on one machine need cookies of their own.
 */
export function tokenCookieName(port: number): string {
  return `cloudcase_token_${port}`;
}

/** Creates a random token of 256 bits, URL-safe. */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

// Both sides are hashed first so that timingSafeEqual compares equal lengths and the time
// taken reveals nothing about the length of the guess either.
/** Compares a presented token with the server's in constant time. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;

  const expected = createHash('sha256').update(token).digest();
  const actual = createHash('sha256').update(presented).digest();
  return timingSafeEqual(expected, actual);
}

/** Returns the value of the cookie `name` of a request, if any. */
export function cookieToken(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;

  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** Returns the Set-Cookie value that stores the token for this origin only. */
export function tokenCookie(name: string, token: string): string {
  return `${name}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
