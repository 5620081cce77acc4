// Normalisation layers with torch semantics (biased variance inside, eps added before the square root).
import { Tensor, allocate, numel } from '@diff2in1/tensor';
import { type Value, attr, spec } from '../ir/graph.js';
import { graphError } from '../ir/shape.js';
import { add, div, mul, sqrt, sub } from './elementwise.js';
import { reduceMean } from './reduce.js';
import { reshape } from './shape.js';

function channelView(p: Value, rank: number): Value {
  // [C] → [C, 1, ..., 1] so it broadcasts over N×C×spatial
  return reshape(p, [p.shape[0]!, ...new Array<number>(rank - 2).fill(1)]);
}

/**
 * torch.nn.functional.group_norm: statistics over (C/G × spatial) per sample and group, then a per-channel
 * affine. float32/float16: ONNX LayerNormalization over the [N, G, C/G·spatial] view (one fused pass; its Mean
 * and InvStdDev outputs serve the gradient rule). float64 (ORT's LayerNormalization keeps float32 statistics):
 * written with ReduceMean so gradient checks stay exact.
 */
export function groupNorm(x: Value, groups: number, weight?: Value | null, bias?: Value | null, eps = 1e-5): Value {
  const op = 'GroupNorm';
  const c = x.shape[1];
  if (x.rank < 2 || typeof c !== 'number' || c % groups !== 0) throw graphError(op, `${x} needs a static channel axis divisible by ${groups} groups`);
  const xr = reshape(x, [x.shape[0]!, groups, -1]);
  let normed: Value;
  if (x.dtype === 'float64') {
    const mean = reduceMean(xr, [2], true);
    const d = sub(xr, mean);
    const v = reduceMean(mul(d, d), [2], true);
    normed = div(d, sqrt(add(v, eps)));
  } else {
    const g = x.graph;
    const len = xr.shape[2] as number;
    const ones = g.node1('ConstantOfShape', [g.int64s([len])], { value: attr.tensor(fill(x.dtype, [1], 1)) }, spec(x.dtype, [len]));
    const statShape = [x.shape[0]!, groups, 1];
    normed = g.node('LayerNormalization', [xr, ones], { axis: attr.int(2), epsilon: attr.float(eps) }, [
      spec(x.dtype, xr.shape), spec('float32', statShape), spec('float32', statShape),
    ])[0]!;
  }
  return affine(op, reshape(normed, x.shape), weight, bias, c);
}

function affine(op: string, y: Value, weight: Value | null | undefined, bias: Value | null | undefined, c: number): Value {
  for (const p of [weight, bias]) if (p && (p.rank !== 1 || p.shape[0] !== c)) throw graphError(op, `weight/bias ${p} must be [${c}]`);
  let out = y;
  if (weight) out = mul(out, channelView(weight, y.rank));
  if (bias) out = add(out, channelView(bias, y.rank));
  return out;
}

/**
 * torch.nn.functional.layer_norm over the last `normalizedDims` axes, as ONNX LayerNormalization (fused in
 * ORT); its gradient rule uses the op's saved mean and inverse standard deviation outputs.
 */
export function layerNorm(x: Value, normalizedDims: number, weight?: Value | null, bias?: Value | null, eps = 1e-5): Value {
  const op = 'LayerNormalization';
  if (normalizedDims < 1 || normalizedDims > x.rank) throw graphError(op, `cannot normalise the last ${normalizedDims} axes of ${x}`);
  const normShape = x.shape.slice(x.rank - normalizedDims);
  if (!normShape.every((d): d is number => typeof d === 'number')) throw graphError(op, `normalised axes of ${x} must be static`);
  for (const p of [weight, bias]) {
    if (p && (p.rank !== normShape.length || p.shape.some((d, i) => d !== normShape[i]))) throw graphError(op, `weight/bias ${p} must have shape [${normShape.join(', ')}]`);
  }
  const g = x.graph;
  const scale = weight ?? g.constant(onesLike(x.dtype, normShape as number[]));
  const statShape = [...x.shape.slice(0, x.rank - normalizedDims), ...new Array<number>(normalizedDims).fill(1)];
  const statType = 'float32'; // stash_type 1 (default): Mean and InvStdDev are float32
  const [y] = g.node(op, bias ? [x, scale, bias] : [x, scale], { axis: attr.int(x.rank - normalizedDims), epsilon: attr.float(eps) }, [
    spec(x.dtype, x.shape), spec(statType, statShape), spec(statType, statShape),
  ]);
  return y!;
}

function onesLike(dtype: Value['dtype'], shape: number[]): Tensor {
  return fill(dtype, shape, 1);
}

function fill(dtype: Value['dtype'], shape: number[], v: number): Tensor {
  const data = allocate(dtype, numel(shape));
  (data as Float32Array).fill(v);
  return new Tensor(dtype, shape, data);
}

export interface BatchNormOptions {
  training: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * torch.nn.functional.batch_norm over N×C×spatial. Training: batch statistics (biased variance) normalise, and
 * the running stats update as (1−m)·running + m·batch (unbiased variance), returned for the caller to store.
 * Evaluation: ONNX BatchNormalization with the running stats.
 */
export function batchNorm(x: Value, runningMean: Value, runningVar: Value, weight: Value | null, bias: Value | null, o: BatchNormOptions): { y: Value; runningMean?: Value; runningVar?: Value } {
  const op = 'BatchNorm';
  const c = x.shape[1];
  if (x.rank < 2 || typeof c !== 'number') throw graphError(op, `${x} needs a static channel axis`);
  for (const p of [runningMean, runningVar, weight, bias]) if (p && (p.rank !== 1 || p.shape[0] !== c)) throw graphError(op, `parameter ${p} must be [${c}]`);
  const eps = o.eps ?? 1e-5;
  const g = x.graph;
  if (!o.training) {
    const w = weight ?? g.constant(fill(x.dtype, [c], 1));
    const b = bias ?? g.constant(fill(x.dtype, [c], 0));
    const y = g.node1('BatchNormalization', [x, w, b, runningMean, runningVar], { epsilon: attr.float(eps) }, spec(x.dtype, x.shape));
    return { y };
  }
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const n = axes.reduce((p, a) => p * (typeof x.shape[a] === 'number' ? (x.shape[a] as number) : NaN), 1);
  if (!Number.isFinite(n)) throw graphError(op, `training mode needs static batch and spatial dims, got ${x}`);
  const mean = reduceMean(x, axes, true);
  const d = sub(x, mean);
  const v = reduceMean(mul(d, d), axes, true);
  const y = affine(op, div(d, sqrt(add(v, eps))), weight, bias, c);
  const m = o.momentum ?? 0.1;
  const flat = (t: Value): Value => reshape(t, [c]);
  const newMean = add(mul(runningMean, 1 - m), mul(flat(mean), m));
  const newVar = add(mul(runningVar, 1 - m), mul(flat(v), (m * n) / Math.max(n - 1, 1)));
  return { y, runningMean: newMean, runningVar: newVar };
}
