// Reductions over explicit axes (opset ≥ 18: axes are an input). An empty axis list means "all axes".
import type { Value } from '../ir/graph.js';
import { attr, spec } from '../ir/graph.js';
import { type Dim, graphError, normAxis } from '../ir/shape.js';
import { div, mul, sub } from './elementwise.js';

export type Axes = number | readonly number[];

/** Normalised, sorted, de-duplicated axes (all axes when `axes` is empty or undefined). */
export function reduceAxes(op: string, x: Value, axes: Axes | undefined): number[] {
  const list = axes === undefined ? [] : typeof axes === 'number' ? [axes] : [...axes];
  if (list.length === 0) return x.shape.map((_, i) => i);
  const norm = [...new Set(list.map((a) => normAxis(op, a, x.rank)))].sort((a, b) => a - b);
  return norm;
}

function reduce(op: string, x: Value, axes: Axes | undefined, keepdims: boolean): Value {
  const ax = reduceAxes(op, x, axes);
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!ax.includes(i)) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  if (x.dtype === 'bool') throw graphError(op, `cannot reduce a bool tensor ${x}`);
  const g = x.graph;
  return g.node1(op, [x, g.int64s(ax)], { keepdims: attr.int(keepdims ? 1 : 0) }, spec(x.dtype, shape));
}

export const reduceSum = (x: Value, axes?: Axes, keepdims = false): Value => reduce('ReduceSum', x, axes, keepdims);
export const reduceMean = (x: Value, axes?: Axes, keepdims = false): Value => reduce('ReduceMean', x, axes, keepdims);
export const reduceMax = (x: Value, axes?: Axes, keepdims = false): Value => reduce('ReduceMax', x, axes, keepdims);
export const reduceMin = (x: Value, axes?: Axes, keepdims = false): Value => reduce('ReduceMin', x, axes, keepdims);

/** Variance over `axes` (biased by default, as normalisation layers use; `unbiased` divides by n − 1). */
export function variance(x: Value, axes?: Axes, keepdims = false, unbiased = false): Value {
  const ax = reduceAxes('variance', x, axes);
  const d = sub(x, reduceMean(x, ax, true));
  const v = reduceMean(mul(d, d), ax, keepdims);
  if (!unbiased) return v;
  const n = ax.reduce((p, a) => p * (typeof x.shape[a] === 'number' ? (x.shape[a] as number) : NaN), 1);
  if (!Number.isFinite(n)) throw graphError('variance', `unbiased variance needs static reduced dimensions, got ${x}`);
  return mul(v, n / (n - 1));
}

/** Mean of `x` over positions where `mask` (same shape, float 0/1) is 1; 0 when the mask is empty. */
export function maskedMean(x: Value, mask: Value, axes?: Axes, keepdims = false): Value {
  const num = reduceSum(mul(x, mask), axes, keepdims);
  const den = reduceSum(mask, axes, keepdims);
  // max(den, 1) keeps an empty mask at 0 instead of NaN (upstream code divides by the valid-pixel count).
  const g = x.graph;
  const safe = g.node1('Max', [den, g.scalar(1, den.dtype)], {}, spec(den.dtype, den.shape));
  return div(num, safe);
}
