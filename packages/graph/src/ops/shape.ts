// Layout ops: Transpose, Reshape, Flatten, (Un)Squeeze, Concat, Split, Slice, Expand, Pad.
import { type Value, attr, graphOf, spec } from '../ir/graph.js';
import { type Dim, type Shape, broadcastShapes, fmtShape, graphError, normAxis } from '../ir/shape.js';

/** Permutes axes (default: reverse them, like numpy). */
export function transpose(x: Value, perm?: readonly number[]): Value {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((a, i) => a !== i)) {
    throw graphError('Transpose', `perm [${p.join(', ')}] is not a permutation of the axes of ${x}`);
  }
  return x.graph.node1('Transpose', [x], { perm: attr.ints(p) }, spec(x.dtype, p.map((a) => x.shape[a]!)));
}

/** Numeric product and symbol multiset of a shape. */
function factor(s: Shape): { n: number; syms: string[] } {
  let n = 1;
  const syms: string[] = [];
  for (const d of s) {
    if (typeof d === 'number') n *= d;
    else syms.push(d);
  }
  return { n, syms: syms.sort() };
}

function minus(a: string[], b: string[]): string[] | undefined {
  const rest = [...a];
  for (const s of b) {
    const i = rest.indexOf(s);
    if (i < 0) return undefined;
    rest.splice(i, 1);
  }
  return rest;
}

/**
 * Reshapes to `dims`: numbers, symbols (e.g. 'batch') and at most one -1 (inferred). Symbols are resolved at
 * run time: copied in place (ONNX 0) when `x` has them at the same axis, otherwise read with Shape.
 */
export function reshape(x: Value, dims: readonly Dim[]): Value {
  const op = 'Reshape';
  const free = dims.indexOf(-1);
  if (dims.lastIndexOf(-1) !== free) throw graphError(op, `at most one -1 allowed in target [${dims.join(', ')}]`);
  for (const d of dims) if (typeof d === 'number' && (d < -1 || !Number.isInteger(d))) throw graphError(op, `invalid dimension ${d} in target [${dims.join(', ')}]`);
  const src = factor(x.shape);
  const known = factor(dims.filter((_, i) => i !== free));
  const out = [...dims];
  const bad = (): Error => graphError(op, `cannot reshape ${x} to [${dims.join(', ')}]`);
  const left = minus(src.syms, known.syms);
  if (!left) throw bad();
  if (free >= 0) {
    if (known.n === 0 || src.n % known.n !== 0) throw bad();
    const ratio = src.n / known.n;
    if (left.length === 0) out[free] = ratio;
    else if (left.length === 1 && ratio === 1) out[free] = left[0]!;
    else throw graphError(op, `cannot infer -1 in [${dims.join(', ')}] from ${x}: it would be ${ratio}·${left.join('·')}`);
  } else if (left.length !== 0 || src.n !== known.n) throw bad();
  const g = x.graph;
  // Constant target when every symbol sits at its own axis (copied with 0); the free axis stays -1.
  const copyable = out.every((d, i) => typeof d === 'number' || i === free || x.shape[i] === d);
  const target = copyable
    ? g.int64s(out.map((d, i) => (i === free && typeof d === 'string' ? -1 : typeof d === 'number' ? d : 0)))
    : g.shapeOf(out);
  if (copyable && out.some((d, i) => d === 0 && i !== free)) throw graphError(op, `zero-sized dimensions are not supported in [${dims.join(', ')}]`);
  return g.node1(op, [x, target], {}, spec(x.dtype, out));
}

/** Flattens to 2-D: axes before `axis` and from `axis` on (ONNX Flatten). */
export function flatten(x: Value, axis = 1): Value {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a > x.rank) throw graphError('Flatten', `axis ${axis} out of range for ${x}`);
  const prod = (s: Shape): Dim => {
    const f = factor(s);
    if (f.syms.length === 0) return f.n;
    if (f.syms.length === 1 && f.n === 1) return f.syms[0]!;
    throw graphError('Flatten', `the flattened size of ${fmtShape(s)} is not a single dimension; use reshape`);
  };
  return x.graph.node1('Flatten', [x], { axis: attr.int(a) }, spec(x.dtype, [prod(x.shape.slice(0, a)), prod(x.shape.slice(a))]));
}

export function unsqueeze(x: Value, axes: number | readonly number[]): Value {
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const rank = x.rank + list.length;
  const norm = list.map((a) => normAxis('Unsqueeze', a, rank)).sort((a, b) => a - b);
  const out: Dim[] = [...x.shape];
  for (const a of norm) out.splice(a, 0, 1);
  return x.graph.node1('Unsqueeze', [x, x.graph.int64s(norm)], {}, spec(x.dtype, out));
}

export function squeeze(x: Value, axes: number | readonly number[]): Value {
  const list = (typeof axes === 'number' ? [axes] : [...axes]).map((a) => normAxis('Squeeze', a, x.rank));
  for (const a of list) if (x.shape[a] !== 1) throw graphError('Squeeze', `axis ${a} of ${x} is not 1`);
  return x.graph.node1('Squeeze', [x, x.graph.int64s(list)], {}, spec(x.dtype, x.shape.filter((_, i) => !list.includes(i))));
}

/** Concatenates along `axis`; other dimensions must match. */
export function concat(xs: readonly Value[], axis: number): Value {
  const op = 'Concat';
  if (xs.length === 0) throw graphError(op, 'needs at least one input');
  const first = xs[0]!;
  const a = normAxis(op, axis, first.rank);
  let total: Dim = 0;
  for (const x of xs) {
    const ok = x.dtype === first.dtype && x.rank === first.rank && x.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!ok) throw graphError(op, `inputs must match except along axis ${a}: ${xs.map(String).join(', ')}`);
    const d = x.shape[a]!;
    if (typeof d === 'string' || typeof total === 'string') {
      if (xs.length > 1) throw graphError(op, `cannot concatenate along symbolic axis ${a}: ${xs.map(String).join(', ')}`);
      total = d;
    } else total += d;
  }
  const out = [...first.shape];
  out[a] = total;
  return graphOf(op, ...xs).node1(op, [...xs], { axis: attr.int(a) }, spec(first.dtype, out));
}

/** Splits along `axis` into pieces of the given sizes (which must sum to the axis length). */
export function split(x: Value, sizes: readonly number[], axis: number): Value[] {
  const op = 'Split';
  const a = normAxis(op, axis, x.rank);
  const sum = sizes.reduce((p, s) => p + s, 0);
  if (x.shape[a] !== sum || sizes.some((s) => !Number.isInteger(s) || s < 0)) throw graphError(op, `sizes [${sizes.join(', ')}] do not split axis ${a} of ${x}`);
  const g = x.graph;
  return g.node(op, [x, g.int64s(sizes)], { axis: attr.int(a) }, sizes.map((s) => {
    const out = [...x.shape];
    out[a] = s;
    return spec(x.dtype, out);
  }));
}

/** Splits along `axis` into `n` equal pieces (torch.chunk when divisible). */
export function chunk(x: Value, n: number, axis: number): Value[] {
  const a = normAxis('Split', axis, x.rank);
  const d = x.shape[a];
  if (typeof d !== 'number' || d % n !== 0) throw graphError('Split', `axis ${a} of ${x} does not split into ${n} equal parts`);
  return split(x, Array.from({ length: n }, () => d / n), a);
}

export interface SliceSpec {
  starts: readonly number[];
  ends: readonly number[];
  axes?: readonly number[];
  steps?: readonly number[];
}

/** The index range ONNX Slice selects on one axis of length `n` (negative indices count from the end). */
export function sliceRange(n: number, start: number, end: number, step: number): { start: number; count: number } {
  const clampIdx = (i: number, lo: number, hi: number): number => Math.min(Math.max(i < 0 ? i + n : i, lo), hi);
  if (step > 0) {
    const s = clampIdx(start, 0, n);
    const e = clampIdx(end, 0, n);
    return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  const s = clampIdx(start, 0, n - 1);
  const e = clampIdx(end, -1, n - 1);
  return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
}

/** ONNX Slice with static starts/ends/axes/steps. A symbolic axis may only be taken whole. */
export function slice(x: Value, s: SliceSpec): Value {
  const op = 'Slice';
  const axes = (s.axes ?? s.starts.map((_, i) => i)).map((a) => normAxis(op, a, x.rank));
  const steps = s.steps ?? axes.map(() => 1);
  if (s.starts.length !== axes.length || s.ends.length !== axes.length || steps.length !== axes.length) {
    throw graphError(op, `starts, ends, axes and steps must have equal lengths for ${x}`);
  }
  const out: Dim[] = [...x.shape];
  axes.forEach((a, i) => {
    const d = x.shape[a]!;
    const st = steps[i]!;
    if (st === 0) throw graphError(op, 'steps must be non-zero');
    if (typeof d === 'string') {
      if (s.starts[i] !== 0 || s.ends[i]! < 2 ** 31 || st !== 1) throw graphError(op, `axis ${a} of ${x} is symbolic and can only be taken whole`);
      return;
    }
    out[a] = sliceRange(d, s.starts[i]!, s.ends[i]!, st).count;
  });
  const g = x.graph;
  return g.node1(op, [x, g.int64s(s.starts), g.int64s(s.ends.map((e) => Math.min(e, Number.MAX_SAFE_INTEGER))), g.int64s(axes), g.int64s(steps)], {}, spec(x.dtype, out));
}

/** Broadcasts `x` to `shape` (numpy rules; ONNX Expand). */
export function expand(x: Value, shape: Shape): Value {
  const out = broadcastShapes('Expand', x.shape, shape);
  return x.graph.node1('Expand', [x, x.graph.shapeOf(shape)], {}, spec(x.dtype, out));
}

export type PadMode = 'constant' | 'reflect' | 'edge';

/**
 * Pads with `pads` = [x1_begin, x2_begin, ..., x1_end, x2_end, ...] over all axes (ONNX order). Negative pads crop.
 * `torchPads` converts torch.nn.functional.pad's last-axis-first pairs.
 */
export function pad(x: Value, pads: readonly number[], mode: PadMode = 'constant', value = 0): Value {
  const op = 'Pad';
  if (pads.length !== 2 * x.rank) throw graphError(op, `pads needs ${2 * x.rank} entries for ${x}, got [${pads.join(', ')}]`);
  const out = x.shape.map((d, i) => {
    const p = pads[i]! + pads[i + x.rank]!;
    if (p === 0) return d;
    if (typeof d === 'string') throw graphError(op, `cannot pad symbolic axis ${i} of ${x}`);
    if (d + p < 0) throw graphError(op, `pads [${pads.join(', ')}] crop ${x} below zero size`);
    return d + p;
  });
  const g = x.graph;
  const inputs = [x, g.int64s(pads), mode === 'constant' ? g.scalar(value, x.dtype) : null];
  return g.node1(op, inputs, { mode: attr.string(mode) }, spec(x.dtype, out));
}

/** ONNX pads for torch.nn.functional.pad's (last_begin, last_end, prev_begin, prev_end, ...) on a rank-`rank` tensor. */
export function torchPads(rank: number, tp: readonly number[]): number[] {
  const pads = new Array<number>(2 * rank).fill(0);
  for (let k = 0; 2 * k < tp.length; k++) {
    const axis = rank - 1 - k;
    pads[axis] = tp[2 * k]!;
    pads[axis + rank] = tp[2 * k + 1] ?? 0;
  }
  return pads;
}
