import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../src/case/audit-trail.ts';
import { setCase } from '../src/case/index.ts';
import { type HeadlessBrowser, launchChromium } from '../src/core/chromium.ts';
import { sanitizeTerminal } from '../src/core/escape.ts';
import { silentLogger } from '../src/core/logger.ts';
import { generateScenario } from '../src/demo/index.ts';
import { runInvestigate } from '../src/pipeline/investigate.ts';
import { startWorkbench, type Workbench } from '../src/server/workbench.ts';
import { runCli, tempDir } from './support/cli.ts';
import { api, buildHostileCase, HOSTILE, screenshot, send } from './support/workbench.ts';

const ANALYST = 'tester@example';

let caseDir: string;
let bench: Workbench;
let browser: HeadlessBrowser;
let page: Page;
const dialogs: string[] = [];
const policyViolations: string[] = [];

beforeAll(async () => {
  const work = await tempDir('cloudcase-serve-');
  const logs = path.join(work, 'logs');
  caseDir = path.join(work, 'case');
  await generateScenario(logs, { scale: 0.01 });
  await runInvestigate({ paths: [logs], caseDir, logger: silentLogger() });
  // A ransom paid an hour ago starts CIRCIA's 24-hour clock beside the 72-hour one.
  const paid = new Date(Date.now() - 3_600_000).toISOString();
  await setCase(caseDir, { analyst: ANALYST }, { report_fields: [['ransom_payment_at', paid]] });
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
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (/Content Security Policy/.test(message.text())) policyViolations.push(message.text());
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bench?.close();
});

const cookie = () => ({ cookie: `${bench.cookieName}=${bench.token}` });
const total = (query: Record<string, string>) =>
  api<{ total: number }>(
    cookie().cookie,
    bench.origin,
    `/api/timeline?limit=1&${new URLSearchParams(query)}`,
  ).then((page) => page.total);

async function waitForTotal(expected: number): Promise<void> {
  await page.waitForSelector(`[data-testid=timeline-status][data-total="${expected}"]`);
}

function hashParams(): URLSearchParams {
  return new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');
}

describe('serve access', () => {
  it('answers 401 without the token', async () => {
    for (const target of ['/', '/api/overview', '/app.js', '/?token=wrong']) {
      const answer = await send(bench.origin, target);
      expect(answer.status, target).toBe(401);
      expect(answer.body, target).not.toContain('"events"');
    }
    const wrongCookie = await send(bench.origin, '/api/overview', {
      headers: { cookie: `${bench.cookieName}=guess` },
    });
    expect(wrongCookie.status).toBe(401);
  });

  it('sets the token as a strict HttpOnly cookie', async () => {
    const login = await send(bench.origin, `/?token=${bench.token}`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/');
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');

    const overview = await send(bench.origin, '/api/overview', { headers: cookie() });
    expect(overview.status).toBe(200);
    const policy = String(overview.headers['content-security-policy']);
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(overview.headers['x-content-type-options']).toBe('nosniff');
  });

  it('rejects another Host and a cross-origin write', async () => {
    const rebound = await send(bench.origin, '/api/overview', {
      headers: { ...cookie(), host: 'attacker.example' },
    });
    expect(rebound.status).toBe(421);

    const crossOrigin = await send(bench.origin, '/api/marks', {
      method: 'POST',
      headers: {
        ...cookie(),
        origin: 'http://attacker.example',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ uid: 'x', kind: 'star' }),
    });
    expect(crossOrigin.status).toBe(403);
  });

  it('bounds request bodies and queries', async () => {
    const large = await send(bench.origin, '/api/searches', {
      method: 'POST',
      headers: { ...cookie(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'big', query: 'x'.repeat(100_000) }),
    });
    expect(large.status).toBe(413);
    const longQuery = await send(bench.origin, `/api/timeline?q=${'a'.repeat(3000)}`, {
      headers: cookie(),
    });
    expect(longQuery.status).toBe(400);
  });

  it('makes other commands name the server', async () => {
    const run = await runCli(['timeline', '--case', caseDir, '--limit', '1']);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('open in cloudcase serve');
    expect(run.stderr).toContain(`pid ${process.pid}`);
    expect(run.stderr).toContain(bench.origin);
  });
});

describe('workbench in the browser', () => {
  it('opens the case with the token', async () => {
    await page.goto(bench.url);
    expect(new URL(page.url()).search).toBe('');
    const overview = await api<{ events: number }>(cookie().cookie, bench.origin, '/api/overview');
    const count = page.getByTestId('event-count');
    await count.waitFor();
    expect(await count.textContent()).toBe(overview.events.toLocaleString('en'));
    expect(await page.getByTestId('reporting-clock').textContent()).toMatch(
      /^7[01] h \d\d min left/,
    );
    expect(await page.getByTestId('ransom-clock').textContent()).toMatch(/^2[23] h \d\d min left/);
    await screenshot(page, 'overview');
  });

  it('searches with field-name completion', async () => {
    await page.getByTestId('nav-timeline').click();
    const query = page.getByTestId('query');
    await query.pressSequentially('api.oper');
    await page.locator('[data-testid=completions] li[data-field="api.operation"]').waitFor();
    await query.press('Tab');
    expect(await query.inputValue()).toBe('api.operation:');
    await query.pressSequentially('CreateAccessKey');
    await query.press('Enter');

    const expected = await total({ q: 'api.operation:CreateAccessKey' });
    expect(expected).toBeGreaterThan(0);
    await waitForTotal(expected);
    const operations = await page.locator('[data-uid] span:nth-child(5)').allTextContents();
    expect(operations.length).toBeGreaterThan(0);
    expect(new Set(operations)).toEqual(new Set(['CreateAccessKey']));
    const status = await page.getByTestId('timeline-status').textContent();
    expect(status).toBe(expected === 1 ? '1 event' : `${expected.toLocaleString('en')} events`);

    // The x-axis spans the selected events, not years around them.
    const times = await page.locator('[data-uid] span:nth-child(2)').allTextContents();
    const first = Date.parse(`${(times[0] ?? '').replace(' ', 'T')}Z`);
    const last = Date.parse(`${(times.at(-1) ?? '').replace(' ', 'T')}Z`);
    const chart = page.getByTestId('histogram');
    await page.waitForFunction(() => {
      const element = document.querySelector('[data-testid=histogram]') as HTMLElement | null;
      return element?.dataset.rangeStart !== undefined && element.dataset.ticks !== undefined;
    });
    const rangeStart = Date.parse((await chart.getAttribute('data-range-start')) ?? '');
    const rangeEnd = Date.parse((await chart.getAttribute('data-range-end')) ?? '');
    expect(rangeStart).toBeLessThanOrEqual(first);
    expect(rangeEnd).toBeGreaterThan(last);
    expect(rangeEnd - rangeStart).toBeLessThanOrEqual(Math.max(2 * (last - first), 86_400_000));
    const ticks = ((await chart.getAttribute('data-ticks')) ?? '').split('|');
    expect(ticks.length).toBeGreaterThan(1);
    for (const tick of ticks)
      expect(tick).not.toMatch(/^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)|am|pm/);
    expect(await page.getByTestId('histogram-caption').textContent()).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} – .* UTC, bars of \d/,
    );
    await screenshot(page, 'timeline-search');
  });

  it('zooms the histogram by brushing', async () => {
    await page.goto(`${bench.origin}/#timeline`);
    const whole = await total({});
    await waitForTotal(whole);
    const area = await page.locator('[data-testid=histogram] .u-over').boundingBox();
    if (area === null) throw new Error('the histogram has no plotting area');

    const y = area.y + area.height / 2;
    await page.mouse.move(area.x + area.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(area.x + area.width * 0.7, y, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => location.hash.includes('until='));

    const since = hashParams().get('since') ?? '';
    const until = hashParams().get('until') ?? '';
    expect(Date.parse(since)).toBeLessThan(Date.parse(until));
    const zoomed = await total({ since, until });
    expect(zoomed).toBeLessThan(whole);
    await waitForTotal(zoomed);
    await page.getByTestId('reset-zoom').waitFor();
    await screenshot(page, 'timeline-zoomed');
  });

  it('opens an event, tags it and finds the tag after a reload', async () => {
    await page.goto(`${bench.origin}/#timeline`);
    await waitForTotal(await total({}));
    const first = page.locator('[data-uid]').first();
    await first.waitFor();
    const uid = (await first.getAttribute('data-uid')) ?? '';
    await first.click();
    await page.locator(`[data-uid="${uid}"].selected`).waitFor();
    await page.getByTestId('raw').waitFor();
    expect(await page.getByTestId('evidence').textContent()).toMatch(/[0-9a-f]{64}/);
    expect(await page.getByTestId('raw').textContent()).toContain('eventName');

    await page.getByTestId('tag-input').fill('exfil-check');
    await page.getByTestId('add-tag').click();
    await page.locator('[data-testid=marks] .tag', { hasText: 'exfil-check' }).waitFor();
    await screenshot(page, 'event-detail');

    await page.reload();
    await page.getByTestId('query').fill('tag:exfil-check');
    await page.getByTestId('search').click();
    await waitForTotal(1);
    expect(await page.locator('[data-uid]').first().getAttribute('data-uid')).toBe(uid);
    await page.locator('[data-uid]').first().click();
    const mark = page.locator('[data-testid=marks] li', { hasText: 'exfil-check' });
    await mark.waitFor();
    expect(await mark.textContent()).toContain(ANALYST);
  });

  it('events around one show its neighbours', async () => {
    await page.getByTestId('around-5').click();
    await page.waitForFunction(() => location.hash.includes('since='));
    const since = hashParams().get('since') ?? '';
    const until = hashParams().get('until') ?? '';
    expect(Date.parse(until) - Date.parse(since)).toBe(10 * 60_000);
    await waitForTotal(await total({ since, until }));
  });

  it('opens a detection on its events', async () => {
    await page.getByTestId('nav-detections').click();
    const rule = page.getByTestId('rule').first();
    await rule.waitFor();
    expect(await page.locator('[data-testid=heat-map] td[class^="heat-"]').count()).toBeGreaterThan(
      0,
    );
    await screenshot(page, 'detections');

    const events = Number(await rule.locator('td').nth(2).textContent());
    await rule.click();
    await page.waitForFunction(() => location.hash.startsWith('#timeline'));
    expect(hashParams().get('q')).toMatch(/^rule:"/);
    await waitForTotal(events);

    await page.locator('[data-uid]').first().click();
    await page.getByTestId('reasons').first().waitFor();
    expect(await page.getByTestId('reasons').first().textContent()).toContain(' matched ');
  });

  it('draws the entity graph', async () => {
    await page.getByTestId('nav-entities').click();
    await page.locator('[data-testid=graph][data-nodes]').waitFor();
    expect(Number(await page.getByTestId('graph').getAttribute('data-nodes'))).toBeGreaterThan(0);
    await screenshot(page, 'entities');
  });

  it('scopes a node of the entity graph', async () => {
    const answers = await page.evaluate(async () => {
      const graph = await (await fetch('/api/entities')).json();
      const key = graph.nodes.find((node: { kind: string }) => node.kind === 'access_key');
      const scoped = await fetch(
        `/api/scope?kind=access_key&value=${encodeURIComponent(key.label)}`,
      );
      const wrong = await fetch('/api/scope?kind=planet&value=x');
      return { status: scoped.status, scope: await scoped.json(), wrong: wrong.status };
    });

    expect(answers.status).toBe(200);
    expect(answers.scope.events).toBeGreaterThan(0);
    expect(answers.scope.indicator.kind).toBe('key');
    expect(answers.scope.change_count).toBeGreaterThanOrEqual(answers.scope.changes.length);
    expect(answers.scope.data_read.reads).toBeGreaterThanOrEqual(0);
    expect(answers.scope.data_read_text).toMatch(/read/);
    expect(answers.wrong).toBe(400);

    await page.getByTestId('nav-entities').click();
    const picker = page.getByTestId('node-picker');
    await picker.waitFor();
    await picker.selectOption(`access_key:${answers.scope.indicator.value}`);
    await page.getByTestId('node-scope').click();
    const shown = page.getByTestId('scope-data-read');
    await shown.waitFor();
    expect(await shown.textContent()).toBe(`Data read: ${answers.scope.data_read_text}`);
    expect(await page.getByTestId('scope-changes').textContent()).toContain(
      `Changes to roll back: ${answers.scope.change_count}`,
    );
  });

  it('lists marks and previews a report', async () => {
    await page.getByTestId('nav-marks').click();
    await page.locator('[data-testid=marked-events] td', { hasText: 'exfil-check' }).waitFor();
    await screenshot(page, 'marks');

    await page.getByTestId('nav-reports').click();
    await page.getByTestId('preview-report.md').click();
    expect(await page.getByTestId('report-text').textContent()).toContain('#');
    await page.getByTestId('preview-report.html').click();
    await page.getByTestId('report-frame').waitFor();
    await screenshot(page, 'report');
    expect(policyViolations).toEqual([]);
    expect(dialogs).toEqual([]);
  });

  it('records marks in the audit trail', async () => {
    await bench.close();
    const trail = await readAudit(caseDir);
    const tags = trail.entries.filter((entry) => entry.command === 'serve mark tag');

    expect(trail.broken).toEqual([]);
    expect(tags).toHaveLength(1);
    expect(tags[0]?.actor).toBe(ANALYST);
    expect(tags[0]?.options.value).toBe('exfil-check');
    expect(tags[0]?.results).toBe(1);
  });
});

describe('hostile content', () => {
  let hostile: Workbench;

  beforeAll(async () => {
    const hostileDir = path.join(await tempDir('cloudcase-hostile-'), 'case');
    await buildHostileCase(hostileDir);
    hostile = await startWorkbench({
      caseDir: hostileDir,
      host: '127.0.0.1',
      port: 0,
      analyst: ANALYST,
      logger: silentLogger(),
    });
  });

  afterAll(async () => {
    await hostile?.close();
  });

  // Nothing the payload carries ran or became an element.
  async function expectInert(view: string): Promise<void> {
    const state = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
      scripts: document.scripts.length,
      injected: document.querySelectorAll('#pwned, #bold, img[src="x"], [onerror]').length,
      title: document.title,
    }));
    expect(state, view).toEqual({
      pwned: null,
      scripts: 1,
      injected: 0,
      title: 'cloudcase workbench',
    });
    expect(dialogs, view).toEqual([]);
  }

  it('renders HTML, script and ANSI payloads as inert text in every view', async () => {
    // Control characters show as visible escapes, such as \x1b for the ESC of ANSI colour.
    const shown = sanitizeTerminal(HOSTILE);
    expect(shown).toContain('\\x1b[31m');
    await page.goto(hostile.url);
    await page.locator('h1').waitFor();
    expect(await page.locator('h1').textContent()).toBe(shown);
    await expectInert('overview');
    await screenshot(page, 'hostile-overview');

    await page.getByTestId('nav-timeline').click();
    await waitForTotalOf(3);
    expect(await page.locator('[data-uid]').first().textContent()).toContain('<script>');
    await page.locator('[data-uid]').first().click();
    await page.getByTestId('raw').waitFor();
    expect(await page.getByTestId('detail-message').textContent()).toBe(`${shown} (0)`);
    expect(await page.getByTestId('raw').textContent()).toContain('onerror');
    expect(await page.getByTestId('reasons').first().textContent()).toContain(shown);
    await page.getByTestId('tag-input').fill(HOSTILE);
    await page.getByTestId('add-tag').click();
    await page.locator('[data-testid=marks] .tag').first().waitFor();
    await expectInert('timeline');
    await screenshot(page, 'hostile-timeline');

    await page.getByTestId('nav-detections').click();
    await page.getByTestId('rule').first().waitFor();
    expect(await page.getByTestId('rule').first().textContent()).toContain(shown);
    await expectInert('detections');
    await screenshot(page, 'hostile-detections');

    await page.getByTestId('nav-entities').click();
    await page.locator('[data-testid=graph][data-nodes]').waitFor();
    expect(await page.getByTestId('node-picker').textContent()).toContain(shown.slice(0, 60));
    await page.getByTestId('node-picker').selectOption({ index: 1 });
    await page.getByTestId('node-events').waitFor();
    await expectInert('entities');
    await screenshot(page, 'hostile-entities');

    await page.getByTestId('nav-marks').click();
    await page.locator('[data-testid=marked-events] tbody tr').first().waitFor();
    expect(await page.getByTestId('marked-events').textContent()).toContain(shown);
    await expectInert('marks');

    await page.getByTestId('nav-reports').click();
    await page.getByTestId('preview-report.md').click();
    expect(await page.getByTestId('report-text').textContent()).toBe(`# ${shown}\n`);
    await page.getByTestId('preview-report.html').click();
    await page.getByTestId('report-frame').waitFor();
    await page.waitForTimeout(200);
    await expectInert('reports');
    await screenshot(page, 'hostile-reports');
    // The report's own image is blocked by the preview's policy; the app itself breaks none.
    expect(policyViolations.filter((text) => !text.includes('/reports/'))).toEqual([]);
  });

  async function waitForTotalOf(expected: number): Promise<void> {
    await page.waitForSelector(`[data-testid=timeline-status][data-total="${expected}"]`);
  }
});
