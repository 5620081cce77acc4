// Geometric and photometric transforms applied consistently to a sample's image and every label.
//
// Resize policies:
//  'official' — zsh2000/diff-2-in-1 ldm/data/nyu.py: image, normals and the 0/1 valid mask are each resized with
//     cv2.resize(INTER_LINEAR) in float64, and the mask is thresholded with `mask == 1`. So a pixel stays valid
//     only where the interpolated mask is exactly 1: every source pixel with a non-zero weight is valid AND
//     OpenCV's float32 weights sum to exactly 1. We emulate that arithmetic (weights as cv2 computes them:
//     fx = float((dx+0.5)·(1/(dw/sw)) − 0.5), α = (1.f − fx, fx), sums in double). For 480×640 → 512×512 every
//     weight is a multiple of 1/32 and the rule is "all contributors valid". Values (image, normals, depth) use
//     bilinear with align_corners=False (@diff2in1/tensor resizeTensor = cv2 INTER_LINEAR on floats, no
//     antialias). Class ids and saliency, which the official code never resizes, use nearest.
//  'nearest'  — image bilinear as above; every label (values and valid mask) nearest-neighbour
//     (torch/cv2 INTER_NEAREST: src = floor(dst·in/out)), as MTI-Net / InvPT / mmseg resize label maps.
// Horizontal flip mirrors every map and negates the normal's x component (x is the image-horizontal axis, right
// in OpenCV's frame, left in Bae et al.'s NYUv2 maps; either way a left-right mirror maps n = (x, y, z) to
// (−x, y, z); Bae et al. dataloader_nyu.py: norm_gt[:, :, 0] = −norm_gt[:, :, 0]).
// Colour augmentation touches only the RGB image (Bae et al. data/utils.py color_augmentation).
import type { ClassLabel, DenseLabel, Labels } from '@diff2in1/tasks';
import type { Rng } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor, axisWeights, resizeTensor } from '@diff2in1/tensor';
import type { Sample } from './sample.js';

export type ResizePolicy = 'official' | 'nearest';
/** The resize policies resizeSample accepts (see the file comment). */
export const RESIZE_POLICIES: readonly ResizePolicy[] = ['official', 'nearest'];

/** cv2.resize INTER_LINEAR source indices and float32 weights along one axis (see the file comment). */
export function cv2LinearWeights(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; a0: Float32Array; a1: Float32Array } {
  const scale = 1 / (outSize / inSize);
  const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize);
  const a0 = new Float32Array(outSize), a1 = new Float32Array(outSize);
  for (let d = 0; d < outSize; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (s < 0) { f = 0; s = 0; }
    if (s >= inSize - 1) { f = 0; s = inSize - 1; }
    i0[d] = s;
    i1[d] = Math.min(s + 1, inSize - 1);
    a0[d] = Math.fround(1 - f);
    a1[d] = f;
  }
  return { i0, i1, a0, a1 };
}

/** The official code's resized mask: cv2 bilinear of the 0/1 mask (double sums of float weights), then == 1. */
export function officialMask(valid: Tensor<'bool'>, size: readonly [number, number]): Tensor<'bool'> {
  const [h, w] = valid.shape as [number, number];
  const [oh, ow] = size;
  const X = cv2LinearWeights(w, ow), Y = cv2LinearWeights(h, oh);
  const rows = new Float64Array(h * ow);
  const v = valid.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      rows[y * ow + x] = (v[y * w + (X.i0[x] as number)] as number) * (X.a0[x] as number) + (v[y * w + (X.i1[x] as number)] as number) * (X.a1[x] as number);
    }
  }
  const out = new Tensor('bool', [oh, ow]);
  for (let y = 0; y < oh; y++) {
    const r0 = (Y.i0[y] as number) * ow, r1 = (Y.i1[y] as number) * ow;
    const b0 = Y.a0[y] as number, b1 = Y.a1[y] as number;
    for (let x = 0; x < ow; x++) out.data[y * ow + x] = (rows[r0 + x] as number) * b0 + (rows[r1 + x] as number) * b1 === 1 ? 1 : 0;
  }
  return out;
}

function nearestMap<T extends Tensor<'bool'> | Tensor<'int32'>>(t: T, size: readonly [number, number]): T {
  const [h, w] = [t.shape[t.rank - 2] as number, t.shape[t.rank - 1] as number];
  const [oh, ow] = size;
  const Y = axisWeights(h, oh, 'nearest'), X = axisWeights(w, ow, 'nearest');
  const out = new Tensor(t.dtype, [oh, ow]) as T;
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) out.data[y * ow + x] = t.data[(Y.i0[y] as number) * w + (X.i0[x] as number)] as number;
  return out;
}

function resizeDense(l: DenseLabel, size: readonly [number, number], bilinear: boolean): DenseLabel {
  if (!bilinear) return { value: resizeTensor(l.value, size, 'nearest'), valid: nearestMap(l.valid, size) };
  return { value: resizeTensor(l.value, size, 'bilinear', { alignCorners: false }), valid: officialMask(l.valid, size) };
}

function resizeClasses(l: ClassLabel, size: readonly [number, number]): ClassLabel {
  return { value: nearestMap(l.value, size), valid: nearestMap(l.valid, size) };
}

function checkSize(size: readonly [number, number], what: string): void {
  if (!size.every((d) => Number.isSafeInteger(d) && d > 0)) throw new Diff2in1Error('transform', `${what} must be two positive integers [height, width], got [${size.join(', ')}]`);
}

/** Resizes a sample to [height, width] under a policy (see the file comment). */
export function resizeSample(s: Sample, size: readonly [number, number], policy: ResizePolicy): Sample {
  checkSize(size, 'resize size');
  if (!RESIZE_POLICIES.includes(policy)) throw new Diff2in1Error('transform', `resize policy '${String(policy)}' is not valid; one of: ${RESIZE_POLICIES.join(', ')}`);
  const official = policy === 'official';
  const l = s.labels;
  const labels: Labels = {};
  if (l.normals) labels.normals = resizeDense(l.normals, size, official);
  if (l.depth) labels.depth = resizeDense(l.depth, size, official);
  if (l.saliency) labels.saliency = resizeDense(l.saliency, size, false);
  if (l.semseg) labels.semseg = resizeClasses(l.semseg, size);
  if (l.parts) labels.parts = resizeClasses(l.parts, size);
  return { ...s, image: resizeTensor(s.image, size, 'bilinear', { alignCorners: false }), labels };
}

/** A new [.., oh, ow] tensor whose pixel (y, x) of every plane is the source plane's pixel pick(y, x) (a flat y·W + x index). */
function mapPlanes<T extends Tensor>(t: T, oh: number, ow: number, pick: (y: number, x: number) => number): T {
  const h = t.shape[t.rank - 2] as number, w = t.shape[t.rank - 1] as number;
  const planes = t.size / (h * w);
  const out = new Tensor(t.dtype, [...t.shape.slice(0, -2), oh, ow]) as T;
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) (out.data as Float32Array)[p * oh * ow + y * ow + x] = (t.data as Float32Array)[p * h * w + pick(y, x)] as number;
    }
  }
  return out;
}

function mapSample(s: Sample, oh: number, ow: number, pick: (y: number, x: number) => number, flipNormals: boolean): Sample {
  const dense = (l: DenseLabel): DenseLabel => ({ value: mapPlanes(l.value, oh, ow, pick), valid: mapPlanes(l.valid, oh, ow, pick) });
  const cls = (l: ClassLabel): ClassLabel => ({ value: mapPlanes(l.value, oh, ow, pick), valid: mapPlanes(l.valid, oh, ow, pick) });
  const l = s.labels;
  const labels: Labels = {};
  if (l.normals) {
    const n = dense(l.normals);
    if (flipNormals) for (let i = 0; i < oh * ow; i++) n.value.data[i] = 0 - (n.value.data[i] as number); // 0 − v: no negative zeros
    labels.normals = n;
  }
  if (l.depth) labels.depth = dense(l.depth);
  if (l.saliency) labels.saliency = dense(l.saliency);
  if (l.semseg) labels.semseg = cls(l.semseg);
  if (l.parts) labels.parts = cls(l.parts);
  return { ...s, image: mapPlanes(s.image, oh, ow, pick), labels };
}

/** Mirrors image and labels left-right; normals' x is negated. */
export function hflipSample(s: Sample): Sample {
  const h = s.image.shape[1] as number, w = s.image.shape[2] as number;
  return mapSample(s, h, w, (y, x) => y * w + (w - 1 - x), true);
}

/** Crops every map to rows top..top+h−1, columns left..left+w−1. */
export function cropSample(s: Sample, top: number, left: number, size: readonly [number, number]): Sample {
  checkSize(size, 'crop size');
  const H = s.image.shape[1] as number, W = s.image.shape[2] as number;
  const [h, w] = size;
  if (!(Number.isSafeInteger(top) && Number.isSafeInteger(left) && top >= 0 && left >= 0 && top + h <= H && left + w <= W)) {
    throw new Diff2in1Error('transform', `crop ${h}×${w} at (${top}, ${left}) does not fit sample '${s.id}' of ${H}×${W}`);
  }
  return mapSample(s, h, w, (y, x) => (top + y) * W + left + x, false);
}

/** A uniformly placed crop (offsets drawn row first, then column, each uniform over the valid range). */
export function randomCrop(s: Sample, size: readonly [number, number], rng: Rng): Sample {
  const H = s.image.shape[1] as number, W = s.image.shape[2] as number;
  if (size[0] > H || size[1] > W) throw new Diff2in1Error('transform', `crop ${size[0]}×${size[1]} is larger than sample '${s.id}' (${H}×${W})`);
  const top = rng.int(H - size[0] + 1);
  const left = rng.int(W - size[1] + 1);
  return cropSample(s, top, left, size);
}

/** The centred crop (offsets floor((H−h)/2), floor((W−w)/2)). */
export function centerCrop(s: Sample, size: readonly [number, number]): Sample {
  const H = s.image.shape[1] as number, W = s.image.shape[2] as number;
  return cropSample(s, Math.floor((H - size[0]) / 2), Math.floor((W - size[1]) / 2), size);
}

export interface ColorAugmentOptions {
  /** Range of the gamma exponent (default [0.9, 1.1]). */
  gamma?: readonly [number, number];
  /** Range of the brightness factor (default [0.75, 1.25], Bae et al.'s indoor setting). */
  brightness?: readonly [number, number];
  /** Range of the per-channel colour factors (default [0.9, 1.1]). */
  colors?: readonly [number, number];
}

/**
 * Bae et al.'s colour augmentation on the RGB image only: image^γ · brightness · colour[c], clipped to [0, 1].
 * Draws γ, brightness, then the three colour factors, each uniform over its range.
 */
export function colorAugment(s: Sample, rng: Rng, opts: ColorAugmentOptions = {}): Sample {
  const u = (r: readonly [number, number]) => r[0] + (r[1] - r[0]) * rng.uniform();
  const gamma = u(opts.gamma ?? [0.9, 1.1]);
  const brightness = u(opts.brightness ?? [0.75, 1.25]);
  const colors = [0, 1, 2].map(() => u(opts.colors ?? [0.9, 1.1]));
  const img = s.image;
  const hw = (img.shape[1] as number) * (img.shape[2] as number);
  const out = new Tensor('float32', img.shape);
  for (let c = 0; c < 3; c++) {
    const k = brightness * (colors[c] as number);
    for (let p = 0; p < hw; p++) {
      const v = Math.pow(img.data[c * hw + p] as number, gamma) * k;
      out.data[c * hw + p] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return { ...s, image: out };
}

export interface AugmentOptions {
  /** Mirror with probability 0.5 (default true). */
  hflip?: boolean;
  /** Random crop to [h, w] (default none). */
  crop?: readonly [number, number];
  /** Colour augmentation with probability 0.5 (default false; true = Bae et al.'s ranges). */
  color?: boolean | ColorAugmentOptions;
}

/**
 * Bae et al.'s training augmentation order: flip (p = 0.5), random crop, colour (p = 0.5). The draws come from
 * `rng` in that order, so a fixed rng gives the same augmentation for every modality and every run.
 */
export function augmentSample(s: Sample, rng: Rng, opts: AugmentOptions = {}): Sample {
  let out = s;
  if (opts.hflip ?? true) { if (rng.uniform() < 0.5) out = hflipSample(out); }
  if (opts.crop) out = randomCrop(out, opts.crop, rng);
  if (opts.color) { if (rng.uniform() < 0.5) out = colorAugment(out, rng, opts.color === true ? {} : opts.color); }
  return out;
}
