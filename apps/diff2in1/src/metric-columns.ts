// The metrics each task reports, in the order of the paper's tables, with the direction that is better. Keys are
// the flattened names of @diff2in1/tasks' metric results (nested records joined by '.': within['11.25'] →
// 'within.11.25'). Used to validate eval.metrics and to lay out report tables.
import type { TASKS } from './config/schema.js';

export type TaskName = (typeof TASKS)[number];

export interface MetricColumn {
  key: string;
  label: string;
  better: 'lower' | 'higher';
}

const seg: MetricColumn[] = [
  { key: 'mIoU', label: 'mIoU', better: 'higher' },
  { key: 'pixelAccuracy', label: 'pixel acc.', better: 'higher' },
  { key: 'meanAccuracy', label: 'mean acc.', better: 'higher' },
];

export const TASK_METRICS: Record<TaskName, readonly MetricColumn[]> = {
  // Paper Table 1 (after Bae et al. 2021): % within 11.25°, 22.5°, 30° (↑), mean, median, RMSE in degrees (↓).
  normals: [
    { key: 'within.11.25', label: '11.25°', better: 'higher' },
    { key: 'within.22.5', label: '22.5°', better: 'higher' },
    { key: 'within.30', label: '30°', better: 'higher' },
    { key: 'mean', label: 'mean', better: 'lower' },
    { key: 'median', label: 'median', better: 'lower' },
    { key: 'rmse', label: 'RMSE', better: 'lower' },
    { key: 'within.5', label: '5°', better: 'higher' },
    { key: 'within.7.5', label: '7.5°', better: 'higher' },
  ],
  // Paper Table 3 reports depth RMSE; the rest are the usual Eigen et al. / BTS metrics.
  depth: [
    { key: 'rmse', label: 'RMSE', better: 'lower' },
    { key: 'absRel', label: 'abs rel', better: 'lower' },
    { key: 'sqRel', label: 'sq rel', better: 'lower' },
    { key: 'rmseLog', label: 'RMSE log', better: 'lower' },
    { key: 'log10', label: 'log10', better: 'lower' },
    { key: 'silog', label: 'SILog', better: 'lower' },
    { key: 'delta1', label: 'δ<1.25', better: 'higher' },
    { key: 'delta2', label: 'δ<1.25²', better: 'higher' },
    { key: 'delta3', label: 'δ<1.25³', better: 'higher' },
  ],
  semseg: seg,
  parts: seg,
  saliency: [
    { key: 'maxF', label: 'maxF', better: 'higher' },
    { key: 'mIoU', label: 'mIoU', better: 'higher' },
  ],
};

/** The columns shown by default (normals: the paper's six). */
export function defaultColumns(task: string): readonly MetricColumn[] {
  const all = TASK_METRICS[task as TaskName];
  if (!all) return [];
  return task === 'normals' ? all.slice(0, 6) : all;
}

/** Nested numeric records flattened with '.' (arrays and non-numbers dropped). */
export function flattenMetrics(value: Record<string, unknown>, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number') out[key] = v;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flattenMetrics(v as Record<string, unknown>, key));
  }
  return out;
}

/** The metric plotted over training time: normals' mean angular error, else the task's first column. */
export function primaryMetric(task: string): string | undefined {
  if (task === 'normals') return 'mean';
  return TASK_METRICS[task as TaskName]?.[0]?.key;
}
