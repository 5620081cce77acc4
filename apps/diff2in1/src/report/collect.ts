// Reads what the report shows from a run directory, tolerating damage: a torn or corrupt log line, a bad grid
// manifest or an unreadable metrics file becomes a note in the report instead of an error.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '@diff2in1/tensor';
import type { GridManifest } from '../grids.js';
import { readGrids } from '../grids.js';
import { flattenMetrics, primaryMetric } from '../metric-columns.js';
import type { MetricsEntry } from '../metrics.js';
import { readMetrics } from '../metrics.js';
import type { RunState } from '../run-dir.js';
import { RUN_FILES } from '../run-dir.js';
import type { Series } from './chart.js';

export interface CurveSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

export interface ReportData {
  runDir: string;
  config: Record<string, unknown> | undefined;
  metrics: MetricsEntry[];
  curves: CurveSpec[];
  grids: { name: string; grid: GridManifest }[];
  state: RunState | undefined;
  notes: string[];
}

/** Display names of the evaluated weights (paper Fig. 2). */
export const MODEL_LABELS: Record<string, string> = { warmup: 'θW (warm-up)', creation: 'θC (creation)', exploitation: 'θE (exploitation)' };

interface LogRecord {
  event?: unknown;
  step?: unknown;
  model?: unknown;
  task?: unknown;
  metrics?: unknown;
  [k: string]: unknown;
}

function pushPoint(map: Map<string, [number, number][]>, key: string, x: number, y: number): void {
  let arr = map.get(key);
  if (!arr) map.set(key, (arr = []));
  arr.push([x, y]);
}

/** Curves from one stage's log: training losses vs step, and the primary metric of each evaluation vs step. */
export function curvesFromLog(stage: string, records: readonly LogRecord[]): CurveSpec[] {
  const losses = new Map<string, [number, number][]>();
  const evals = new Map<string, Map<string, [number, number][]>>(); // "task|metric" -> model -> points
  for (const r of records) {
    if (typeof r.step !== 'number') continue;
    const suffix = typeof r.model === 'string' ? ` (${MODEL_LABELS[r.model] ?? r.model})` : '';
    if (r.event === 'train') {
      for (const [k, v] of Object.entries(r)) if (/loss/i.test(k) && typeof v === 'number') pushPoint(losses, `${k}${suffix}`, r.step, v);
    } else if (r.event === 'eval' && typeof r.task === 'string' && r.metrics !== null && typeof r.metrics === 'object') {
      const flat = flattenMetrics(r.metrics as Record<string, unknown>);
      const key = primaryMetric(r.task);
      const v = key !== undefined ? flat[key] : undefined;
      if (key === undefined || v === undefined) continue;
      const id = `${r.task}|${key}`;
      let byModel = evals.get(id);
      if (!byModel) evals.set(id, (byModel = new Map()));
      pushPoint(byModel, typeof r.model === 'string' ? (MODEL_LABELS[r.model] ?? r.model) : 'model', r.step, v);
    }
  }
  const out: CurveSpec[] = [];
  if (losses.size) {
    out.push({ title: `${stage}: training loss`, xLabel: 'iteration', yLabel: 'loss', series: [...losses].map(([name, points]) => ({ name, points })) });
  }
  for (const [id, byModel] of evals) {
    const [task, metric] = id.split('|') as [string, string];
    out.push({
      title: `${stage}: ${task} ${metric} during training`,
      xLabel: 'iteration',
      yLabel: metric,
      series: [...byModel].map(([name, points]) => ({ name, points })),
    });
  }
  return out;
}

/** Everything the report shows. */
export function collectReport(runDir: string): ReportData {
  const notes: string[] = [];
  let config: Record<string, unknown> | undefined;
  const cfgPath = join(runDir, RUN_FILES.config);
  if (existsSync(cfgPath)) {
    try {
      config = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      notes.push(`${RUN_FILES.config}: ${(e as Error).message}`);
    }
  }
  let metrics: MetricsEntry[] = [];
  try {
    metrics = readMetrics(runDir).entries;
  } catch (e) {
    notes.push((e as Error).message);
  }
  const curves: CurveSpec[] = [];
  const logsDir = join(runDir, RUN_FILES.logs);
  if (existsSync(logsDir)) {
    // Pipeline order first (warm-up before self-improving), other logs after, by name.
    const order = ['data', 'warmup', 'caption', 'synthesize', 'self-improve', 'eval'];
    const rank = (f: string): number => {
      const i = order.indexOf(f.replace(/\.jsonl$/, ''));
      return i < 0 ? order.length : i;
    };
    const files = readdirSync(logsDir).filter((n) => n.endsWith('.jsonl')).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    for (const f of files) {
      const records = readJsonl<LogRecord>(join(logsDir, f), {
        skipInvalid: true,
        onInvalid: (line) => notes.push(`logs/${f}: line ${line} is not valid JSON (skipped)`),
        onTornTail: () => notes.push(`logs/${f}: the last line was cut short (an interrupted write) and is ignored`),
      }).filter((r): r is LogRecord => r !== null && typeof r === 'object');
      curves.push(...curvesFromLog(f.replace(/\.jsonl$/, ''), records));
    }
  }
  const grids = readGrids(runDir, (file, message) => notes.push(`${file}: ${message}`));
  let state: RunState | undefined;
  const statePath = join(runDir, RUN_FILES.state);
  if (existsSync(statePath)) {
    try {
      state = JSON.parse(readFileSync(statePath, 'utf8')) as RunState;
    } catch (e) {
      notes.push(`${RUN_FILES.state}: ${(e as Error).message}`);
    }
  }
  return { runDir, config, metrics, curves, grids, state, notes };
}
