// Where iteration i of a run takes its data and its randomness from — pure functions of (seed, i), so a run
// resumed at iteration i continues exactly as an uninterrupted one.
//   data: epochs of floor(n / batch) batches (drop_last=True, as the official DataLoaders), each epoch a
//         Fisher–Yates order from @diff2in1/datasets' epochOrder(n, seed, epoch) (Rng(seed).fork('shuffle').fork(epoch)).
//   rng:  Rng(seed).fork(stream).fork(i) for the head's random draws, flips, pseudo-label draws.
import { epochOrder, sampleRng } from '@diff2in1/datasets';
import { Diff2in1Error, Rng } from '@diff2in1/tensor';
import type { SourceItem } from './sample-source.js';
import type { Variant } from './features.js';

export const AUGMENTATIONS = ['none', 'hflip'] as const;
/** 'none' (the official loaders); 'hflip': mirror with p = 0.5 (normals' x negated), both variants cacheable. */
export type Augmentation = (typeof AUGMENTATIONS)[number];

export function batchesPerEpoch(n: number, batch: number, what = 'dataset'): number {
  const k = Math.floor(n / batch);
  if (k < 1) throw new Diff2in1Error('self-improver', `the ${what} has ${n} samples, fewer than one batch of ${batch}`);
  return k;
}

/** The cursor of iteration i: epoch and batch within it. */
export function cursorAt(i: number, perEpoch: number): { epoch: number; batch: number } {
  return { epoch: Math.floor(i / perEpoch), batch: i % perEpoch };
}

/** Items of batch `batch` of epoch `epoch`. */
export function epochBatch(n: number, size: number, seed: number, epoch: number, batch: number, augment: Augmentation, stream = 'data'): SourceItem[] {
  const order = epochOrderCached(n, seed, epoch, stream);
  return order.slice(batch * size, (batch + 1) * size).map((index) => ({ index, variant: variantOf(augment, seed, epoch, index, stream), visit: epoch }));
}

/** The variant of a sample in an epoch: its own generator (datasets' sampleRng), independent of batching. */
export function variantOf(augment: Augmentation, seed: number, epoch: number, index: number, stream = 'data'): Variant {
  if (augment === 'none') return 'none';
  const s = stream === 'data' ? seed : Number(BigInt.asUintN(52, new Rng(seed).fork(stream).nextUint64()));
  return sampleRng(s, epoch, index).uniform() < 0.5 ? 'hflip' : 'none';
}

const orders = new Map<string, number[]>();
function epochOrderCached(n: number, seed: number, epoch: number, stream: string): number[] {
  const key = `${n}/${seed}/${epoch}/${stream}`;
  let o = orders.get(key);
  if (!o) {
    const s = stream === 'data' ? seed : Number(BigInt.asUintN(52, new Rng(seed).fork(stream).nextUint64()));
    o = epochOrder(n, s, epoch, true);
    if (orders.size > 64) orders.clear();
    orders.set(key, o);
  }
  return o;
}

/** The generator of iteration i for a named stream ('step', 'labels', ...). */
export function iterationRng(seed: number, stream: string, i: number): Rng {
  return new Rng(seed).fork(stream).fork(i);
}
