// Index-based ops: Gather, GatherElements, ScatterElements, ScatterND, one-hot via Equal.
import { type Value, attr, graphOf, spec } from '../ir/graph.js';
import { fmtShape, graphError, normAxis } from '../ir/shape.js';

function requireIndices(op: string, idx: Value): void {
  if (idx.dtype !== 'int64' && idx.dtype !== 'int32') throw graphError(op, `indices must be int64 or int32, got ${idx}`);
}

/** Takes slices of `x` along `axis` at `indices` (numpy take; torch index_select / embedding lookup). */
export function gather(x: Value, indices: Value, axis = 0): Value {
  const op = 'Gather';
  requireIndices(op, indices);
  const a = normAxis(op, axis, x.rank);
  const out = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return graphOf(op, x, indices).node1(op, [x, indices], { axis: attr.int(a) }, spec(x.dtype, out));
}

/** out[i][j] = x[idx[i][j]][j] for axis 0, etc. (torch.gather). `indices` has the output's shape. */
export function gatherElements(x: Value, indices: Value, axis: number): Value {
  const op = 'GatherElements';
  requireIndices(op, indices);
  const a = normAxis(op, axis, x.rank);
  if (indices.rank !== x.rank) throw graphError(op, `indices ${indices} must have the rank of ${x}`);
  return graphOf(op, x, indices).node1(op, [x, indices], { axis: attr.int(a) }, spec(x.dtype, indices.shape));
}

export type ScatterReduction = 'none' | 'add' | 'mul' | 'max' | 'min';

/** A copy of `data` with `updates` written at `indices` along `axis` (torch.scatter / scatter_add). */
export function scatterElements(data: Value, indices: Value, updates: Value, axis: number, reduction: ScatterReduction = 'none'): Value {
  const op = 'ScatterElements';
  requireIndices(op, indices);
  const a = normAxis(op, axis, data.rank);
  if (indices.rank !== data.rank || indices.shape.some((d, i) => d !== updates.shape[i]) || updates.rank !== indices.rank) {
    throw graphError(op, `indices ${fmtShape(indices.shape)} and updates ${fmtShape(updates.shape)} must have equal shapes and the rank of data ${fmtShape(data.shape)}`);
  }
  if (updates.dtype !== data.dtype) throw graphError(op, `updates ${updates} must have the dtype of data ${data}`);
  return graphOf(op, data, indices, updates).node1(op, [data, indices, updates], { axis: attr.int(a), reduction: attr.string(reduction) }, spec(data.dtype, data.shape));
}

/**
 * ONNX ScatterND: `indices` [..., k] addresses the first k axes of `data`; `updates` has shape
 * indices.shape[:-1] + data.shape[k:].
 */
export function scatterND(data: Value, indices: Value, updates: Value, reduction: ScatterReduction = 'none'): Value {
  const op = 'ScatterND';
  if (indices.dtype !== 'int64') throw graphError(op, `indices must be int64, got ${indices}`);
  const k = indices.shape[indices.rank - 1];
  if (typeof k !== 'number' || k > data.rank) throw graphError(op, `last axis of indices ${indices} must be static and ≤ rank of ${data}`);
  const want = [...indices.shape.slice(0, -1), ...data.shape.slice(k)];
  if (want.length !== updates.rank || want.some((d, i) => d !== updates.shape[i])) {
    throw graphError(op, `updates must have shape ${fmtShape(want)} for indices ${fmtShape(indices.shape)} and data ${fmtShape(data.shape)}, got ${fmtShape(updates.shape)}`);
  }
  return graphOf(op, data, indices, updates).node1(op, [data, indices, updates], { reduction: attr.string(reduction) }, spec(data.dtype, data.shape));
}
