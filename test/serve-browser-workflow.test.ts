import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HeadlessBrowser, launchChromium } from '../src/core/chromium.ts';
import { silentLogger } from '../src/core/logger.ts';
import { generateScenario } from '../src/demo/index.ts';
import { runInvestigate } from '../src/pipeline/investigate.ts';
import { startWorkbench, type Workbench } from '../src/server/workbench.ts';
import { tempDir } from './support/cli.ts';
import { api, screenshot, send } from './support/workbench.ts';

const ANALYST = 'responder@example';

let caseDir: string;
let bench: Workbench;
let browser: HeadlessBrowser;
let page: Page;

beforeAll(async () => {
  const work = await tempDir('cloudcase-workflow-');
  const logs = path.join(work, 'logs');
  caseDir = path.join(work, 'case');
  await generateScenario(logs, { scale: 0.01 });
  await runInvestigate({ paths: [logs], caseDir, logger: silentLogger() });
  bench = await startWorkbench({
    caseDir,
    host: '127.0.0.1',
    port: 0,
    analyst: ANALYST,
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
});

const total = (query: Record<string, string>) =>
  api<{ total: number }>(
    `${bench.cookieName}=${bench.token}`,
    bench.origin,
    `/api/timeline?limit=1&${new URLSearchParams(query)}`,
  ).then((result) => result.total);

async function search(query: string): Promise<void> {
  await page.getByTestId('query').fill(query);
  await page.getByTestId('search').click();
}

async function waitForTotal(expected: number): Promise<void> {
  await page.waitForSelector(`[data-testid=timeline-status][data-total="${expected}"]`);
}

function hashParams(): URLSearchParams {
  return new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');
}

describe('workbench workflow', () => {
  it('runs the documented query syntax', async () => {
    await page.getByTestId('nav-timeline').click();
    await waitForTotal(await total({}));
    const queries = [
      'api.operation:Create*',
      'api.operation:Describe* AND NOT status:success',
      '(api.operation:CreateAccessKey OR api.operation:CreateUser) -status:failure',
      'time:2024-05-16T01:00..2024-05-16T03:00 src.ip:203.0.113.0/24',
      'raw:AccessDenied',
    ];
    for (const query of queries) {
      const expected = await total({ q: query });
      expect(expected, query).toBeGreaterThan(0);
      await search(query);
      await waitForTotal(expected);
      expect(hashParams().get('q'), query).toBe(query);
    }
  });

  it('shows a query error at its position', async () => {
    await search('api.operation:(CreateUser');
    const error = page.getByTestId('timeline-error');
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=timeline-error]')?.textContent ?? '') !== '',
    );
    expect(await error.textContent()).toMatch(/at character \d+/);
    // Nothing of the previous selection stays on screen.
    await waitForTotal(0);
    expect(await page.getByTestId('timeline-status').textContent()).toBe(
      'no events: the query failed',
    );
    expect(await page.locator('[data-testid=timeline-rows] .row').count()).toBe(0);
    expect(await page.getByTestId('histogram-caption').textContent()).toBe('no events selected');

    await search('planet:earth');
    await page.waitForFunction(() =>
      (document.querySelector('[data-testid=timeline-error]')?.textContent ?? '').includes(
        'planet',
      ),
    );
    expect(await error.textContent()).toContain('actor.uid');
    await screenshot(page, 'timeline-query-error');
  });

  it('keeps a star and a comment after a reload', async () => {
    await search('api.operation:CreateAccessKey');
    await waitForTotal(await total({ q: 'api.operation:CreateAccessKey' }));
    const row = page.locator('[data-uid]').first();
    const uid = (await row.getAttribute('data-uid')) ?? '';
    await row.click();
    await page.getByTestId('star').click();
    await page.locator('[data-testid=star]', { hasText: 'starred' }).waitFor();
    await page.locator(`[data-uid="${uid}"] .star`, { hasText: '★' }).waitFor();
    await page.getByTestId('comment-input').fill('key made for the backdoor user');
    await page.getByTestId('add-comment').click();
    await page.locator('[data-testid=marks] .comment', { hasText: 'backdoor' }).waitFor();

    await page.reload();
    await search('star:true');
    await waitForTotal(1);
    const starred = page.locator(`[data-uid="${uid}"]`);
    expect(await starred.locator('.star').textContent()).toBe('★');
    await starred.click();
    await page.locator('[data-testid=star]', { hasText: 'starred' }).waitFor();
    const comment = page.locator('[data-testid=marks] li', { hasText: 'backdoor' });
    expect(await comment.textContent()).toContain(ANALYST);
    await screenshot(page, 'event-starred');
  });

  it('saves a search and runs it after a reload', async () => {
    const query = 'api.operation:Describe* AND NOT status:success';
    await page.getByTestId('query').fill(query);
    await page.getByTestId('search-name').fill('failed describes');
    await page.getByRole('button', { name: 'Save search' }).click();
    await page
      .locator('[data-testid=saved-searches] option', { hasText: 'failed describes' })
      .waitFor({ state: 'attached' });

    await page.goto(`${bench.origin}/#timeline`);
    await page.reload();
    await waitForTotal(await total({}));
    await page.getByTestId('saved-searches').selectOption({ label: 'failed describes' });
    await waitForTotal(await total({ q: query }));
    expect(hashParams().get('q')).toBe(query);

    await page.getByTestId('nav-marks').click();
    const saved = page.locator('[data-testid=saved-search-list] tbody tr', {
      hasText: 'failed describes',
    });
    await saved.waitFor();
    expect(await saved.textContent()).toContain(ANALYST);
    await page.goto(`${bench.origin}/#timeline`);
    await page.getByTestId('nav-marks').click();
    await saved.click();
    await waitForTotal(await total({ q: query }));
  });

  it('removes a saved search', async () => {
    await page.getByTestId('nav-marks').click();
    const saved = page.locator('[data-testid=saved-search-list] tbody tr', {
      hasText: 'failed describes',
    });
    await saved.getByTestId('remove-search').click();
    await saved.waitFor({ state: 'detached' });
    expect(new URL(page.url()).hash).toBe('#marks');
    const searches = await api<{ name: string }[]>(
      `${bench.cookieName}=${bench.token}`,
      bench.origin,
      '/api/searches',
    );
    expect(searches.map((search) => search.name)).not.toContain('failed describes');
  });

  it('opens a marked event from the marks view', async () => {
    await page.getByTestId('nav-marks').click();
    const marked = page.locator('[data-testid=marked-events] tbody tr', { hasText: 'backdoor' });
    await marked.click();
    await page.waitForFunction(() => location.hash.includes('uid='));
    await page.getByTestId('raw').waitFor();
    expect(await page.locator('[data-testid=marks] .comment').textContent()).toContain('backdoor');
  });

  it('finds a node and shows its scope', async () => {
    await page.getByTestId('nav-entities').click();
    const picker = page.getByTestId('node-picker');
    await picker.waitFor();
    const key = await picker.locator('optgroup[label="access_key"] option').first();
    const value = (await key.getAttribute('value')) ?? '';
    await picker.selectOption(value);
    await page.getByTestId('node-scope').click();
    const scope = page.getByTestId('scope-summary');
    await page.waitForFunction(
      () =>
        !/Scoping/.test(
          document.querySelector('[data-testid=scope-summary]')?.textContent ?? 'Scoping',
        ),
    );
    expect(await scope.textContent()).toMatch(/\d+ events?/);
    await screenshot(page, 'entities-scope');

    await page.getByTestId('node-events').click();
    await page.waitForFunction(() => location.hash.startsWith('#timeline'));
    const query = hashParams().get('q') ?? '';
    expect(query).not.toBe('');
    const expected = await total({ q: query });
    expect(expected).toBeGreaterThan(0);
    await waitForTotal(expected);
  });

  it('finds the position of an event', async () => {
    const cookie = `${bench.cookieName}=${bench.token}`;
    const first = await api<{ events: { uid: string }[] }>(
      cookie,
      bench.origin,
      '/api/timeline?limit=200',
    );
    for (const index of [0, 5, 57, 120, 199]) {
      const uid = first.events[index]?.uid ?? '';
      const position = await api<{ row: number }>(
        cookie,
        bench.origin,
        `/api/timeline/position?uid=${encodeURIComponent(uid)}`,
      );
      expect(position.row, uid).toBe(index);
    }
    const missing = await send(bench.origin, '/api/timeline/position?uid=nothing', {
      headers: { cookie },
    });
    expect(missing.status).toBe(404);
  });

  it('keeps the open event in view around it', async () => {
    await page.goto(`${bench.origin}/#timeline`);
    await search('api.operation:CreateAccessKey');
    await waitForTotal(await total({ q: 'api.operation:CreateAccessKey' }));
    const row = page.locator('[data-uid]').first();
    const uid = (await row.getAttribute('data-uid')) ?? '';
    await row.click();
    await page.getByTestId('around-60').click();
    await page.waitForFunction(() => location.hash.includes('since='));
    const since = hashParams().get('since') ?? '';
    const until = hashParams().get('until') ?? '';
    await waitForTotal(await total({ since, until }));

    const position = await api<{ row: number }>(
      `${bench.cookieName}=${bench.token}`,
      bench.origin,
      `/api/timeline/position?${new URLSearchParams({ uid, since, until })}`,
    );
    // Deeper than the rows the table shows first, so only scrolling brings it into view.
    expect(position.row).toBeGreaterThan(30);
    const opened = page.locator(`[data-testid=timeline-rows] [data-uid="${uid}"].selected.current`);
    await opened.waitFor();
    const inView = await opened.evaluate((element) => {
      const scroller = element.closest('[data-testid=timeline-rows]') as HTMLElement;
      const box = element.getBoundingClientRect();
      const top = scroller.getBoundingClientRect().top + scroller.clientTop;
      return box.top >= top && box.bottom <= top + scroller.clientHeight;
    });
    expect(inView).toBe(true);
    await screenshot(page, 'timeline-around');
  });

  it('opens a heat-map cell on its events', async () => {
    await page.getByTestId('nav-detections').click();
    const cell = page.getByTestId('heat-cell').first();
    await cell.waitFor();
    expect(await cell.getAttribute('title')).toMatch(
      / × .*: \d+ rules? \(\d+ events?\); open them/,
    );
    const shown = Number(await cell.textContent());
    await cell.click();
    await page.waitForFunction(() => location.hash.startsWith('#timeline'));
    const query = hashParams().get('q') ?? '';
    expect(query).toMatch(/^rule:"[^"]+"( OR rule:"[^"]+")*$/);
    const expected = await total({ q: query });
    expect(expected).toBeGreaterThan(0);
    // A cell counts distinct events, so it shows as many as its timeline selects.
    expect(shown).toBe(expected);
    await waitForTotal(expected);
  });

  it('downloads a report', async () => {
    await page.getByTestId('nav-reports').click();
    const link = page
      .locator('[data-testid=reports] tr', { hasText: 'report.md' })
      .getByText('Download');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('report.md');
    const saved = await download.path();
    const original = await readFile(path.join(caseDir, 'reports/report.md'), 'utf8');
    expect(await readFile(saved, 'utf8')).toBe(original);
  });
});
