import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { cookieToken, createToken, tokenCookie, tokenCookieName, tokenMatches } from './auth.ts';

const requestWith = (cookie: string | undefined) =>
  ({ headers: cookie === undefined ? {} : { cookie } }) as IncomingMessage;

describe('workbench token', () => {
  it('is 256 random bits, URL-safe', () => {
    const token = createToken();
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(createToken()).not.toBe(token);
  });

  it('matches only itself', () => {
    const token = createToken();
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(`${token}x`, token)).toBe(false);
    expect(tokenMatches(token.slice(1), token)).toBe(false);
    expect(tokenMatches('', token)).toBe(false);
    expect(tokenMatches(undefined, token)).toBe(false);
  });

  it('reads its own cookie among others', () => {
    const name = tokenCookieName(7420);
    expect(cookieToken(requestWith(`a=1; ${name}=abc=def; b=2`), name)).toBe('abc=def');
    expect(cookieToken(requestWith(`${tokenCookieName(7421)}=abc`), name)).toBeUndefined();
    expect(cookieToken(requestWith(undefined), name)).toBeUndefined();
  });

  it('sets an HttpOnly SameSite=Strict cookie', () => {
    expect(tokenCookie('n', 't')).toBe('n=t; HttpOnly; SameSite=Strict; Path=/');
  });
});
