// metrics.json: every evaluation result of a run, one entry per (stage, mode, model, split, task), rewritten
// atomically on each update so a reader never sees a partial file.
//
// { "version": 1, "entries": [ { "stage": "warmup", "mode": "warmup-only", "model": "warmup", "split": "test",
//   "task": "normals", "step": 400, "metrics": { "mean": 14.2, "median": 8.1, "rmse": 21.0, "within.11.25": 61.3, ... },
//   "at": "2026-...Z" } ] }
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Diff2in1Error, writeFileAtomicSync } from '@diff2in1/tensor';
import { flattenMetrics } from './metric-columns.js';

/** Which weights were evaluated: θW after warm-up, θC (the final Diff-2-in-1 model) or θE. */
export type ModelRole = 'warmup' | 'creation' | 'exploitation';

const entrySchema = z.strictObject({
  stage: z.string().min(1),
  mode: z.string().min(1),
  model: z.string().min(1),
  split: z.string().min(1),
  task: z.string().min(1),
  step: z.number().int().min(0).optional(),
  metrics: z.record(z.string(), z.number()),
  at: z.string(),
});
const fileSchema = z.strictObject({ version: z.literal(1), entries: z.array(entrySchema) });

export type MetricsEntry = z.infer<typeof entrySchema>;
export type MetricsFile = z.infer<typeof fileSchema>;

/** What a stage passes: metrics may be nested as @diff2in1/tasks returns them (flattened here). */
export interface MetricsInput {
  stage: string;
  mode: string;
  model: ModelRole | string;
  split: string;
  task: string;
  step?: number;
  metrics: Record<string, unknown>;
}

export function metricsPath(runDir: string): string {
  return join(runDir, 'metrics.json');
}

export function readMetrics(runDir: string): MetricsFile {
  const p = metricsPath(runDir);
  if (!existsSync(p)) return { version: 1, entries: [] };
  const parsed = fileSchema.safeParse(JSON.parse(readFileSync(p, 'utf8')));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Diff2in1Error('metrics', `not a metrics file: ${i.path.join('.') || '(top)'}: ${i.message}`, { file: p });
  }
  return parsed.data;
}

const sameKey = (a: MetricsInput, b: MetricsInput): boolean =>
  a.stage === b.stage && a.mode === b.mode && a.model === b.model && a.split === b.split && a.task === b.task;

/** Adds or replaces the entry for (stage, mode, model, split, task); returns the stored entry. */
export function recordMetrics(runDir: string, input: MetricsInput, now = new Date()): MetricsEntry {
  const entry: MetricsEntry = {
    stage: input.stage,
    mode: input.mode,
    model: input.model,
    split: input.split,
    task: input.task,
    ...(input.step !== undefined ? { step: input.step } : {}),
    metrics: flattenMetrics(input.metrics),
    at: now.toISOString(),
  };
  const checked = entrySchema.parse(entry);
  const file = readMetrics(runDir);
  const i = file.entries.findIndex((e) => sameKey(e, checked));
  if (i >= 0) file.entries[i] = checked;
  else file.entries.push(checked);
  writeFileAtomicSync(metricsPath(runDir), `${JSON.stringify(file, null, 2)}\n`);
  return checked;
}
