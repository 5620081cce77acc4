// Evaluation of a parameter set on a labelled split with the tasks' metrics (@diff2in1/tasks: normals as Bae et
// al. compute them — mean / median / RMSE / % within 11.25°, 22.5°, 30° over all valid pixels of all images),
// plus the "mean normal" baseline the warm-up acceptance compares against.
import type { Sample } from '@diff2in1/datasets';
import type { Predictions } from '@diff2in1/heads';
import { type TaskName, getTask } from '@diff2in1/tasks';
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';
import type { Predictor } from './predictor.js';
import type { SampleSource } from './sample-source.js';

export type Metrics = Record<string, Record<string, unknown>>;

export interface EvaluateOptions {
  batchSize?: number;
  /** Only the first `limit` samples (default all). */
  limit?: number;
  /** Called after each batch with (done, total). */
  onBatch?: (done: number, total: number) => void;
}

interface Acc {
  update(pred: Tensor, gt: Tensor, valid?: Tensor<'bool'>): void;
  compute(): unknown;
}

function accumulator(task: TaskName, numClasses: number | undefined): Acc {
  const def = getTask(task);
  if (def.kind === 'classes') return def.metric(numClasses === undefined ? {} : { numClasses }) as unknown as Acc;
  return def.metric({}) as unknown as Acc;
}

/** Stacks one task's labels of a batch: gt [B, C, H, W] (or int32 [B, H, W]) and valid bool [B, H, W]. */
export function stackLabels(samples: readonly Sample[], task: TaskName): { gt: Tensor; valid: Tensor<'bool'> } {
  const ls = samples.map((s, i) => s.labels[task] ?? (() => { throw new Diff2in1Error('self-improver', `evaluate: sample '${s.id}' (${i}) has no '${task}' label`); })());
  const v0 = ls[0]!.value;
  const gt = new Tensor(v0.dtype, [ls.length, ...v0.shape]) as Tensor;
  const va = ls[0]!.valid;
  const valid = new Tensor('bool', [ls.length, ...va.shape]);
  ls.forEach((l, i) => {
    (gt.data as Float32Array).set(l.value.data as Float32Array, i * v0.size);
    valid.data.set(l.valid.data, i * va.size);
  });
  return { gt, valid };
}

function predictionFor(pred: Predictions, task: TaskName, kind: 'dense' | 'classes'): Tensor {
  const p = pred[task];
  if (!p) throw new Diff2in1Error('self-improver', `evaluate: the head gave no '${task}' prediction`);
  if (kind === 'dense') return p.value;
  const [n, , h, w] = p.value.shape as [number, number, number, number];
  return new Tensor('int32', [n, h, w], Int32Array.from(p.value.data, (x) => Math.round(x)));
}

/** Metrics per task of parameter set `state` on every (or the first `limit`) sample of `source`. */
export async function evaluate(predictor: Predictor, state: Readonly<Record<string, Tensor>>, source: SampleSource, o: EvaluateOptions = {}): Promise<Metrics> {
  const tasks = predictor.model.tasks;
  const accs = new Map(tasks.map((t) => [t, accumulator(t, source.dataset.classes[t as 'semseg' | 'parts']?.names.length)]));
  const n = Math.min(source.length, o.limit ?? source.length);
  const bs = o.batchSize ?? 8;
  for (let start = 0; start < n; start += bs) {
    const items = Array.from({ length: Math.min(bs, n - start) }, (_, k) => ({ index: start + k, variant: 'none' as const, visit: 0 }));
    const { samples, features } = await source.load(items);
    const pred = await predictor.predict(state, features);
    for (const t of tasks) {
      const { gt, valid } = stackLabels(samples, t);
      accs.get(t)!.update(predictionFor(pred, t, getTask(t).kind), gt, valid);
    }
    o.onBatch?.(start + items.length, n);
  }
  return Object.fromEntries(tasks.map((t) => [t, accs.get(t)!.compute() as Record<string, unknown>]));
}

/**
 * The trivial baseline: predict the training set's mean normal (the valid-pixel average of every training
 * label, normalised) at every pixel; returns the mean angular error etc. on `test`.
 */
export async function meanNormalBaseline(train: SampleSource['dataset'], test: SampleSource['dataset'], limit?: number): Promise<{ meanNormal: [number, number, number]; metrics: Record<string, unknown> }> {
  const sum = [0, 0, 0];
  for (let i = 0; i < train.length; i++) {
    const l = (await train.get(i)).labels.normals;
    if (!l) throw new Diff2in1Error('self-improver', `meanNormalBaseline: training sample ${i} has no normals`);
    const hw = l.valid.size;
    for (let p = 0; p < hw; p++) if (l.valid.data[p]) for (let c = 0; c < 3; c++) sum[c]! += l.value.data[c * hw + p]!;
  }
  const norm = Math.hypot(sum[0]!, sum[1]!, sum[2]!) || 1;
  const m: [number, number, number] = [sum[0]! / norm, sum[1]! / norm, sum[2]! / norm];
  const acc = getTask('normals').metric({});
  const n = Math.min(test.length, limit ?? test.length);
  for (let i = 0; i < n; i++) {
    const l = (await test.get(i)).labels.normals!;
    const hw = l.valid.size;
    const pred = new Tensor('float32', l.value.shape);
    for (let c = 0; c < 3; c++) pred.data.fill(m[c]!, c * hw, (c + 1) * hw);
    acc.update(pred, l.value, l.valid);
  }
  return { meanNormal: m, metrics: acc.compute() as unknown as Record<string, unknown> };
}
