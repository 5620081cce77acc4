// Where iteration i of a run takes its data and its randomness from — pure functions of (seed, i), so a run
// resumed at iteration i continues exactly as an uninterrupted one.
//   data: epochs of floor(n / batch) batches (drop_last=True, as the official DataLoaders), each epoch a
//         Fisher–Yates order from @diff2in1/datasets' epochOrder(n, seed, epoch) (Rng(seed).fork('shuffle').fork(epoch)).
//   rng:  Rng(seed).fork(stream).fork(i) for the head's random draws, flips, pseudo-label draws.
import { epochOrder, sampleRng } from '@diff2in1/datasets';
import { Diff2in1Error, Rng, Tensor } from '@diff2in1/tensor';
import type { SourceItem } from './sample-source.js';
import type { Variant } from './features.js';

export const AUGMENTATIONS = ['none', 'hflip', 'hflip+color'] as const;
/**
 * 'none' (the official loaders); 'hflip': mirror with p = 0.5 (normals' x negated), both variants cacheable;
 * 'hflip+color': that, plus Bae et al.'s colour augmentation with p = 0.5 (see ColorJitter). A jittered image's
 * features are computed afresh (a continuous augmentation cannot be cached); the others still come from the cache.
 */
export type Augmentation = (typeof AUGMENTATIONS)[number];

/**
 * Bae et al.'s colour augmentation (surface_normal_uncertainty data/utils.py color_augmentation, indoors=True, applied
 * with p = 0.5 by dataloader_nyu.py): x ↦ clip(x^gamma · brightness · colors[c], 0, 1), gamma ~ U(0.9, 1.1),
 * brightness ~ U(0.75, 1.25), colors ~ U(0.9, 1.1)³, on RGB in [0, 1].
 */
export interface ColorJitter {
  gamma: number;
  brightness: number;
  colors: [number, number, number];
}

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
  return order.slice(batch * size, (batch + 1) * size).map((index) => {
    const jitter = colorJitterOf(augment, seed, epoch, index, stream);
    return { index, variant: variantOf(augment, seed, epoch, index, stream), visit: epoch, ...(jitter ? { jitter } : {}) };
  });
}

/** The colour jitter of a sample in an epoch ('hflip+color' only; undefined for half the samples), seeded like its flip. */
export function colorJitterOf(augment: Augmentation, seed: number, epoch: number, index: number, stream = 'data'): ColorJitter | undefined {
  if (augment !== 'hflip+color') return undefined;
  const r = sampleRng(streamSeed(seed, stream), epoch, index).fork('color');
  if (r.uniform() < 0.5) return undefined;
  const u = (lo: number, hi: number) => lo + (hi - lo) * r.uniform();
  return { gamma: u(0.9, 1.1), brightness: u(0.75, 1.25), colors: [u(0.9, 1.1), u(0.9, 1.1), u(0.9, 1.1)] };
}

/** An RGB image [3, H, W] in [0, 1] under a colour jitter (a new tensor). */
export function applyColorJitter(image: Tensor<'float32'>, j: ColorJitter): Tensor<'float32'> {
  const [c, h, w] = image.shape as [number, number, number];
  if (c !== 3) throw new Diff2in1Error('self-improver', `colour augmentation needs an RGB image [3, H, W]; got [${image.shape.join(', ')}]`);
  const out = new Tensor('float32', [...image.shape]);
  const hw = h * w;
  for (let k = 0; k < image.size; k++) {
    const v = Math.max(0, image.data[k]!) ** j.gamma * j.brightness * j.colors[Math.floor(k / hw)]!;
    out.data[k] = Math.min(1, Math.max(0, v));
  }
  return out;
}

const streamSeed = (seed: number, stream: string): number => (stream === 'data' ? seed : Number(BigInt.asUintN(52, new Rng(seed).fork(stream).nextUint64())));

/** The variant of a sample in an epoch: its own generator (datasets' sampleRng), independent of batching. */
export function variantOf(augment: Augmentation, seed: number, epoch: number, index: number, stream = 'data'): Variant {
  if (augment === 'none') return 'none';
  return sampleRng(streamSeed(seed, stream), epoch, index).uniform() < 0.5 ? 'hflip' : 'none';
}

const orders = new Map<string, number[]>();
function epochOrderCached(n: number, seed: number, epoch: number, stream: string): number[] {
  const key = `${n}/${seed}/${epoch}/${stream}`;
  let o = orders.get(key);
  if (!o) {
    o = epochOrder(n, streamSeed(seed, stream), epoch, true);
    if (orders.size > 64) orders.clear();
    orders.set(key, o);
  }
  return o;
}

/** The generator of iteration i for a named stream ('step', 'labels', ...). */
export function iterationRng(seed: number, stream: string, i: number): Rng {
  return new Rng(seed).fork(stream).fork(i);
}
