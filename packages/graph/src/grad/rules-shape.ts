// Gradient rules of reductions, softmax, layout and indexing ops.
import { Diff2in1Error } from '@diff2in1/tensor';
import { type Node, type Value, spec } from '../ir/graph.js';
import type { Dim } from '../ir/shape.js';
import { cast, div, equal, exp, mul, sub } from '../ops/elementwise.js';
import { reduceSum } from '../ops/reduce.js';
import { concat, expand, pad, reshape, slice, sliceRange, split, transpose } from '../ops/shape.js';
import { gatherElements, scatterElements, scatterND } from '../ops/indexing.js';
import { registerVjp, unbroadcast, zeros, zerosLike } from './autodiff.js';

const inp = (n: Node, i: number): Value => n.inputs[i]!;
const intAttr = (n: Node, name: string, dflt: number): number => {
  const a = n.attrs[name];
  return a && a.kind === 'int' ? a.value : dflt;
};

/** The int64 constant fed to input `i` of a node (axes, pads, starts...), as numbers. */
export function constInts(n: Node, i: number): number[] | undefined {
  const v = n.inputs[i];
  if (!v) return undefined;
  const c = v.constant;
  if (!c || c.dtype !== 'int64') throw new Diff2in1Error('graph', `grad of ${n.opType} (${n.name}): input ${i} must be an int64 constant, got ${v}`);
  return Array.from(c.data as BigInt64Array, Number);
}

/** Reduction axes of a Reduce* node (all axes when none are given). */
function reducedAxes(n: Node): number[] {
  const x = inp(n, 0);
  const axes = constInts(n, 1) ?? [];
  return axes.length === 0 ? x.shape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + x.rank : a));
}

/** The gradient of a reduced tensor with the reduced axes restored as size 1. */
function keepShape(n: Node, gy: Value): Value {
  const x = inp(n, 0);
  if (intAttr(n, 'keepdims', 1) === 1) return gy;
  const axes = reducedAxes(n);
  return reshape(gy, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

function count(x: Value, axes: number[]): number {
  let c = 1;
  for (const a of axes) {
    const d = x.shape[a];
    if (typeof d !== 'number') throw new Diff2in1Error('graph', `grad of ReduceMean: reduced axis ${a} of ${x} must be static`);
    c *= d;
  }
  return c;
}

registerVjp('ReduceSum', (n, [gy]) => [expand(keepShape(n, gy!), inp(n, 0).shape)]);
registerVjp('ReduceMean', (n, [gy]) => [expand(mul(keepShape(n, gy!), 1 / count(inp(n, 0), reducedAxes(n))), inp(n, 0).shape)]);
// torch amax/amin: the gradient is shared equally between tied extrema.
for (const op of ['ReduceMax', 'ReduceMin']) {
  registerVjp(op, (n, [gy]) => {
    const x = inp(n, 0);
    const y = keepShape(n, n.outputs[0]!);
    const hit = cast(equal(x, y), x.dtype);
    const ties = reduceSum(hit, reducedAxes(n), true);
    return [mul(hit, div(keepShape(n, gy!), ties))];
  });
}

registerVjp('Softmax', (n, [gy]) => {
  const y = n.outputs[0]!;
  const axis = intAttr(n, 'axis', -1);
  return [mul(y, sub(gy!, reduceSum(mul(gy!, y), axis, true)))];
});
registerVjp('LogSoftmax', (n, [gy]) => {
  const y = n.outputs[0]!;
  const axis = intAttr(n, 'axis', -1);
  return [sub(gy!, mul(exp(y), reduceSum(gy!, axis, true)))];
});

registerVjp('Transpose', (n, [gy]) => {
  const a = n.attrs.perm;
  const perm = a && a.kind === 'ints' ? a.value : inp(n, 0).shape.map((_, i, s) => s.length - 1 - i);
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [transpose(gy!, inv)];
});
for (const op of ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']) registerVjp(op, (n, [gy]) => [reshape(gy!, inp(n, 0).shape)]);
registerVjp('Expand', (n, [gy]) => [unbroadcast(gy!, inp(n, 0).shape)]);

registerVjp('Concat', (n, [gy], want) => {
  const axis = intAttr(n, 'axis', 0);
  const sizes = n.inputs.map((v) => v!.shape[axis]);
  if (!sizes.every((s): s is number => typeof s === 'number')) throw new Diff2in1Error('graph', `grad of Concat (${n.name}): sizes along axis ${axis} must be static`);
  if (n.inputs.length === 1) return [gy];
  const parts = split(gy!, sizes, axis);
  return parts.map((p, i) => (want[i] ? p : undefined));
});
registerVjp('Split', (n, gys) => {
  const axis = intAttr(n, 'axis', 0);
  const parts = n.outputs.map((o, i) => gys[i] ?? zerosLike(o));
  return [parts.length === 1 ? parts[0] : concat(parts, axis)];
});

registerVjp('Slice', (n, [gy]) => {
  const x = inp(n, 0);
  const starts = constInts(n, 1)!;
  const ends = constInts(n, 2)!;
  const axes = (constInts(n, 3) ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + x.rank : a));
  const steps = constInts(n, 4) ?? axes.map(() => 1);
  const pads = new Array<number>(2 * x.rank).fill(0);
  let g = gy!;
  axes.forEach((a, i) => {
    const d = x.shape[a];
    if (typeof d !== 'number') return; // taken whole
    const step = steps[i]!;
    if (step < 1) throw new Diff2in1Error('graph', `grad of Slice (${n.name}): negative steps are not supported (axis ${a}, step ${step})`);
    const { start, count } = sliceRange(d, starts[i]!, ends[i]!, step);
    let span = count;
    if (step > 1 && count > 0) {
      // Zero-stuff: [.., c, ..] → [.., c, 1, ..] → pad to [.., c, step, ..] → [.., c·step, ..], cut to what fits.
      const shape = g.shape;
      const withUnit = reshape(g, [...shape.slice(0, a + 1), 1, ...shape.slice(a + 1)]);
      const p = new Array<number>(2 * withUnit.rank).fill(0);
      p[a + 1 + withUnit.rank] = step - 1;
      const stuffed = reshape(pad(withUnit, p), [...shape.slice(0, a), count * step, ...shape.slice(a + 1)]);
      span = Math.min(count * step, d - start);
      g = span === count * step ? stuffed : slice(stuffed, { starts: [0], ends: [span], axes: [a] });
    }
    pads[a] = start;
    pads[a + x.rank] = d - start - span;
  });
  return [pads.some((p) => p !== 0) ? pad(g, pads) : g];
});

registerVjp('Pad', (n, [gy]) => {
  const x = inp(n, 0);
  const mode = n.attrs.mode;
  if (mode && mode.kind === 'string' && mode.value !== 'constant') throw new Diff2in1Error('graph', `grad of Pad (${n.name}): only mode 'constant' is differentiable here, got '${mode.value}'`);
  if (n.inputs[3]) throw new Diff2in1Error('graph', `grad of Pad (${n.name}): the axes input is not supported`);
  const pads = constInts(n, 1)!;
  const r = x.rank;
  const axes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (let a = 0; a < r; a++) {
    if (pads[a] === 0 && pads[a + r] === 0) continue;
    if (pads[a]! < 0 || pads[a + r]! < 0) throw new Diff2in1Error('graph', `grad of Pad (${n.name}): negative pads are not supported`);
    axes.push(a);
    starts.push(pads[a]!);
    ends.push(pads[a]! + (x.shape[a] as number));
  }
  return [axes.length ? slice(gy!, { starts, ends, axes }) : gy];
});

registerVjp('Gather', (n, [gy]) => {
  const [x, idx] = [inp(n, 0), inp(n, 1)];
  const axis = intAttr(n, 'axis', 0);
  // Move the gathered axis to the front, scatter-add rows into zeros, move it back.
  const perm = [axis, ...x.shape.map((_, i) => i).filter((i) => i !== axis)];
  const front = axis === 0 ? x : transpose(x, perm);
  const rest = front.shape.slice(1);
  // gy [..x[:axis], ..idx, ..x[axis+1:]] → [..idx, ..x[:axis], ..x[axis+1:]]
  const k = idx.rank;
  const gperm = [...Array.from({ length: k }, (_, i) => axis + i), ...Array.from({ length: axis }, (_, i) => i), ...Array.from({ length: x.rank - axis - 1 }, (_, i) => axis + k + i)];
  const gFront = axis === 0 ? gy! : transpose(gy!, gperm);
  const flatIdx = reshape(cast(idx, 'int64'), [-1, 1]);
  const rows: Dim = flatIdx.shape[0]!;
  const upd = reshape(gFront, [rows, ...rest]);
  const acc = scatterND(zerosLike(front), flatIdx, upd, 'add');
  if (axis === 0) return [acc, undefined];
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [transpose(acc, inv), undefined];
});
registerVjp('GatherElements', (n, [gy]) => [scatterElements(zerosLike(inp(n, 0)), inp(n, 1), gy!, intAttr(n, 'axis', 0), 'add'), undefined]);
registerVjp('ScatterElements', (n, [gy], want) => {
  const red = n.attrs.reduction;
  if (red && red.kind === 'string' && red.value !== 'none') throw new Diff2in1Error('graph', `grad of ScatterElements (${n.name}): reduction '${red.value}' is not differentiable here`);
  const [idx, upd] = [inp(n, 1), inp(n, 2)];
  const axis = intAttr(n, 'axis', 0);
  return [want[0] ? scatterElements(gy!, idx, zerosLike(upd), axis) : undefined, undefined, want[2] ? gatherElements(gy!, idx, axis) : undefined];
});
registerVjp('ScatterND', (n, [gy], want) => {
  const [idx, upd] = [inp(n, 1), inp(n, 2)];
  const red = n.attrs.reduction;
  const add = red && red.kind === 'string' && red.value === 'add';
  if (red && red.kind === 'string' && !['none', 'add'].includes(red.value)) throw new Diff2in1Error('graph', `grad of ScatterND (${n.name}): reduction '${red.value}' is not differentiable here`);
  const gUpd = want[2] ? gy!.graph.node1('GatherND', [gy!, idx], {}, spec(upd.dtype, upd.shape)) : undefined;
  return [want[0] ? (add ? gy : scatterND(gy!, idx, zeros(upd, upd.shape))) : undefined, undefined, gUpd];
});

registerVjp('Range', 'none');
