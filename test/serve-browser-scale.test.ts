import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCase } from '../src/case/case-dir.ts';
import { type HeadlessBrowser, launchChromium } from '../src/core/chromium.ts';
import { silentLogger } from '../src/core/logger.ts';
import { startWorkbench, type Workbench } from '../src/server/workbench.ts';
import { CaseDb } from '../src/store/index.ts';
import { MAX_SPACER_HEIGHT } from '../src/web/scaled-scroll.ts';
import { tempDir } from './support/cli.ts';
import { screenshot } from './support/workbench.ts';

// More rows than fit in Chromium's maximum element height (about 33.5 million pixels) at
// 28 pixels a row.
const EVENTS = 1_600_000;
const ROW_HEIGHT = 28;
const FIRST_TIME = Date.parse('2024-05-01T00:00:00Z');

/** The uid of the event at a 1-based row: one event per second, in uid order. */
const uidAt = (row: number) => `e${String(row - 1).padStart(7, '0')}`;
const timeAt = (row: number) => new Date(FIRST_TIME + (row - 1) * 1000).toISOString();

let bench: Workbench;
let browser: HeadlessBrowser;
let page: Page;

/** Inserts `EVENTS` small events with SQL, without an ingest: the timeline is what is tested. */
async function buildLargeCase(caseDir: string): Promise<void> {
  await ensureCase(caseDir);
  const db = await CaseDb.open(caseDir);
  try {
    const connection = await db.connect();
    await connection.run(
      `INSERT INTO events (uid, time, source, category, activity, status, actor_uid,
         api_operation, message, tags, evidence_sha256, evidence_record)
       SELECT 'e' || lpad(i::VARCHAR, 7, '0'),
         TIMESTAMP '2024-05-01 00:00:00' + to_seconds(i), 'aws.cloudtrail', 'audit', 'Read',
         'success', 'arn:aws:iam::111122223333:user/reader', 'GetObject',
         'row ' || (i + 1), []::VARCHAR[], repeat('a', 64), i
       FROM range(${EVENTS}) AS r(i)`,
    );
    connection.closeSync();
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  const caseDir = path.join(await tempDir('cloudcase-scale-'), 'case');
  await buildLargeCase(caseDir);
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
  await page.goto(`${bench.origin}/#timeline`);
  await page.waitForSelector(`[data-testid=timeline-status][data-total="${EVENTS}"]`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bench?.close();
});

/** Waits for a row to be drawn with its event and returns where it sits in the viewport. */
// The table replaces a row's element when its page of events arrives, so the row is found and
// measured in one evaluation, repeated until the row is drawn with its event.
async function rowInView(row: number): Promise<{ uid: string; top: number; current: boolean }> {
  const found = await page.waitForFunction((wanted) => {
    const element = document.querySelector(
      `[data-testid=timeline-rows] [data-row="${wanted}"][data-uid]`,
    );
    const scroller = element?.closest('[data-testid=timeline-rows]') as HTMLElement | null;
    if (element === null || element === undefined || scroller === null) return null;
    const box = element.getBoundingClientRect();
    const viewTop = scroller.getBoundingClientRect().top + scroller.clientTop;
    const inView = box.top >= viewTop - 0.5 && box.bottom <= viewTop + scroller.clientHeight + 0.5;
    return {
      uid: element.getAttribute('data-uid') ?? '',
      top: Math.round(box.top - viewTop),
      current: element.classList.contains('current'),
      inView,
    };
  }, row);
  const { inView, ...shown } = (await found.jsonValue()) as {
    uid: string;
    top: number;
    current: boolean;
    inView: boolean;
  };
  expect(inView, `row ${row} is in the viewport`).toBe(true);
  return shown;
}

describe('timeline past the browser height cap', () => {
  it('keeps the spacer below the cap', async () => {
    const status = await page.getByTestId('timeline-status').textContent();
    expect(status).toBe('1,600,000 events');
    const height = await page
      .locator('[data-testid=timeline-rows] .rows')
      .evaluate((element) => element.getBoundingClientRect().height);
    // Chromium would cap a taller element itself, near 33.5 million pixels.
    expect(height).toBe(MAX_SPACER_HEIGHT);
  });

  it('histogram y-axis fits large counts', async () => {
    // Each 3-hour bar holds 10,800 events here; a clipped label would lose its first digit.
    const canvas = page.locator('[data-testid=histogram] canvas');
    const box = await canvas.boundingBox();
    const plot = await page.locator('[data-testid=histogram] .u-over').boundingBox();
    if (box === null || plot === null) throw new Error('the histogram has no box');
    expect(plot.x - box.x).toBeGreaterThanOrEqual(24 + 7 * '10,000'.length);
  });

  it('scrollbar reaches the last row', async () => {
    await page.getByTestId('timeline-rows').evaluate((element) => {
      element.scrollTop = element.scrollHeight;
    });
    const last = await rowInView(EVENTS);
    expect(last.uid).toBe(uidAt(EVENTS));
    await screenshot(page, 'timeline-last-row', false);
  });

  it('End, Home and arrows land on rows', async () => {
    const rows = page.getByTestId('timeline-rows');
    await rows.focus();
    await page.keyboard.press('Home');
    expect(await rowInView(1)).toMatchObject({ uid: uidAt(1), top: 0, current: true });

    await page.keyboard.press('End');
    expect(await rowInView(EVENTS)).toMatchObject({ uid: uidAt(EVENTS), current: true });
    await page.keyboard.press('ArrowUp');
    expect(await rowInView(EVENTS - 1)).toMatchObject({ uid: uidAt(EVENTS - 1), current: true });
  });

  it('goes to a row number', async () => {
    await page.getByTestId('go-to').fill('1,234,567');
    await page.getByTestId('go-to-submit').click();
    expect(await rowInView(1_234_567)).toMatchObject({
      uid: uidAt(1_234_567),
      top: 0,
      current: true,
    });
    const next = await rowInView(1_234_568);
    expect(next.uid).toBe(uidAt(1_234_568));
    expect(next.top).toBe(ROW_HEIGHT);

    await page.getByTestId('timeline-rows').focus();
    await page.keyboard.press('ArrowDown');
    expect(await rowInView(1_234_568)).toMatchObject({ current: true });
  });

  it('goes to a time', async () => {
    const row = 1_576_543;
    await page.getByTestId('go-to').fill(timeAt(row).replace('.000Z', ''));
    await page.getByTestId('go-to-submit').click();
    expect(await rowInView(row)).toMatchObject({ uid: uidAt(row), top: 0, current: true });
  });

  it('wheel moves by exact rows', async () => {
    await page.getByTestId('go-to').fill('1500000');
    await page.getByTestId('go-to-submit').click();
    expect(await rowInView(1_500_000)).toMatchObject({ top: 0 });

    const box = await page.getByTestId('timeline-rows').boundingBox();
    if (box === null) throw new Error('the table has no box');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 10 * ROW_HEIGHT);
    await page.waitForFunction(() => {
      const row = document.querySelector('[data-testid=timeline-rows] [data-row="1500010"]');
      const scroller = document.querySelector('[data-testid=timeline-rows]');
      if (row === null || scroller === null) return false;
      const top = row.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      return Math.abs(top - scroller.clientTop) < 1;
    });
    expect(await rowInView(1_500_010)).toMatchObject({ uid: uidAt(1_500_010), top: 0 });
  });

  it('Enter opens the current row', async () => {
    await page.getByTestId('timeline-rows').focus();
    await page.keyboard.press('ArrowDown');
    // Enter opens the current row's event once its page has arrived.
    await page.locator('[data-testid=timeline-rows] .row.current[data-uid]').waitFor();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash.includes('uid='));
    const uid = new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '').get('uid');
    const current = await page
      .locator('[data-testid=timeline-rows] .row.current')
      .getAttribute('data-uid');
    expect(uid).toBe(current);
    await page.getByTestId('raw').waitFor();
    await screenshot(page, 'timeline-deep-detail', false);
  });
});
