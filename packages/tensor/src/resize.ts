// Resizing with PyTorch F.interpolate semantics (read from aten/src/ATen/native/UpSample.h, torch 1.13):
//  bilinear, align_corners=True:  src = o·(in−1)/(out−1)   (0 when out = 1)
//  bilinear, align_corners=False: src = max((o+0.5)·in/out − 0.5, 0)
//    i0 = floor(src), i1 = min(i0+1, in−1), λ = src − i0; out = (1−λ)·x[i0] + λ·x[i1]; separable over H and W.
//  nearest ('nearest', not 'nearest-exact'): src = min(floor(o·scale), in−1) with scale = in/out. torch
//    computes o·scale in float32 (nearest_idx: `float scale`, floorf), and so do we (Math.fround), which picks
//    the same index as the exact floor(o·in/out) except where float32 rounding crosses an integer.
// Weights are computed in float64 and the sums in float64, then stored as float32; torch computes in float32,
// so results agree to float32 rounding (~1e-7 relative), not bit for bit.
import { Diff2in1Error } from './errors.js';
import type { RawImage } from './image.js';
import { checkRawImage, roundHalfEven } from './image.js';
import { Tensor } from './tensor.js';

export type ResizeMode = 'bilinear' | 'nearest';
const MODES: readonly ResizeMode[] = ['bilinear', 'nearest'];

/** One axis of a separable resize: for each output index, two source indices and their weights. */
export interface AxisWeights {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
}

/** torch's source index for 'nearest' (float32 arithmetic, as nearest_idx). */
export function nearestSourceIndex(o: number, inSize: number, outSize: number): number {
  if (outSize === inSize) return o;
  if (outSize === 2 * inSize) return o >> 1;
  const scale = Math.fround(inSize / outSize);
  return Math.min(Math.floor(Math.fround(o * scale)), inSize - 1);
}

/** Interpolation indices and weights along one axis, as F.interpolate computes them. */
export function axisWeights(inSize: number, outSize: number, mode: ResizeMode, alignCorners = false): AxisWeights {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float64Array(outSize);
  const w1 = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    if (mode === 'nearest') {
      const s = nearestSourceIndex(o, inSize, outSize);
      i0[o] = s; i1[o] = s; w0[o] = 1; w1[o] = 0;
      continue;
    }
    let src: number;
    if (alignCorners) src = outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
    else src = Math.max(((o + 0.5) * inSize) / outSize - 0.5, 0);
    const a = Math.min(Math.floor(src), inSize - 1);
    const b = Math.min(a + 1, inSize - 1);
    const l = Math.min(Math.max(src - a, 0), 1);
    i0[o] = a; i1[o] = b; w0[o] = 1 - l; w1[o] = l;
  }
  return { i0, i1, w0, w1 };
}

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new Diff2in1Error('resize', `${what} must be a positive integer, got ${n}`);
}

/**
 * Resizes a float32 tensor [C, H, W] or [N, C, H, W] to [.., h, w] like
 * `F.interpolate(x, size=(h, w), mode, align_corners)` (alignCorners only applies to bilinear; default false).
 */
export function resizeTensor(t: Tensor<'float32'>, size: readonly [number, number], mode: ResizeMode, opts: { alignCorners?: boolean } = {}): Tensor<'float32'> {
  if (!MODES.includes(mode)) throw new Diff2in1Error('resize', `mode '${String(mode)}' is not valid; one of: ${MODES.join(', ')}`);
  if (t.dtype !== 'float32') throw new Diff2in1Error('resize', `resizeTensor needs a float32 tensor, got ${t.dtype}`);
  if (t.rank !== 3 && t.rank !== 4) throw new Diff2in1Error('resize', `resizeTensor needs [C, H, W] or [N, C, H, W], got [${t.shape.join(', ')}]`);
  const [oh, ow] = size;
  checkSize(oh, 'output height');
  checkSize(ow, 'output width');
  const ih = t.shape[t.rank - 2] as number;
  const iw = t.shape[t.rank - 1] as number;
  const planes = t.size / (ih * iw || 1);
  const outShape = [...t.shape.slice(0, -2), oh, ow];
  const out = new Float32Array(planes * oh * ow);
  if (ih === 0 || iw === 0) {
    if (planes > 0) throw new Diff2in1Error('resize', `cannot resize an empty image [${t.shape.join(', ')}]`);
    return new Tensor('float32', outShape, out);
  }
  const ay = axisWeights(ih, oh, mode, opts.alignCorners);
  const ax = axisWeights(iw, ow, mode, opts.alignCorners);
  const src = t.data;
  const row = new Float64Array(iw);
  for (let p = 0; p < planes; p++) {
    const sb = p * ih * iw;
    const db = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      // Vertical pass into one float64 row, then the horizontal pass.
      const r0 = sb + (ay.i0[y] as number) * iw;
      const r1 = sb + (ay.i1[y] as number) * iw;
      const wy0 = ay.w0[y] as number;
      const wy1 = ay.w1[y] as number;
      for (let x = 0; x < iw; x++) row[x] = wy0 * (src[r0 + x] as number) + wy1 * (src[r1 + x] as number);
      const d = db + y * ow;
      for (let x = 0; x < ow; x++) {
        out[d + x] = (ax.w0[x] as number) * (row[ax.i0[x] as number] as number) + (ax.w1[x] as number) * (row[ax.i1[x] as number] as number);
      }
    }
  }
  return new Tensor('float32', outShape, out);
}

/**
 * Resizes raw pixels to width × height. 'nearest' copies stored values (never invents a label value);
 * 'bilinear' (align_corners=false) rounds half to even back to integers. Implemented in TypeScript with the
 * same index rules as resizeTensor, so image and label resizes line up.
 */
export function resizeRaw(raw: RawImage, width: number, height: number, mode: ResizeMode): RawImage {
  checkRawImage(raw);
  if (!MODES.includes(mode)) throw new Diff2in1Error('resize', `mode '${String(mode)}' is not valid; one of: ${MODES.join(', ')}`);
  checkSize(width, 'width');
  checkSize(height, 'height');
  const { channels: c, data: src } = raw;
  const ay = axisWeights(raw.height, height, mode);
  const ax = axisWeights(raw.width, width, mode);
  const out = raw.bitDepth === 16 ? new Uint16Array(width * height * c) : new Uint8Array(width * height * c);
  const max = raw.bitDepth === 16 ? 65535 : 255;
  const sw = raw.width * c;
  for (let y = 0; y < height; y++) {
    const r0 = (ay.i0[y] as number) * sw;
    const r1 = (ay.i1[y] as number) * sw;
    const wy0 = ay.w0[y] as number;
    const wy1 = ay.w1[y] as number;
    for (let x = 0; x < width; x++) {
      const c0 = (ax.i0[x] as number) * c;
      const c1 = (ax.i1[x] as number) * c;
      const d = (y * width + x) * c;
      if (mode === 'nearest') {
        for (let k = 0; k < c; k++) out[d + k] = src[r0 + c0 + k] as number;
        continue;
      }
      const wx0 = ax.w0[x] as number;
      const wx1 = ax.w1[x] as number;
      for (let k = 0; k < c; k++) {
        const v = wy0 * (wx0 * (src[r0 + c0 + k] as number) + wx1 * (src[r0 + c1 + k] as number)) +
          wy1 * (wx0 * (src[r1 + c0 + k] as number) + wx1 * (src[r1 + c1 + k] as number));
        out[d + k] = Math.min(Math.max(roundHalfEven(v), 0), max);
      }
    }
  }
  return { width, height, channels: c, bitDepth: raw.bitDepth, data: out };
}
