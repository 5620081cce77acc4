// report.html in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; no browser download):
// it loads with no console errors or failed requests, every grid image decodes, the tables show metrics.json's
// values, and a screenshot is kept for a person to look at. Skipped with a note when chromium is not installed
// (.ci/run installs it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { chromium } from 'playwright-core';
import { FIXTURE_METRICS, makeFixtureRun } from './fixtures/make-run.js';
import { generateReport } from './index.js';
import { formatMetric } from './tables.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[report browser test] skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);

describe.skipIf(!haveChromium)('report.html in headless Chromium', () => {
  let browser: BrowserContext;
  let dir = '';
  let profile = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
    profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    await makeFixtureRun(dir);
    generateReport(dir, { now: new Date('2026-01-01T00:00:00Z') });
    // A persistent context on a fresh, empty profile folder (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('loads cleanly, shows every image and the metric values, and renders a screenshot', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));

    await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });

    // Runs in the page; typed structurally since this package's TypeScript has no DOM lib.
    type Img = { getAttribute(n: string): string | null; naturalWidth: number; complete: boolean };
    const imgs = await page.$$eval('figure.grid img', (els) => els.map((e) => {
      const i = e as unknown as Img;
      return { src: i.getAttribute('src'), w: i.naturalWidth, ok: i.complete };
    }));
    expect(imgs.length).toBe(5 * 4 + 3 * 3);
    for (const i of imgs) {
      expect(i.ok, i.src ?? '').toBe(true);
      expect(i.w, i.src ?? '').toBe(48);
    }
    // Only the page itself and its images were requested — all from the run directory.
    expect(requests.every((u) => u.startsWith(pathToFileURL(dir).href))).toBe(true);

    const rows = await page.$$eval('table.metrics[data-task="normals"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows).toHaveLength(4);
    const shown = rows.flatMap((r) => r.slice(4));
    for (const m of Object.values(FIXTURE_METRICS)) {
      for (const v of [m.within['11.25'], m.within['22.5'], m.within['30'], m.mean, m.median, m.rmse]) expect(shown).toContain(formatMetric(v));
    }
    const creationRow = rows.find((r) => r[1] === 'Diff-2-in-1' && r[2] === 'θC (creation)');
    expect(creationRow?.slice(4)).toEqual([58.4421, 77.3012, 84.6617, 15.1093, 8.9012, 23.9955].map(formatMetric));

    expect(await page.$$eval('svg.chart polyline', (p) => p.length)).toBeGreaterThan(0);
    const shot = join(dir, 'report-screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    console.log(`[report browser test] screenshot: ${shot}`);
    expect(problems).toEqual([]);
    await page.close();
  });
});
