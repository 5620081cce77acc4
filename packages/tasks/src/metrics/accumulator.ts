// The streaming-metric contract and the shape bookkeeping shared by every accumulator.
import type { Tensor } from '@diff2in1/tensor';
import { Diff2in1Error } from '@diff2in1/tensor';
import { elementAt } from '../codecs/array.js';

/**
 * A streaming metric: feed one image or a batch at a time, read the result at the end. A whole test set never
 * needs to sit in memory (the normals median keeps 4 bytes per valid pixel; see normals.ts).
 */
export interface Accumulator<R> {
  /**
   * Adds prediction/ground-truth pairs. Shapes: [C, H, W] or [N, C, H, W] for multi-channel tasks (normals),
   * [H, W], [1, H, W], [N, H, W] or [N, 1, H, W] for the others; `valid` has one entry per pixel ([H, W],
   * [N, H, W] or [N, 1, H, W]). When `valid` is omitted, the task's own rule on the ground truth applies.
   */
  update(pred: Tensor, gt: Tensor, valid?: Tensor<'bool'>): void;
  /** The metric over everything added so far. */
  compute(): R;
  /** Forgets everything added. */
  reset(): void;
}

/** Geometry of one update: `images` planes of h×w pixels with `channels` channels each. */
export interface UpdateGeometry {
  images: number;
  channels: number;
  h: number;
  w: number;
}

/** Validates pred/gt/valid shapes for a task with `channels` channels per pixel. */
export function updateGeometry(pred: Tensor, gt: Tensor, valid: Tensor | undefined, channels: number, what: string): UpdateGeometry {
  if (pred.rank < 2) throw new Diff2in1Error('metric', `${what}: prediction needs [.., H, W], got [${pred.shape.join(', ')}]`);
  if (pred.shape.length !== gt.shape.length || pred.shape.some((d, i) => d !== gt.shape[i])) {
    throw new Diff2in1Error('metric', `${what}: prediction [${pred.shape.join(', ')}] and ground truth [${gt.shape.join(', ')}] differ in shape`);
  }
  const h = pred.shape[pred.rank - 2] as number;
  const w = pred.shape[pred.rank - 1] as number;
  if (channels > 1) {
    const c = pred.rank >= 3 ? (pred.shape[pred.rank - 3] as number) : -1;
    if (c !== channels || pred.rank > 4) throw new Diff2in1Error('metric', `${what}: prediction must be [${channels}, H, W] or [N, ${channels}, H, W], got [${pred.shape.join(', ')}]`);
  } else if (pred.rank > 4 || (pred.rank === 4 && pred.shape[1] !== 1)) {
    throw new Diff2in1Error('metric', `${what}: prediction must be [H, W], [N, H, W] or [N, 1, H, W], got [${pred.shape.join(', ')}]`);
  }
  const plane = h * w * channels;
  const images = plane === 0 ? 0 : pred.size / plane;
  if (valid !== undefined) {
    if (valid.dtype !== 'bool') throw new Diff2in1Error('metric', `${what}: valid must be a bool tensor, got ${valid.dtype}`);
    const vh = valid.shape[valid.rank - 2], vw = valid.shape[valid.rank - 1];
    if (valid.size !== images * h * w || vh !== h || vw !== w) {
      throw new Diff2in1Error('metric', `${what}: valid [${valid.shape.join(', ')}] does not match ${images} image(s) of ${h}×${w}`);
    }
  }
  return { images, channels, h, w };
}

/** Reads a numeric tensor element as a JS number (int64 included; see elementAt). */
export function numberAt(t: Tensor, i: number): number {
  return elementAt(t.data, i);
}
