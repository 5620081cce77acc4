import { beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineChart, movingAverage, niceStep, niceTicks } from './chart.js';
import { collectReport, curvesFromLog } from './collect.js';
import { escapeHtml } from './escape.js';
import { FIXTURE_METRICS, makeFixtureRun } from './fixtures/make-run.js';
import { generateReport, renderReport } from './index.js';
import { formatMetric } from './tables.js';

describe('chart arithmetic', () => {
  it('nice steps are 1, 2 or 5 × 10^k', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(10, 6)).toBe(2); // 1.67 → 2
    expect(niceStep(0.074, 5)).toBeCloseTo(0.01, 15); // 0.0148 → 1 × 10^-2
    expect(niceStep(700, 5)).toBe(100); // 140 → 1.4 < 1.5 → 1 × 10^2
    expect(niceStep(3500, 5)).toBe(500); // 700 → 7 < 7.5 → 5 × 10^2
  });
  it('ticks cover the range at multiples of the step', () => {
    expect(niceTicks(0, 9.3, 5)).toEqual({ lo: 0, hi: 10, ticks: [0, 2, 4, 6, 8, 10] });
    expect(niceTicks(0.013, 0.087, 5).ticks).toEqual([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09]);
    // A constant series gets ±10 %: [4.5, 5.5], span 1 → step 0.2 → widened to [4.4, 5.6].
    expect(niceTicks(5, 5, 5).ticks).toEqual([4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]);
  });
  it('moving average with a centred window', () => {
    expect(movingAverage([[0, 1], [1, 2], [2, 6], [3, 3]], 3)).toEqual([[0, 1.5], [1, 3], [2, 11 / 3], [3, 4.5]]);
  });
  it('maps data to the plot area (hand-computed corners)', () => {
    // W=640, H=260, margins l=62 r=16 t=30 b=44 → plot x ∈ [62, 624], y ∈ [30, 216]; ticks 0..10 both ways.
    const svg = lineChart({ title: 't', width: 640, series: [{ name: 'a', points: [[0, 0], [10, 10]] }], yScale: 'linear' });
    expect(svg).toContain('points="62.0,216.0 624.0,30.0"');
  });
  it('uses a log axis when positive values span more than two decades', () => {
    const svg = lineChart({ title: 'loss', yLabel: 'loss', series: [{ name: 'a', points: [[0, 100], [1, 1], [2, 0.5]] }] });
    expect(svg).toContain('loss (log)');
    // decades 10^-1 .. 10^2 → 4 y ticks labelled 0.1, 1, 10, 100
    for (const t of ['>0.1<', '>1<', '>10<', '>100<']) expect(svg).toContain(t);
  });
  it('an empty chart says so; text is escaped', () => {
    expect(lineChart({ title: '<b>', series: [] })).toContain('no data');
    expect(lineChart({ title: '<b>', series: [] })).toContain('&lt;b&gt;');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('curves from logs', () => {
  it('training losses per field and the primary eval metric per model', () => {
    const curves = curvesFromLog('self-improve', [
      { event: 'train', step: 1, loss_real: 1, loss_synthetic: 2, lr: 0.1 },
      { event: 'train', step: 2, loss_real: 0.5, loss_synthetic: 1 },
      { event: 'eval', step: 2, model: 'creation', task: 'normals', metrics: { mean: 20, within: { '11.25': 40 } } },
      { event: 'eval', step: 2, model: 'exploitation', task: 'normals', metrics: { mean: 21 } },
      { event: 'train', loss: 3 }, // no step: ignored
    ]);
    expect(curves.map((c) => c.title)).toEqual(['self-improve: training loss', 'self-improve: normals mean during training']);
    expect(curves[0]!.series).toEqual([{ name: 'loss_real', points: [[1, 1], [2, 0.5]] }, { name: 'loss_synthetic', points: [[1, 2], [2, 1]] }]);
    expect(curves[1]!.series.map((s) => [s.name, s.points])).toEqual([['θC (creation)', [[2, 20]]], ['θE (exploitation)', [[2, 21]]]]);
  });
});

describe('report.html from a fixture run directory', () => {
  let dir = '';
  let html = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'report-'));
    await makeFixtureRun(dir);
    generateReport(dir, { now: new Date('2026-01-01T00:00:00Z') });
    html = readFileSync(join(dir, 'report.html'), 'utf8');
  });

  it('is self-contained: no script, no external URL', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  it('tables hold every metric value of metrics.json (2 decimals), best per column in bold', () => {
    const cells = [...html.matchAll(/<td class="(num[^"]*)" data-key="([^"]+)" data-value="([^"]+)">([^<]+)<\/td>/g)];
    expect(cells.length).toBe(4 * 6);
    for (const [, , , raw, shown] of cells) expect(shown).toBe(formatMetric(Number(raw)));
    const expected = Object.values(FIXTURE_METRICS).flatMap((m) => [m.mean, m.median, m.rmse, m.within['11.25'], m.within['22.5'], m.within['30']]);
    expect(cells.map((c) => Number(c[3])).sort()).toEqual([...expected].sort());
    // Lowest mean error is θC's, highest 11.25° share too.
    const best = cells.filter((c) => c[1] === 'num best').map((c) => [c[2], Number(c[3])]);
    expect(best).toEqual(expect.arrayContaining([['mean', FIXTURE_METRICS.creation.mean], ['within.11.25', FIXTURE_METRICS.creation.within['11.25']]]));
    expect(html).toContain('<td>GNA</td>');
    expect(html).toContain('<td>θW (warm-up)</td>');
  });

  it('grids reference existing images by run-relative path; text is escaped', () => {
    const srcs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]!);
    expect(srcs.length).toBe(5 * 4 + 3 * 3);
    for (const s of srcs) expect(existsSync(join(dir, decodeURIComponent(s)))).toBe(true);
    expect(html).toContain('fixture &lt;run&gt; &amp; &quot;report&quot; test');
    expect(html).toContain('a room with a ball');
  });

  it('report.grids limits the rows; embed mode inlines the exact bytes', () => {
    const data = collectReport(dir);
    const small = renderReport(data, { grids: 2, images: 'embed' });
    const srcs = [...small.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]!);
    expect(srcs.length).toBe(2 * 4 + 2 * 3);
    expect(small).toContain('3 more rows in samples/eval/grid.json (report.grids = 2)');
    const first = srcs[0]!;
    expect(first.startsWith('data:image/png;base64,')).toBe(true);
    expect(Buffer.from(first.slice('data:image/png;base64,'.length), 'base64').equals(readFileSync(join(dir, 'samples/eval/0000-input.png')))).toBe(true);
  });

  it('curves for both logs are drawn', () => {
    expect([...html.matchAll(/<svg class="chart"/g)].length).toBe(4);
    expect(html.indexOf('warmup: training loss')).toBeLessThan(html.indexOf('self-improve: training loss')); // pipeline order
    expect(html).toContain('self-improve: normals mean during training');
  });

  it('damage becomes a note, not a failure', () => {
    const d2 = mkdtempSync(join(tmpdir(), 'report-'));
    appendFileSync(join(d2, 'x'), '');
    const data = collectReport(d2);
    expect(renderReport(data)).toContain('no metrics yet');
    appendFileSync(join(dir, 'logs/warmup.jsonl'), '{"event":"train","st');
    expect(collectReport(dir).notes).toContain('logs/warmup.jsonl: the last line was cut short (an interrupted write) and is ignored');
  });
});
