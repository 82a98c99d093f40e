/** Helpers for the workbench tests: raw HTTP requests and the hostile-content case. */
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ensureCase } from '../../src/case/case-dir.ts';
import { emptyEndpoint } from '../../src/core/event.ts';
import { CaseDb } from '../../src/store/index.ts';
import { testEvent } from '../../src/store/test-events.ts';
import { ROOT } from './cli.ts';

/** An HTTP response: status, headers and body text. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends one request with node:http, which, unlike fetch, lets a test set any Host header. */
export function send(
  origin: string,
  target: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      new URL(target, origin),
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (incoming) => {
        let body = '';
        incoming.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** GETs an API path with a `Cookie` header and parses the JSON response. */
export async function api<T>(cookie: string, origin: string, target: string): Promise<T> {
  const answer = await send(origin, target, { headers: { cookie } });
  if (answer.status !== 200) throw new Error(`${target} answered ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as T;
}

/**
 * Saves a screenshot under `.cache/screenshots/`, of the full page unless `fullPage` is false.
 * A full-page capture resizes the page for a moment, and Chromium then resets the scroll
 * position of a scrolled element millions of pixels tall, so deep timeline views use the
 * viewport.
 */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({
    path: path.join(ROOT, '.cache/screenshots', `${name}.png`),
    fullPage,
  });
}

/**
 * Markup, script and terminal escapes that must show as text: an image whose error handler and
 * a script that would each set `window.__pwned` and open a dialog, bold markup, and ANSI colour.
 */
export const HOSTILE =
  '<img src=x onerror="window.__pwned=1;alert(1)" id=pwned><script>window.__pwned=2;alert(2)</script>' +
  '<b id=bold>bold</b>\u001b[31mRED\u001b[0m\u001b]0;title\u0007';

/** Builds a case whose title, events, rule, detection and reports all carry `HOSTILE`. */
export async function buildHostileCase(caseDir: string): Promise<void> {
  const info = await ensureCase(caseDir);
  await writeFile(
    path.join(caseDir, 'case.json'),
    JSON.stringify({ ...info, title: HOSTILE }, null, 2),
  );

  const db = await CaseDb.open(caseDir);
  try {
    const events = [0, 1, 2].map((record) =>
      testEvent(record, {
        message: `${HOSTILE} (${record})`,
        actor: { ...testEvent(record).actor, uid: HOSTILE, name: HOSTILE, access_key: HOSTILE },
        src: { ...emptyEndpoint(), ip: HOSTILE },
        api: { service: HOSTILE, operation: HOSTILE, request_id: HOSTILE, read_only: false },
        resources: [{ uid: HOSTILE, type: HOSTILE }],
        tags: [HOSTILE],
        raw: { eventName: HOSTILE, [HOSTILE]: [HOSTILE] },
      }),
    );
    const writer = await db.eventWriter();
    for (const event of events) writer.append(event);
    await writer.close();
    await db.upsertRules([
      {
        id: `rule-${HOSTILE}`,
        title: HOSTILE,
        level: 'high',
        description: HOSTILE,
        tactics: [HOSTILE],
        techniques: [HOSTILE],
        tags: [HOSTILE],
        falsepositives: [],
        file: 'hostile.yml',
      },
    ]);
    await db.insertMatches(
      events.map((event) => ({
        rule_id: `rule-${HOSTILE}`,
        event_uid: event.uid,
        time: event.time,
        explanation: {
          reasons: [
            {
              search: HOSTILE,
              field: HOSTILE,
              modifiers: [HOSTILE],
              value: HOSTILE,
              expected: HOSTILE,
            },
          ],
          omitted: 0,
        },
      })),
    );
  } finally {
    await db.close();
  }

  const reports = path.join(caseDir, 'reports');
  await writeFile(path.join(reports, 'report.md'), `# ${HOSTILE}\n`);
  await writeFile(path.join(reports, 'report.html'), `<!doctype html><h1>${HOSTILE}</h1>`);
  await writeFile(path.join(reports, `${HOSTILE.replaceAll('/', '')}.md`), HOSTILE);
}
