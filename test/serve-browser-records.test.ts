import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCase } from '../src/case/case-dir.ts';
import { type HeadlessBrowser, launchChromium } from '../src/core/chromium.ts';
import type { Event } from '../src/core/event.ts';
import { silentLogger } from '../src/core/logger.ts';
import { shortenedText } from '../src/core/shortened-text.ts';
import { CASE_KEY_ENV, enableEncryption } from '../src/evidence/case-cipher.ts';
import { startWorkbench, type Workbench } from '../src/server/workbench.ts';
import { encryptReports } from '../src/store/encrypt-reports.ts';
import { MAX_COLUMN_LENGTH } from '../src/store/event-row.ts';
import { CaseDb } from '../src/store/index.ts';
import { testEvent } from '../src/store/test-events.ts';
import { tempDir } from './support/cli.ts';

// Numbers that a JavaScript number would change: beyond 2^53, beyond the double range, and
// below the smallest subnormal double.
const NUMBERS_RAW =
  '{"eventName":"RunInstances","requestParameters":{"clientToken":12345678901234567890,' +
  '"ratio":1e400,"tiny":4.9e-330,"list":[1.50,-0]}}';
const LONG_MESSAGE = 'A'.repeat(100_000);

let caseDir: string;
let bench: Workbench;
let browser: HeadlessBrowser;
let page: Page;
const uids: string[] = [];

beforeAll(async () => {
  caseDir = path.join(await tempDir('cloudcase-records-'), 'case');
  await ensureCase(caseDir);
  const db = await CaseDb.open(caseDir);
  try {
    const numbers = testEvent(0, { tags: ['numbers'] });
    const long = testEvent(1, { message: LONG_MESSAGE, tags: ['long-message'] });
    const writer = await db.eventWriter();
    writer.append(numbers, NUMBERS_RAW);
    writer.append(long);
    const others = Array.from({ length: 10 }, (_, i) => testEvent(i + 2));
    for (const event of others) writer.append(event);
    await writer.close();
    // Two high rules of one tactic and technique that detect three events, one of them twice.
    const rule = (id: string) => ({
      id,
      title: id,
      level: 'high' as const,
      description: '',
      tactics: ['persistence'],
      techniques: ['T1098.001'],
      tags: [],
      falsepositives: [],
      file: `${id}.yml`,
    });
    await db.upsertRules([rule('rule-a'), rule('rule-b')]);
    const match = (ruleId: string, event: (typeof others)[number]) => ({
      rule_id: ruleId,
      event_uid: event.uid,
      time: event.time,
    });
    const [first, second, third] = others as [Event, Event, Event];
    await db.insertMatches([
      match('rule-a', first),
      match('rule-a', second),
      match('rule-b', second),
      match('rule-b', third),
    ]);
    uids.push(numbers.uid, long.uid);
  } finally {
    await db.close();
  }
  bench = await startWorkbench({
    caseDir,
    host: '127.0.0.1',
    port: 0,
    analyst: 'tester@example',
    logger: silentLogger(),
  });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.setViewportSize({ width: 1500, height: 1000 });
  await page.goto(bench.url);
  await page.getByTestId('event-count').waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bench?.close();
  delete process.env[CASE_KEY_ENV];
});

async function openEvent(uid: string): Promise<void> {
  await page.goto(`${bench.origin}/#timeline?uid=${uid}`);
  await page.locator(`[data-uid="${uid}"].selected`).waitFor();
  // The panel of the event opened before stays until this event's detail arrives.
  await page.waitForFunction(
    (wanted) => document.querySelector('[data-testid=fields]')?.textContent?.includes(wanted),
    uid,
  );
  await page.getByTestId('raw').waitFor();
}

describe('event panel', () => {
  it('shows raw numbers as read', async () => {
    await openEvent(uids[0] as string);
    const raw = (await page.getByTestId('raw').textContent()) ?? '';

    expect(raw).toContain('"clientToken": 12345678901234567890');
    expect(raw).toContain('"ratio": 1e400');
    expect(raw).toContain('"tiny": 4.9e-330');
    expect(raw).toContain('1.50');
    expect(raw).toContain('-0\n');
    expect(raw).not.toContain('null');
    expect(raw.replace(/\s/g, '')).toBe(NUMBERS_RAW);
  });

  it('keeps a long message inside the panel', async () => {
    const started = Date.now();
    await openEvent(uids[1] as string);
    expect(Date.now() - started).toBeLessThan(10_000);
    const box = await page.evaluate(() => {
      const panel = document.querySelector('.detail') as HTMLElement;
      const message = document.querySelector('[data-testid=detail-message]') as HTMLElement;
      const tags = document.querySelector('.row.header span:last-child') as HTMLElement;
      return {
        panel: panel.getBoundingClientRect().toJSON(),
        message: message.getBoundingClientRect().toJSON(),
        tags: tags.getBoundingClientRect().toJSON(),
        panelOverflow: panel.scrollWidth - panel.clientWidth,
        page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      };
    });

    // The message column keeps the start of so long a message, with its length and digest.
    const stored = shortenedText(LONG_MESSAGE, MAX_COLUMN_LENGTH, 16_256);
    const rest = (stored.length - 4000).toLocaleString('en-US');
    expect(await page.getByTestId('detail-message').textContent()).toBe(
      `${'A'.repeat(4000)} … (${rest} more characters not shown)`,
    );
    expect(box.message.right).toBeLessThanOrEqual(box.panel.right);
    expect(box.panelOverflow).toBeLessThanOrEqual(0);
    expect(box.page).toBeLessThanOrEqual(0);
    expect(box.tags.width).toBeGreaterThan(50);
    expect(box.tags.right).toBeLessThanOrEqual(box.panel.left);
  });
});

describe('detection counts', () => {
  it('name rules and distinct events', async () => {
    await page.goto(`${bench.origin}/#overview`);
    const high = page.getByTestId('severity-high');
    await high.waitFor();

    expect(await high.textContent()).toBe('high2 rules (3 events)');
    await page.getByTestId('nav-detections').click();
    const cell = page.getByTestId('heat-cell').first();
    await cell.waitFor();
    expect(await cell.textContent()).toBe('3');
    expect(await cell.getAttribute('title')).toContain(
      'persistence × T1098.001: 2 rules (3 events)',
    );
    expect(await page.getByTestId('heat-map-unit').textContent()).toContain('distinct events');
  });
});

describe('timeline controls', () => {
  it('explains an invalid Go to', async () => {
    await page.goto(`${bench.origin}/#timeline`);
    await page.waitForSelector('[data-testid=timeline-status][data-total="12"]');
    const error = page.getByTestId('go-to-error');

    for (const [input, expected] of [
      ['abc', '"abc" is no row number or time'],
      ['-1', '"-1" is no row number or time'],
      ['0', 'no row 0: rows run from 1 to 12'],
      ['99', 'no row 99: rows run from 1 to 12'],
    ]) {
      await page.getByTestId('go-to').fill(input as string);
      await page.getByTestId('go-to-submit').click();
      await expect.poll(() => error.textContent(), { timeout: 5_000 }).toContain(expected);
    }
    await page.getByTestId('go-to').fill('3');
    await page.getByTestId('go-to-submit').click();
    await expect.poll(() => error.textContent()).toBe('');
  });

  it('asks before replacing a saved search', async () => {
    const save = async (query: string) => {
      await page.getByTestId('query').fill(query);
      await page.getByTestId('search-name').fill('keys');
      await page.getByRole('button', { name: 'Save search' }).click();
    };
    const option = page.locator('[data-testid=saved-searches] option', { hasText: 'keys' });
    await save('api.operation:CreateAccessKey');
    await option.waitFor({ state: 'attached' });

    await save('tag:numbers');
    await page.getByTestId('replace-search').waitFor();
    expect(await option.getAttribute('value')).toBe('api.operation:CreateAccessKey');
    await page.getByTestId('replace-search').click();
    await expect.poll(() => option.getAttribute('value')).toBe('tag:numbers');
  });
});

describe('reports of an encrypted case', () => {
  it('downloads a report decrypted under its plain name', async () => {
    const key = randomBytes(32);
    const pdf = '%PDF-1.4\n% plaintext report\n';
    await enableEncryption(caseDir, key);
    await writeFile(path.join(caseDir, 'reports', 'report.pdf'), pdf);
    await encryptReports(caseDir, { key });
    process.env[CASE_KEY_ENV] = key.toString('hex');

    await page.goto(`${bench.origin}/#reports`);
    const link = page.getByTestId('download-report.pdf.enc');
    await link.waitFor();
    expect(await link.textContent()).toBe('Download decrypted report.pdf');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('report.pdf');
    expect(await readFile(await download.path(), 'utf8')).toBe(pdf);
  });
});
