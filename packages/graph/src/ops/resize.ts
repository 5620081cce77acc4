// Spatial resizing with torch.nn.functional.interpolate semantics on N×C×H×W tensors.
// Bilinear (any sizes, align_corners true or false) is two MatMuls with constant interpolation matrices:
// out = A_h · X · A_wᵀ — exact in both directions, and its gradient is A_hᵀ · G · A_w (DESIGN.md, measured).
// Nearest with integer factors uses ONNX Resize (fast); its gradient sums each f×f block.
import { Tensor } from '@diff2in1/tensor';
import { type Node, type Value, attr, spec } from '../ir/graph.js';
import { graphError } from '../ir/shape.js';
import { matmul } from './linalg.js';
import { reduceSum } from './reduce.js';
import { pad, reshape } from './shape.js';
import { conv } from './conv.js';

export type InterpolationMode = 'nearest' | 'bilinear';

export interface InterpolateOptions {
  /** Output [H, W]; give this or scaleFactor. */
  size?: readonly [number, number];
  /** Output = floor(input · scale); torch then uses 1/scale for the source coordinates. */
  scaleFactor?: number | readonly [number, number];
  mode?: InterpolationMode;
  /** Bilinear only (torch default false). */
  alignCorners?: boolean;
}

/**
 * Row-interpolation matrix [out, in] for one axis, as torch's area_pixel_compute_source_index:
 * align_corners: src = o·(in−1)/(out−1); else src = (o+0.5)·scale − 0.5 clamped at 0, scale = in/out or 1/scale_factor.
 * Weights go to floor(src) and min(floor+1, in−1).
 */
export function bilinearMatrix(inSize: number, outSize: number, alignCorners: boolean, scaleFactor?: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const scale = alignCorners
    ? outSize > 1 ? (inSize - 1) / (outSize - 1) : 0
    : scaleFactor !== undefined ? 1 / scaleFactor : inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = alignCorners ? o * scale : Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const l1 = src - i0;
    m[o * inSize + i0]! += 1 - l1;
    m[o * inSize + i1]! += l1;
  }
  return m;
}

/**
 * torch 'nearest' source indices: floor(o · scale) clamped to in−1, scale = in/out or 1/scale_factor. torch
 * (aten/src/ATen/native/UpSample.h, nearest_idx) computes this in float32, which decides ties at boundaries.
 */
export function nearestIndices(inSize: number, outSize: number, scaleFactor?: number): number[] {
  if (inSize === outSize) return Array.from({ length: outSize }, (_, o) => o);
  const scale = Math.fround(scaleFactor !== undefined ? 1 / scaleFactor : Math.fround(inSize) / Math.fround(outSize));
  return Array.from({ length: outSize }, (_, o) => Math.min(Math.floor(Math.fround(o * scale)), inSize - 1));
}

function nearestMatrix(inSize: number, outSize: number, scaleFactor?: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  nearestIndices(inSize, outSize, scaleFactor).forEach((i, o) => {
    m[o * inSize + i] = 1;
  });
  return m;
}

function matrixConst(x: Value, data: Float64Array, rows: number, cols: number): Value {
  const t = x.dtype === 'float64' ? new Tensor('float64', [rows, cols], data) : new Tensor('float32', [rows, cols], Float32Array.from(data));
  if (x.dtype !== 'float64' && x.dtype !== 'float32') throw graphError('Resize', `needs float32 or float64 input, got ${x}`);
  return x.graph.constant(t);
}

/** Gradient of nearest upsampling by integer factors: sum each fh×fw block of the output gradient. */
const nearestIntegerVjp = (node: Node, dOut: readonly (Value | undefined)[]): (Value | undefined)[] => {
  const x = node.inputs[0]!;
  const gy = dOut[0]!;
  const [n, c, h, w] = x.shape as [number | string, number, number, number];
  const fh = (gy.shape[2] as number) / h;
  const fw = (gy.shape[3] as number) / w;
  const blocks = reshape(gy, [n, c, h, fh, w, fw]);
  return [reshape(reduceSum(blocks, [3, 5]), [n, c, h, w])];
};

/** torch.nn.functional.interpolate for 4-D inputs, modes 'nearest' and 'bilinear'. */
export function interpolate(x: Value, o: InterpolateOptions): Value {
  const op = 'Resize';
  if (x.rank !== 4) throw graphError(op, `needs an N×C×H×W input, got ${x}`);
  const [h, w] = [x.shape[2], x.shape[3]];
  if (typeof h !== 'number' || typeof w !== 'number') throw graphError(op, `spatial dims of ${x} must be static`);
  const sf = o.scaleFactor === undefined ? undefined : typeof o.scaleFactor === 'number' ? [o.scaleFactor, o.scaleFactor] : [...o.scaleFactor];
  if ((o.size === undefined) === (sf === undefined)) throw graphError(op, 'give exactly one of size and scaleFactor');
  const [ho, wo] = o.size ? [...o.size] : [Math.floor(h * sf![0]!), Math.floor(w * sf![1]!)];
  if (!(ho! >= 1 && wo! >= 1)) throw graphError(op, `output size [${ho}, ${wo}] is empty for ${x}`);
  const mode = o.mode ?? 'nearest';
  if (mode === 'nearest') {
    if (o.alignCorners) throw graphError(op, "align_corners applies to 'bilinear' only (as in torch)");
    const fh = ho! / h;
    const fw = wo! / w;
    const integer = Number.isInteger(fh) && Number.isInteger(fw) && (!sf || (sf[0] === fh && sf[1] === fw));
    if (integer && x.dtype === 'float32') {
      const g = x.graph;
      const scales = g.constant(new Tensor('float32', [4], Float32Array.from([1, 1, fh, fw])));
      const attrs = { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') };
      return g.node1(op, [x, null, scales], attrs, spec(x.dtype, [x.shape[0]!, x.shape[1]!, ho!, wo!]), { vjp: nearestIntegerVjp });
    }
    const ah = matrixConst(x, nearestMatrix(h, ho!, sf?.[0]), ho!, h);
    const awT = matrixConst(x, transposeMatrix(nearestMatrix(w, wo!, sf?.[1]), wo!, w), w, wo!);
    return matmul(ah, matmul(x, awT));
  }
  if (mode !== 'bilinear') throw graphError(op, `mode must be 'nearest' or 'bilinear', got '${String(mode)}'`);
  const align = o.alignCorners ?? false;
  const mh = bilinearMatrix(h, ho!, align, align ? undefined : sf?.[0]);
  const mw = bilinearMatrix(w, wo!, align, align ? undefined : sf?.[1]);
  if (x.dtype === 'float32') {
    // ONNX Resize (a 4-tap stencil, much cheaper than the MatMuls) forward; the exact adjoint A_hᵀ·G·A_w backward.
    const g = x.graph;
    const twice = !align && ho === 2 * h && wo === 2 * w && (!sf || (sf[0] === 2 && sf[1] === 2));
    const vjp = (_n: Node, [gy]: readonly (Value | undefined)[]): (Value | undefined)[] => [
      twice ? bilinear2xAdjoint(gy!) : matmul(matrixConst(x, transposeMatrix(mh, ho!, h), h, ho!), matmul(gy!, matrixConst(x, mw, wo!, w))),
    ];
    const attrs = { mode: attr.string('linear'), coordinate_transformation_mode: attr.string(align ? 'align_corners' : 'half_pixel'), axes: attr.ints([2, 3]) };
    // scale factors keep torch's source scale 1/scale_factor; otherwise exact output sizes for axes 2, 3
    const inputs = sf && !align
      ? [x, null, g.constant(new Tensor('float32', [2], Float32Array.from([sf[0]!, sf[1]!])))]
      : [x, null, null, g.int64s([ho!, wo!])];
    return g.node1(op, inputs, attrs, spec(x.dtype, [x.shape[0]!, x.shape[1]!, ho!, wo!]), { vjp });
  }
  return matmul(matrixConst(x, mh, ho!, h), matmul(x, matrixConst(x, transposeMatrix(mw, wo!, w), w, wo!)));
}

/**
 * Adjoint of ×2 bilinear upsampling with align_corners=False: per axis, x[i] feeds outputs 2i−1, 2i, 2i+1, 2i+2
 * with weights ¼, ¾, ¾, ¼, and the clamped borders equal edge padding. So the gradient is an edge Pad by 1 and a
 * depthwise stride-2 Conv with the 4×4 kernel [¼ ¾ ¾ ¼]ᵀ[¼ ¾ ¾ ¼] — one memory-bound pass instead of two MatMuls.
 */
function bilinear2xAdjoint(gy: Value): Value {
  const c = gy.shape[1] as number;
  const taps = [0.25, 0.75, 0.75, 0.25];
  const k = new Tensor('float32', [c, 1, 4, 4]);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) k.data[ch * 16 + i * 4 + j] = taps[i]! * taps[j]!;
  const padded = pad(gy, [0, 0, 1, 1, 0, 0, 1, 1], 'edge');
  return conv(padded, gy.graph.constant(k), null, { stride: 2, groups: c });
}

function transposeMatrix(m: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}
