// Batching with seeded shuffling. The order of epoch e is a Fisher–Yates shuffle drawn from
// Rng(seed).fork('shuffle').fork(e), and sample i of that epoch is transformed with Rng(seed).fork('augment')
// .fork(e).fork(i) — so a run is reproducible from (seed, epoch) alone, regardless of batch size, prefetching or
// where it was resumed.
import type { ClassLabel, DenseLabel, TaskName } from '@diff2in1/tasks';
import { TASK_NAMES } from '@diff2in1/tasks';
import { Diff2in1Error, Rng, Tensor } from '@diff2in1/tensor';
import type { BadInputOptions, Dataset, Sample } from './sample.js';
import { datasetError, defaultOnSkip } from './sample.js';

/** The sample order of one epoch: 0..n−1 shuffled from (seed, epoch), or in order when shuffle is false. */
export function epochOrder(n: number, seed: number, epoch: number, shuffle = true): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  return shuffle ? new Rng(seed).fork('shuffle').fork(epoch).shuffle(order) : order;
}

/** The generator a transform gets for dataset index `index` in epoch `epoch`. */
export function sampleRng(seed: number, epoch: number, index: number): Rng {
  return new Rng(seed).fork('augment').fork(epoch).fork(index);
}

export interface BatchLabels {
  normals?: DenseLabel;
  depth?: DenseLabel;
  semseg?: ClassLabel;
  parts?: ClassLabel;
  saliency?: DenseLabel;
}

/** A stacked batch: images [B, 3, H, W]; label values [B, C, H, W] (dense) or [B, H, W] (classes); valid [B, H, W]. */
export interface Batch {
  ids: string[];
  /** Dataset indices of the samples. */
  indices: number[];
  images: Tensor<'float32'>;
  labels: BatchLabels;
  captions: (string | undefined)[];
}

function stack<T extends Tensor>(ts: T[], what: string, ids: string[]): T {
  const first = ts[0] as T;
  for (let i = 1; i < ts.length; i++) {
    const t = ts[i] as T;
    if (t.shape.length !== first.shape.length || t.shape.some((d, k) => d !== first.shape[k])) {
      throw datasetError(`cannot batch ${what}: sample '${ids[0]}' is [${first.shape.join(', ')}] but '${ids[i]}' is [${t.shape.join(', ')}]; resize or crop to one size first`);
    }
  }
  const out = new Tensor(first.dtype, [ts.length, ...first.shape]) as T;
  ts.forEach((t, i) => (out.data as Float32Array).set(t.data as Float32Array, i * first.size));
  return out;
}

/** Stacks samples of equal size into a batch; every sample must carry the same labels. */
export function collate(samples: Sample[], indices: number[] = samples.map((_, i) => i)): Batch {
  if (samples.length === 0) throw new Diff2in1Error('dataset', 'cannot collate an empty batch');
  const ids = samples.map((s) => s.id);
  const images = stack(samples.map((s) => s.image), 'images', ids);
  const labels: BatchLabels = {};
  for (const t of TASK_NAMES) {
    const have = samples.map((s) => s.labels[t]);
    if (have.every((l) => l === undefined)) continue;
    const missing = have.findIndex((l) => l === undefined);
    if (missing >= 0) throw datasetError(`cannot batch: sample '${ids[missing]}' has no ${t} label while '${ids[have.findIndex((l) => l !== undefined)]}' has one`);
    const ls = have as (DenseLabel | ClassLabel)[];
    (labels as Record<TaskName, DenseLabel | ClassLabel>)[t] = {
      value: stack(ls.map((l) => l.value) as Tensor[], `${t} labels`, ids),
      valid: stack(ls.map((l) => l.valid), `${t} valid masks`, ids),
    } as DenseLabel | ClassLabel;
  }
  return { ids, indices, images, labels, captions: samples.map((s) => s.caption) };
}

export interface BatchOptions extends BadInputOptions {
  batchSize: number;
  /** Shuffle with (seed, epoch) (default true). */
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  /** Drop a last, smaller batch (default false). */
  dropLast?: boolean;
  /** Applied to every sample after loading, with its own generator (see sampleRng). */
  transform?: (s: Sample, rng: Rng) => Sample | Promise<Sample>;
  /** Samples loaded ahead, concurrently (default 4). */
  prefetch?: number;
}

/**
 * Iterates one epoch in batches. With skipBad, a sample whose loading or transform throws a Diff2in1Error is
 * reported through onSkip and left out (the batch is filled from the following samples); other errors propagate.
 */
export async function* batches(ds: Dataset, opts: BatchOptions): AsyncGenerator<Batch> {
  const { batchSize } = opts;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Diff2in1Error('dataset', `batchSize must be a positive integer, got ${batchSize}`);
  const seed = opts.seed ?? 0, epoch = opts.epoch ?? 0;
  const order = epochOrder(ds.length, seed, epoch, opts.shuffle ?? true);
  const onSkip = opts.onSkip ?? defaultOnSkip;
  // A load never rejects while it waits in the queue (no unhandled rejections); errors surface in order.
  const load = async (index: number): Promise<{ sample: Sample } | { error: unknown }> => {
    try {
      const s = await ds.get(index);
      return { sample: opts.transform ? await opts.transform(s, sampleRng(seed, epoch, index)) : s };
    } catch (error) {
      return { error };
    }
  };
  const ahead = Math.max(1, opts.prefetch ?? 4);
  const pending: Promise<{ sample: Sample } | { error: unknown }>[] = [];
  let next = 0;
  const fill = () => { while (pending.length < ahead && next < order.length) pending.push(load(order[next++] as number)); };
  let samples: Sample[] = [];
  let indices: number[] = [];
  let pos = 0;
  fill();
  while (pending.length > 0) {
    const r = await (pending.shift() as Promise<{ sample: Sample } | { error: unknown }>);
    const index = order[pos++] as number;
    fill();
    if ('error' in r) {
      const e = r.error;
      if (!(opts.skipBad && e instanceof Diff2in1Error)) throw e;
      onSkip({ id: ds.ids[index] ?? String(index), file: e.file, reason: e.message });
      continue;
    }
    samples.push(r.sample);
    indices.push(index);
    if (samples.length === batchSize) {
      yield collate(samples, indices);
      samples = [];
      indices = [];
    }
  }
  if (samples.length > 0 && !opts.dropLast) yield collate(samples, indices);
}
