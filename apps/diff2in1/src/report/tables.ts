// The report's tables: metrics per task (one row per stage, mode and model, the best value per column in bold)
// and image grids.
import { readFileSync, existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { GridManifest } from '../grids.js';
import type { MetricColumn } from '../metric-columns.js';
import { TASK_METRICS, defaultColumns } from '../metric-columns.js';
import type { MetricsEntry } from '../metrics.js';
import { MODEL_LABELS } from './collect.js';
import { escapeHtml } from './escape.js';

/** Paper names of the modes (Table 1). */
export const MODE_LABELS: Record<string, string> = {
  diff2in1: 'Diff-2-in-1',
  gna: 'GNA',
  'da-fusion': 'DA-Fusion',
  'warmup-only': 'warm-up only',
};

const STAGE_ORDER = ['warmup', 'self-improve', 'eval'];
const MODEL_ORDER = ['warmup', 'creation', 'exploitation'];

function rank(list: readonly string[], v: string): number {
  const i = list.indexOf(v);
  return i < 0 ? list.length : i;
}

/** The value as shown in a metrics cell (2 decimals). */
export function formatMetric(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : String(v);
}

/** Columns for a task: the configured eval.metrics if any (in that order), else the task's defaults. */
export function columnsFor(task: string, wanted: readonly string[] = []): MetricColumn[] {
  const all = TASK_METRICS[task as keyof typeof TASK_METRICS];
  if (wanted.length && all) {
    const cols = wanted.map((k) => all.find((c) => c.key === k)).filter((c): c is MetricColumn => c !== undefined);
    if (cols.length) return cols;
  }
  return [...defaultColumns(task)];
}

/** One table per (task, split): rows sorted by stage, mode and model. Unknown tasks show every metric. */
export function metricsTables(entries: readonly MetricsEntry[], wanted: readonly string[] = []): string {
  const groups = new Map<string, MetricsEntry[]>();
  for (const e of entries) {
    const k = `${e.task}\u0000${e.split}`;
    const g = groups.get(k) ?? [];
    g.push(e);
    groups.set(k, g);
  }
  const out: string[] = [];
  for (const [k, rows] of groups) {
    const [task, split] = k.split('\u0000') as [string, string];
    let cols = columnsFor(task, wanted);
    if (!cols.length) cols = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].map((key) => ({ key, label: key, better: 'lower' as const }));
    rows.sort((a, b) => rank(STAGE_ORDER, a.stage) - rank(STAGE_ORDER, b.stage) || a.mode.localeCompare(b.mode) || rank(MODEL_ORDER, a.model) - rank(MODEL_ORDER, b.model));
    const best = cols.map((c) => {
      const vals = rows.map((r) => r.metrics[c.key]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      return vals.length > 1 ? (c.better === 'lower' ? Math.min(...vals) : Math.max(...vals)) : undefined;
    });
    const head = cols.map((c) => `<th title="${c.better} is better">${escapeHtml(c.label)} ${c.better === 'lower' ? '↓' : '↑'}</th>`).join('');
    const body = rows.map((r) => {
      const cells = cols.map((c, i) => {
        const v = r.metrics[c.key];
        if (v === undefined) return `<td class="num missing" data-key="${escapeHtml(c.key)}">–</td>`;
        const cls = best[i] !== undefined && v === best[i] ? 'num best' : 'num';
        return `<td class="${cls}" data-key="${escapeHtml(c.key)}" data-value="${v}">${formatMetric(v)}</td>`;
      }).join('');
      return `<tr><td>${escapeHtml(r.stage)}</td><td>${escapeHtml(MODE_LABELS[r.mode] ?? r.mode)}</td><td>${escapeHtml(MODEL_LABELS[r.model] ?? r.model)}</td><td class="num">${r.step ?? ''}</td>${cells}</tr>`;
    }).join('\n');
    const unit = task === 'normals' ? ' (angles in degrees; thresholds: % of pixels within)' : '';
    out.push(
      `<table class="metrics" data-task="${escapeHtml(task)}" data-split="${escapeHtml(split)}">` +
        `<caption>${escapeHtml(task)} — ${escapeHtml(split)} split${unit}</caption>` +
        `<thead><tr><th>stage</th><th>mode</th><th>model</th><th>step</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`,
    );
  }
  return out.join('\n');
}

const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif', '.svg': 'image/svg+xml' };

/** src for an image: its run-relative path (URL-encoded), or a data: URI of its bytes. */
export function imageSrc(runDir: string, rel: string, mode: 'relative' | 'embed'): string | undefined {
  const abs = join(runDir, rel);
  if (!existsSync(abs)) return undefined;
  if (mode === 'relative') return rel.split('/').map(encodeURIComponent).join('/');
  const mime = MIME[extname(rel).toLowerCase()] ?? 'application/octet-stream';
  return `data:${mime};base64,${readFileSync(abs).toString('base64')}`;
}

/** A grid as a table: a header row of column names, then one row per sample (at most maxRows). */
export function gridTable(runDir: string, name: string, grid: GridManifest, maxRows: number, mode: 'relative' | 'embed', notes: string[]): string {
  const rows = grid.rows.slice(0, maxRows);
  const head = grid.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows.map((r) => {
    const cells = r.images.map((img, i) => {
      if (img === null) return '<td class="empty"></td>';
      const src = imageSrc(runDir, img, mode);
      if (!src) {
        notes.push(`samples/${name}/grid.json: image ${img} is missing`);
        return `<td class="empty">missing</td>`;
      }
      return `<td><img src="${escapeHtml(src)}" alt="${escapeHtml(`${r.label} — ${grid.columns[i] ?? ''}`)}"></td>`;
    }).join('');
    const cap = r.caption ? `<br><small>${escapeHtml(r.caption)}</small>` : '';
    return `<tr><th scope="row">${escapeHtml(r.label)}${cap}</th>${cells}</tr>`;
  }).join('\n');
  const more = grid.rows.length > rows.length ? `<p class="more">${grid.rows.length - rows.length} more rows in samples/${escapeHtml(name)}/grid.json (report.grids = ${maxRows})</p>` : '';
  return `<figure class="grid" data-grid="${escapeHtml(name)}"><figcaption>${escapeHtml(grid.title)}</figcaption><table class="grid"><thead><tr><th></th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${more}</figure>`;
}
