// The two convolution gradients, in the fastest standard-ONNX form we measured on ORT's CPU EP.
//
// dX: stride 1 → a Conv of dY with the weights flipped and in/out channels swapped (as fast as the forward
//   conv); otherwise ConvTranspose(dY, W) with output_padding from the shapes (DESIGN.md: never output_shape).
// dW: stride 1, 2-D → "shifted GEMMs": pad X, flatten each plane with the padded row width W2, and for every
//   kernel offset (ky, kx) take the contiguous window starting at ky·d·W2 + kx·d (a memcpy-speed Slice); with dY
//   padded to width W2 (zeros in the extra columns) one batched MatMul dY·windowᵀ gives dW[:, :, ky, kx].
//   This avoids materialising im2col's [N, C·k², L] matrix. Other geometries use im2col + one batched MatMul.
import type { Value } from '../ir/graph.js';
import { conv, convTranspose } from '../ops/conv.js';
import { im2col } from '../ops/im2col.js';
import { matmul } from '../ops/linalg.js';
import { reduceSum } from '../ops/reduce.js';
import { concat, pad, reshape, slice, squeeze, transpose, unsqueeze } from '../ops/shape.js';
import { swapLast } from './rules-linalg.js';

export interface ConvGeo {
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

/** Σ over the batch of A_n · B_nᵀ for A [N, ..., P, L], B [N, ..., Q, L] → [..., P, Q]. */
export function batchOuter(a: Value, b: Value): Value {
  const prod = matmul(a, swapLast(b));
  return a.shape[0] === 1 ? squeeze(prod, 0) : reduceSum(prod, 0);
}

/** W [O, C/g, ...k] → [C, O/g, ...k] with the kernel flipped: the weights of the adjoint stride-1 conv. */
function adjointWeights(w: Value, group: number): Value {
  const [o, cpg, ...k] = w.shape as number[];
  const swapped = group === 1
    ? transpose(w, [1, 0, ...k.map((_, i) => i + 2)])
    : reshape(transpose(reshape(w, [group, o! / group, cpg!, ...k]), [0, 2, 1, ...k.map((_, i) => i + 3)]), [cpg! * group, o! / group, ...k]);
  return slice(swapped, { starts: k.map(() => -1), ends: k.map(() => -(2 ** 53)), axes: k.map((_, i) => i + 2), steps: k.map(() => -1) });
}

/** dL/dX of y = conv(x, w) given dL/dY. */
export function convInputGrad(gy: Value, w: Value, geo: ConvGeo, inputSpatial: readonly number[]): Value {
  const r = inputSpatial.length;
  const out = gy.shape.slice(2) as number[];
  const reach = geo.kernel.map((k, i) => geo.dilations[i]! * (k - 1));
  const unitStride = geo.strides.every((s) => s === 1);
  const adjPads = [...reach.map((d, i) => d - geo.pads[i]!), ...reach.map((d, i) => d - geo.pads[i + r]!)];
  if (unitStride && adjPads.every((p) => p >= 0)) {
    return conv(gy, adjointWeights(w, geo.group), null, { padding: adjPads, dilation: geo.dilations, groups: geo.group });
  }
  const outputPadding = inputSpatial.map((len, i) => len - ((out[i]! - 1) * geo.strides[i]! - geo.pads[i]! - geo.pads[i + r]! + reach[i]! + 1));
  return convTranspose(gy, w, null, { stride: geo.strides, padding: geo.pads, dilation: geo.dilations, groups: geo.group, outputPadding });
}

/** dL/dW of y = conv(x, w) given dL/dY. */
export function convWeightGrad(x: Value, gy: Value, w: Value, geo: ConvGeo): Value {
  const [cout, cpg, ...k] = w.shape as number[];
  const g = geo.group;
  const n = x.shape[0]!;
  const out = gy.shape.slice(2) as number[];
  if (k.every((d) => d === 1) && geo.strides.every((s) => s === 1) && geo.pads.every((p) => p === 0)) {
    // 1×1 convolution: dW = Σ_n dY_n · X_nᵀ directly
    const l = out.reduce((p, d) => p * d, 1);
    return reshape(batchOuter(reshape(gy, [n, g, cout! / g, l]), reshape(x, [n, g, cpg!, l])), w.shape);
  }
  if (k.length === 2 && geo.strides.every((s) => s === 1)) {
    const [h, wd] = x.shape.slice(2) as [number, number];
    const [pt, pl, pb, pr] = geo.pads as [number, number, number, number];
    const [dh, dw] = geo.dilations as [number, number];
    const w2 = wd + pl + pr;
    const hp = h + pt + pb + 1; // one spare row keeps the last window inside the buffer
    const xf = reshape(pad(x, [0, 0, pt, pl, 0, 0, pb + 1, pr]), [n, g, cpg!, hp * w2]);
    const gyf = reshape(pad(gy, [0, 0, 0, 0, 0, 0, 0, w2 - out[1]!]), [n, g, cout! / g, out[0]! * w2]);
    const len = out[0]! * w2;
    const taps: Value[] = [];
    for (let ky = 0; ky < k[0]!; ky++) {
      for (let kx = 0; kx < k[1]!; kx++) {
        const start = ky * dh * w2 + kx * dw;
        taps.push(unsqueeze(batchOuter(gyf, slice(xf, { starts: [start], ends: [start + len], axes: [3] })), 3)); // [g, O/g, C/g, 1]
      }
    }
    return reshape(taps.length === 1 ? taps[0]! : concat(taps, 3), w.shape);
  }
  const cols = im2col(x, { kernel: geo.kernel, strides: geo.strides, dilations: geo.dilations, pads: geo.pads, out }); // [N, C·K, L]
  const l = out.reduce((p, d) => p * d, 1);
  const kk = k.reduce((p, d) => p * d, 1);
  return reshape(batchOuter(reshape(gy, [n, g, cout! / g, l]), reshape(cols, [n, g, cpg! * kk, l])), w.shape);
}
