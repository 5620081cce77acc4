// TopK (ONNX opset 11+): the k largest (or smallest) entries along an axis and their int64 indices, sorted.
// ONNX fixes the order of equal values: the lower index comes first — the order of a stable descending
// (largest) / ascending (smallest) sort, torch.sort(..., stable=True) / torch.topk's documented intent.
// Gradient: the values' gradient is scattered back to the picked positions (torch's topk/sort backward);
// indices carry none. Added by the head-bae engineer (uncertainty-guided point sampling needs a full sort).
import { Diff2in1Error } from '@diff2in1/tensor';
import { type Value, attr, spec } from '../ir/graph.js';
import { graphError, normAxis } from '../ir/shape.js';
import { registerVjp, zerosLike } from '../grad/autodiff.js';
import { scatterElements } from './indexing.js';

export interface TopKOptions {
  /** Axis to select along (default −1). */
  axis?: number;
  /** Largest (default) or smallest values. */
  largest?: boolean;
}

/**
 * The `k` largest (or smallest) values of `x` along `axis`, sorted, with their int64 indices; ties keep the lower
 * index first. `k` may equal the axis length (a full stable sort: torch.sort(stable=True)).
 */
export function topK(x: Value, k: number, o: TopKOptions = {}): { values: Value; indices: Value } {
  const op = 'TopK';
  const axis = normAxis(op, o.axis ?? -1, x.rank);
  const len = x.shape[axis];
  if (typeof len !== 'number') throw graphError(op, `axis ${axis} of ${x} must be static`);
  if (!Number.isInteger(k) || k < 1 || k > len) throw graphError(op, `k must be an integer in [1, ${len}] for ${x} along axis ${axis}, got ${k}`);
  const g = x.graph;
  const shape = x.shape.map((d, i) => (i === axis ? k : d));
  const attrs = { axis: attr.int(axis), largest: attr.int(o.largest === false ? 0 : 1), sorted: attr.int(1) };
  const [values, indices] = g.node(op, [x, g.int64s([k])], attrs, [spec(x.dtype, shape), spec('int64', shape)]);
  return { values: values!, indices: indices! };
}

/** Indices that sort `x` along `axis` (stable: equal values keep index order), descending by default. */
export function argsort(x: Value, o: { axis?: number; descending?: boolean } = {}): Value {
  const axis = normAxis('argsort', o.axis ?? -1, x.rank);
  const len = x.shape[axis];
  if (typeof len !== 'number') throw graphError('argsort', `axis ${axis} of ${x} must be static`);
  return topK(x, len, { axis, largest: o.descending !== false }).indices;
}

registerVjp('TopK', (n, [gValues]) => {
  const x = n.inputs[0]!;
  const a = n.attrs.axis;
  if (!a || a.kind !== 'int') throw new Diff2in1Error('graph', `grad of TopK (${n.name}): missing axis attribute`);
  if (!gValues) return [undefined, undefined];
  return [scatterElements(zerosLike(x), n.outputs[1]!, gValues, a.value, 'add'), undefined];
});
