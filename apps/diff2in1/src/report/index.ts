// report.html: one static page, no script, no external resource (fonts, CSS and charts are inline). Images are
// referenced by run-relative paths by default — the run directory is the unit you keep or move, and a test split
// of hundreds of 512×512 predictions would make an embedded page hundreds of MB — or embedded as data: URIs with
// report.images = 'embed' when one portable file is wanted (only the report.grids rows shown are embedded).
import { basename, join } from 'node:path';
import { writeFileAtomicSync } from '@diff2in1/tensor';
import { RUN_FILES } from '../run-dir.js';
import { lineChart } from './chart.js';
import type { ReportData } from './collect.js';
import { collectReport } from './collect.js';
import { escapeHtml } from './escape.js';
import { MODE_LABELS, gridTable, metricsTables } from './tables.js';

export interface ReportOptions {
  /** Rows per image grid (config report.grids; default 8). */
  grids?: number;
  /** 'relative' (default) or 'embed'. */
  images?: 'relative' | 'embed';
  /** Metric columns (config eval.metrics; empty = the task's defaults). */
  metrics?: readonly string[];
  /** Shown in the footer (tests pass a fixed date). */
  now?: Date;
}

const CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #59636e; --line: #d1d9e0; --bg2: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; padding: 24px; max-width: 1200px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
.meta { color: var(--muted); margin: 0; } nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; margin: 12px 0; }
table.metrics th, table.metrics td, table.stages th, table.stages td { border: 1px solid var(--line); padding: 4px 10px; }
table.metrics thead th, table.stages thead th { background: var(--bg2); }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } td.best { font-weight: 700; } td.missing { color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
svg.chart { border: 1px solid var(--line); border-radius: 6px; background: #fff; max-width: 100%; height: auto; }
svg .grid { stroke: #eef1f4; } svg .frame { fill: none; stroke: #8c959f; } svg .tick, svg .legend { font-size: 11px; fill: #424a53; }
svg .chart-title { font-size: 13px; font-weight: 600; fill: var(--fg); } svg .axis-label { font-size: 11px; fill: var(--muted); }
svg .line { fill: none; stroke-width: 2; } svg .legend-box { fill: #fff; opacity: 0.85; } svg .raw { fill: none; stroke-width: 1; opacity: 0.3; } svg .chart-empty { fill: var(--muted); }
figure.grid { margin: 16px 0; overflow-x: auto; } figure.grid figcaption { font-weight: 600; }
table.grid th { font-weight: 500; font-size: 12px; color: var(--muted); padding: 2px 6px; vertical-align: middle; max-width: 160px; }
table.grid td { padding: 2px; } table.grid img { display: block; width: 160px; height: auto; image-rendering: auto; border-radius: 2px; }
td.empty { color: var(--muted); font-size: 12px; text-align: center; width: 160px; }
.notes li { color: #9a6700; } pre { background: var(--bg2); padding: 12px; overflow-x: auto; font-size: 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
`;

function summary(data: ReportData): string {
  const c = data.config as Record<string, Record<string, unknown> | string | undefined> | undefined;
  if (!c) return '<p class="meta">no config.resolved.json in the run directory</p>';
  const sec = (k: string): Record<string, unknown> => (typeof c[k] === 'object' && c[k] !== null ? (c[k] as Record<string, unknown>) : {});
  const data_ = sec('data');
  const size = sec('data')['imageSize'] as { height?: number; width?: number } | undefined;
  const mode = String(sec('selfImprove')['mode'] ?? '');
  const bits = [
    `mode <b>${escapeHtml(MODE_LABELS[mode] ?? mode)}</b>`,
    `data <b>${escapeHtml(String(data_['source'] ?? '?'))}</b>${size ? ` ${size.height}×${size.width}` : ''} (${escapeHtml(((data_['tasks'] as string[] | undefined) ?? []).join(', '))})`,
    `backbone <b>${escapeHtml(basename(String(sec('backbone')['model'] ?? '?')))}</b>`,
    `head <b>${escapeHtml(String(sec('head')['id'] ?? '?'))}</b>`,
  ];
  const desc = typeof c['description'] === 'string' ? `<p>${escapeHtml(c['description'])}</p>` : '';
  return `${desc}<p class="meta">${bits.join(' · ')}</p>`;
}

function stagesTable(data: ReportData): string {
  const stages = data.state ? Object.entries(data.state.stages) : [];
  if (!stages.length) return '<p class="meta">no stage has run yet</p>';
  const rows = stages.map(([name, s]) =>
    `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(s.status)}</td><td class="num">${s.seconds !== undefined ? s.seconds.toFixed(1) : ''}</td><td>${escapeHtml(s.finishedAt ?? s.startedAt)}</td><td>${escapeHtml(Object.keys(s.artifacts).join(', '))}</td></tr>`).join('\n');
  return `<table class="stages"><thead><tr><th>stage</th><th>status</th><th>seconds</th><th>finished</th><th>outputs</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** The report page for collected data. */
export function renderReport(data: ReportData, opts: ReportOptions = {}): string {
  const notes = [...data.notes];
  const images = opts.images ?? 'relative';
  const gridRows = opts.grids ?? 8;
  const title = `Diff-2-in-1 report — ${basename(data.runDir)}`;
  const metrics = data.metrics.length ? metricsTables(data.metrics, opts.metrics) : '<p class="meta">no metrics yet (metrics.json is written by the eval stage)</p>';
  const charts = data.curves.length
    ? `<div class="charts">${data.curves.map((c) => lineChart({ title: c.title, xLabel: c.xLabel, yLabel: c.yLabel, series: c.series })).join('\n')}</div>`
    : '<p class="meta">no training logs yet</p>';
  const grids = data.grids.length ? data.grids.map((g) => gridTable(data.runDir, g.name, g.grid, gridRows, images, notes)).join('\n') : '<p class="meta">no image grids yet</p>';
  const noteList = notes.length ? `<section id="notes"><h2>Notes</h2><ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>` : '';
  const config = data.config ? `<details><summary>config.resolved.json</summary><pre>${escapeHtml(JSON.stringify(data.config, null, 2))}</pre></details>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>${summary(data)}
<nav><a href="#metrics">metrics</a><a href="#curves">curves</a><a href="#grids">images</a><a href="#stages">stages</a><a href="#config">config</a></nav></header>
<section id="metrics"><h2>Metrics</h2>
${metrics}
</section>
<section id="curves"><h2>Training curves</h2>
${charts}
</section>
<section id="grids"><h2>Images</h2>
${grids}
</section>
<section id="stages"><h2>Stages</h2>
${stagesTable(data)}
</section>
<section id="config"><h2>Configuration</h2>
${config}
</section>
${noteList}
<footer>Generated ${escapeHtml((opts.now ?? new Date()).toISOString())} from ${escapeHtml(data.runDir)} by diff2in1.</footer>
</body>
</html>
`;
}

/** Reads the run directory and writes <runDir>/report.html atomically; returns its path. */
export function generateReport(runDir: string, opts: ReportOptions = {}): string {
  const html = renderReport(collectReport(runDir), opts);
  const path = join(runDir, RUN_FILES.report);
  writeFileAtomicSync(path, html);
  return path;
}
