// im2col: the receptive-field patches of an N×C×spatial tensor as a [N, C·K, L] matrix (K kernel offsets in
// row-major order, L output positions), built from Pad + one strided Slice per kernel offset + Concat.
// Used for fast convolution weight gradients (one batched MatMul) and float64 convolutions (ORT's CPU Conv has
// no float64 kernel).
import type { Value } from '../ir/graph.js';
import { type Dim, graphError } from '../ir/shape.js';
import { add } from './elementwise.js';
import { matmul } from './linalg.js';
import { concat, pad, reshape, slice, unsqueeze } from './shape.js';
import { convOutSize, onnxPads, perAxis, type ConvOptions } from './conv.js';

export interface PatchGeometry {
  kernel: readonly number[];
  strides: readonly number[];
  dilations: readonly number[];
  /** Zero padding before and after each spatial axis ([begin..., end...]). */
  pads: readonly number[];
  /** Output positions per spatial axis. */
  out: readonly number[];
}

/** Patches [N, C·K, L] of x [N, C, ...spatial]. */
export function im2col(x: Value, geo: PatchGeometry): Value {
  const n = geo.kernel.length;
  if (x.rank !== n + 2) throw graphError('im2col', `kernel rank ${n} does not fit ${x}`);
  const padded = geo.pads.some((p) => p !== 0) ? pad(x, [0, 0, ...geo.pads.slice(0, n), 0, 0, ...geo.pads.slice(n)]) : x;
  const offsets: number[][] = [[]];
  for (const k of geo.kernel) {
    const next: number[][] = [];
    for (const o of offsets) for (let i = 0; i < k; i++) next.push([...o, i]);
    offsets.splice(0, offsets.length, ...next);
  }
  const axes = geo.kernel.map((_, i) => i + 2);
  const pieces = offsets.map((o) => {
    const starts = o.map((k, i) => k * geo.dilations[i]!);
    const ends = starts.map((s, i) => s + (geo.out[i]! - 1) * geo.strides[i]! + 1);
    const whole = starts.every((s, i) => s === 0 && ends[i] === padded.shape[i + 2] && geo.strides[i] === 1);
    return whole ? padded : slice(padded, { starts, ends, axes, steps: [...geo.strides] });
  });
  const c = x.shape[1] as number;
  const k = offsets.length;
  const l = geo.out.reduce((p, d) => p * d, 1);
  const stacked = k === 1 ? pieces[0]! : concat(pieces.map((p) => unsqueeze(p, 2)), 2);
  return reshape(stacked, [x.shape[0]!, c * k, l]);
}

/** A convolution computed as im2col + MatMul (same results as `conv`; runs in float64 on ORT's CPU EP). */
export function convIm2col(x: Value, w: Value, b: Value | null = null, o: ConvOptions = {}): Value {
  const op = 'ConvIm2col';
  const n = x.rank - 2;
  const kernel = w.shape.slice(2) as number[];
  const groups = o.groups ?? 1;
  const strides = perAxis(op, 'stride', o.stride, n, 1);
  const dilations = perAxis(op, 'dilation', o.dilation, n, 1);
  const pads = onnxPads(op, o.padding, n);
  const spatial = x.shape.slice(2) as number[];
  if (!spatial.every((d) => typeof d === 'number') || x.shape[1] !== (w.shape[1] as number) * groups) throw graphError(op, `input ${x} and weight ${w} do not fit with groups=${groups}`);
  const out = spatial.map((len, i) => convOutSize(len, kernel[i]!, strides[i]!, dilations[i]!, pads[i]!, pads[i + n]!));
  const cols = im2col(x, { kernel, strides, dilations, pads, out });
  const cout = w.shape[0] as number;
  const batch: Dim = x.shape[0]!;
  const l = out.reduce((p, d) => p * d, 1);
  let y: Value;
  if (groups === 1) {
    y = matmul(reshape(w, [cout, -1]), cols); // [O, CK] @ [N, CK, L] → [N, O, L]
  } else {
    const cg = cols.shape[1] as number;
    const wg = reshape(w, [groups, cout / groups, -1]); // [g, O/g, C/g·K]
    const colsG = reshape(cols, [batch, groups, cg / groups, l]);
    y = matmul(wg, colsG); // [N, g, O/g, L]
  }
  y = reshape(y, [batch, cout, ...out]);
  return b ? add(y, reshape(b, [cout, ...out.map(() => 1)])) : y;
}
