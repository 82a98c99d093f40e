/**
 * The workbench server: one process that owns the case database and serves the browser app.
 * Every request but the first (which brings the token in the URL) must carry the token cookie.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { CaseDb } from '../store/index.ts';
import { removeServeLock, writeServeLock } from '../store/serve-lock.ts';
import { type Asset, buildAssets } from './assets.ts';
import { cookieToken, createToken, tokenCookie, tokenCookieName, tokenMatches } from './auth.ts';
import { CaseReader } from './case-reader.ts';
import { type EntityGraphSource, EventEntityGraph } from './entities-api.ts';
import { HttpError, MAX_URL_LENGTH, sendBytes, sendJson, setSecurityHeaders } from './http.ts';
import { LogLimiter } from './log-limiter.ts';
import { PageIndexCache } from './page-index.ts';
import { ROUTES, type RouteContext } from './routes.ts';

/** How to start the workbench. */
export interface WorkbenchOptions {
  caseDir: string;
  /** Address to listen on; 127.0.0.1 unless the user chose another. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Analyst name recorded with marks and audit entries. */
  analyst: string;
  logger: Logger;
  /** Source of the entity graph; the events table by default. */
  entities?: EntityGraphSource;
}

/** A running workbench. */
export interface Workbench {
  /** The URL with the token, to open in a browser. */
  url: string;
  /** The URL without the token. */
  origin: string;
  port: number;
  token: string;
  /** Name of the cookie that carries the token. */
  cookieName: string;
  /** Stops listening, closes the database and removes the lock file. */
  close(): Promise<void>;
}

/** Opens the case, starts listening and writes the lock file. */
export async function startWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  const { caseDir, logger } = options;
  const assets = await buildAssets();
  const db = await CaseDb.open(caseDir);
  const reader = new CaseReader(await db.connect());
  const token = createToken();
  const context: RouteContext = {
    db,
    reader,
    analyst: options.analyst,
    entities: options.entities ?? EventEntityGraph,
    pages: new PageIndexCache(),
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error('request handler failed', { error: errorName(error) });
    });
  });
  // At most 50 failed requests are logged per minute; the rest are counted.
  const failureLog = new LogLimiter(50, 60_000);
  let allowedHosts = new Set<string>();
  let cookieName = '';
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const status = await answer(request, response, {
      assets,
      context,
      token,
      cookieName,
      allowedHosts,
      logger,
    });
    if (status < 400) return;

    const { write, dropped } = failureLog.admit();
    if (dropped > 0) logger.warn('failed requests not logged', { count: dropped });
    if (write) {
      logger.warn('request failed', { method: request.method, path: pathOf(request), status });
    }
  };

  const port = await listen(server, options.port, options.host).catch(async (error: unknown) => {
    await reader.close();
    await db.close();
    throw listenError(error, options);
  });
  const hostPart = options.host.includes(':') ? `[${options.host}]` : options.host;
  // The unspecified address names no host to connect to (Chromium blocks it), so the printed
  // URL names loopback instead.
  const origin = `http://${UNSPECIFIED_TO_LOOPBACK[options.host] ?? hostPart}:${port}`;
  cookieName = tokenCookieName(port);
  allowedHosts = new Set(
    [hostPart, 'localhost', '127.0.0.1', '[::1]', ...interfaceHosts(options.host)].map(
      (name) => `${name}:${port}`,
    ),
  );
  writeServeLock(caseDir, {
    pid: process.pid,
    port,
    url: origin,
    started_at: new Date().toISOString(),
  });
  logger.info('workbench started', { case: caseDir, url: origin, pid: process.pid });

  let closed = false;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    cookieName,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      removeServeLock(caseDir);
      await reader.close();
      await db.close();
      logger.info('workbench stopped', { case: caseDir });
    },
  };
}

const UNSPECIFIED_TO_LOOPBACK: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '[::1]' };

// On the unspecified address (0.0.0.0 or ::) the server accepts connections on every address of the
// machine, so requests may name any of them.
function interfaceHosts(host: string): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [];

  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .map((entry) => (entry.family === 'IPv6' ? `[${entry.address}]` : entry.address));
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function listenError(error: unknown, options: WorkbenchOptions): CloudcaseError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'EADDRINUSE'
      ? `port ${options.port} is in use; choose another with --port`
      : code === 'EADDRNOTAVAIL'
        ? `address ${options.host} is not an address of this machine; choose another with --host`
        : `listening on ${options.host}:${options.port} failed (${code ?? 'unknown error'})`;
  return new CloudcaseError('serve_listen_failed', reason, EXIT.usage, { cause: error });
}

interface AnswerState {
  assets: Map<string, Asset>;
  context: RouteContext;
  token: string;
  cookieName: string;
  allowedHosts: Set<string>;
  logger: Logger;
}

// Handles one request and returns its status.
async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  state: AnswerState,
): Promise<number> {
  setSecurityHeaders(response);
  try {
    const url = checkRequest(request, state);
    const method = request.method ?? 'GET';
    const presented = url.pathname === '/' ? url.searchParams.get('token') : null;
    if (presented !== null) return login(response, presented, state);
    if (!tokenMatches(cookieToken(request, state.cookieName), state.token)) {
      throw new HttpError(401, 'unauthorized', 'open the URL that cloudcase serve printed');
    }
    if (method === 'POST') checkOrigin(request);

    const asset = method === 'GET' ? state.assets.get(url.pathname) : undefined;
    if (asset !== undefined) {
      sendBytes(response, 200, asset.type, asset.body);
      return 200;
    }
    const handler = ROUTES.get(`${method} ${url.pathname}`);
    if (handler === undefined) throw new HttpError(404, 'not_found', 'no such page');
    await handler(state.context, request, response, url);
    return response.statusCode;
  } catch (error) {
    if (!(error instanceof HttpError)) {
      state.logger.error('request failed with an internal error', {
        path: pathOf(request),
        error: errorName(error),
      });
    }
    return answerError(response, error);
  }
}

function checkRequest(request: IncomingMessage, state: AnswerState): URL {
  const raw = request.url ?? '/';
  if (raw.length > MAX_URL_LENGTH) {
    throw new HttpError(414, 'uri_too_long', `request URL is over ${MAX_URL_LENGTH} characters`);
  }
  // A Host header naming another site means a page elsewhere resolved its name to this
  // machine (DNS rebinding); such a request never reaches the case.
  const host = request.headers.host ?? '';
  if (!state.allowedHosts.has(host)) {
    throw new HttpError(421, 'wrong_host', 'request is for another host');
  }
  return new URL(raw, `http://${host}`);
}

function checkOrigin(request: IncomingMessage): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${request.headers.host}`) {
    throw new HttpError(403, 'cross_origin', 'request comes from another origin');
  }
}

function login(response: ServerResponse, presented: string, state: AnswerState): number {
  if (!tokenMatches(presented, state.token)) {
    throw new HttpError(
      401,
      'unauthorized',
      'the token is wrong; open the URL that cloudcase serve printed',
    );
  }
  response.writeHead(303, {
    Location: '/',
    'Set-Cookie': tokenCookie(state.cookieName, state.token),
  });
  response.end();
  return 303;
}

function answerError(response: ServerResponse, error: unknown): number {
  const known = error instanceof HttpError;
  const status = known ? error.status : 500;
  const code = known ? error.code : 'internal_error';
  const message = known ? error.message : 'the server failed on this request; see its log';
  if (response.headersSent) {
    response.destroy();
    return status;
  }
  sendJson(response, status, { error: { code, message } });
  return status;
}

// Only the path is logged: the query string contains search terms, which may quote evidence.
function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0] ?? '/';
}

// The class and code of an error, with DuckDB's error type ("Binder Error") when the message
// starts with one, but never the rest of the message, which may quote evidence.
function errorName(error: unknown): string {
  if (error instanceof CloudcaseError) return `${error.name}:${error.code}`;
  if (!(error instanceof Error)) return typeof error;

  const kind = /^([A-Za-z ]{1,40} Error):/.exec(error.message)?.[1];
  return kind === undefined ? error.name : `${error.name}:${kind}`;
}
