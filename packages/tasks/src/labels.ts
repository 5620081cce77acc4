// The in-memory shape of every label this project handles. One convention for all readers, metrics and
// heads: channels-first float values plus a separate boolean valid mask, so "invalid" never hides inside
// a magic value that a later resize or augmentation could smear.
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';

/**
 * A dense label: normals [3, H, W] (camera frame, not renormalised), depth [1, H, W] in metres, saliency
 * [1, H, W] in {0, 1}. `valid` is [H, W]; values at invalid pixels are whatever the file decoded to and must
 * not be used.
 */
export interface DenseLabel {
  value: Tensor<'float32'>;
  valid: Tensor<'bool'>;
}

/** A class-id label [H, W]: ids 0..numClasses−1; ignored pixels hold the ignore index and are invalid. */
export interface ClassLabel {
  value: Tensor<'int32'>;
  valid: Tensor<'bool'>;
}

/** Labels of one sample, keyed by task. */
export interface Labels {
  normals?: DenseLabel;
  depth?: DenseLabel;
  semseg?: ClassLabel;
  parts?: ClassLabel;
  saliency?: DenseLabel;
}

/** The PASCAL / NYUD-MT / mmseg ignore index. */
export const IGNORE_INDEX = 255;

/** [H, W] of a [.., H, W] tensor. */
export function spatialSize(t: Tensor, what = 'tensor'): [number, number] {
  if (t.rank < 2) throw new Diff2in1Error('label', `${what} needs at least 2 dimensions [.., H, W], got [${t.shape.join(', ')}]`);
  return [t.shape[t.rank - 2] as number, t.shape[t.rank - 1] as number];
}

/** Throws unless `label` is a well-formed dense label with `channels` channels. */
export function checkDenseLabel(label: DenseLabel, channels: number, what: string): void {
  const { value, valid } = label;
  if (value.dtype !== 'float32' || value.rank !== 3 || value.shape[0] !== channels) {
    throw new Diff2in1Error('label', `${what}: value must be float32 [${channels}, H, W], got ${value.dtype} [${value.shape.join(', ')}]`);
  }
  checkValid(valid, value.shape[1] as number, value.shape[2] as number, what);
}

/** Throws unless `label` is a well-formed class label. */
export function checkClassLabel(label: ClassLabel, what: string): void {
  const { value, valid } = label;
  if (value.dtype !== 'int32' || value.rank !== 2) {
    throw new Diff2in1Error('label', `${what}: value must be int32 [H, W], got ${value.dtype} [${value.shape.join(', ')}]`);
  }
  checkValid(valid, value.shape[0] as number, value.shape[1] as number, what);
}

function checkValid(valid: Tensor<'bool'>, h: number, w: number, what: string): void {
  if (valid.dtype !== 'bool' || valid.rank !== 2 || valid.shape[0] !== h || valid.shape[1] !== w) {
    throw new Diff2in1Error('label', `${what}: valid must be bool [${h}, ${w}], got ${valid.dtype} [${valid.shape.join(', ')}]`);
  }
}

/** A bool [H, W] tensor, all true. */
export function allValid(h: number, w: number): Tensor<'bool'> {
  const t = new Tensor('bool', [h, w]);
  t.data.fill(1);
  return t;
}

/** Number of true pixels of a mask. */
export function countValid(valid: Tensor<'bool'>): number {
  let n = 0;
  const d = valid.data;
  for (let i = 0; i < d.length; i++) if (d[i]) n++;
  return n;
}
