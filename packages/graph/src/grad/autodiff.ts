// Reverse-mode automatic differentiation of a built graph, emitted as more nodes of the same graph in standard
// ONNX ops (ORT's inference build has no gradient kernels). Each op type has a vector-Jacobian product rule
// (grad/rules-*.ts); a node may carry its own rule (`node.vjp`), and 'none' stops gradients (stopGradient).
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';
import { isFloat } from '../ir/dtype.js';
import { type Node, type Value, type VjpRule, attr, spec } from '../ir/graph.js';
import { type Shape, broadcastAxes, fmtShape, isStatic } from '../ir/shape.js';

const rules = new Map<string, VjpRule | 'none'>();

/** Registers the gradient rule of an ONNX op type ('none': the op has no gradient, e.g. comparisons). */
export function registerVjp(opType: string, rule: VjpRule | 'none'): void {
  rules.set(opType, rule);
}

export function hasVjp(opType: string): boolean {
  return rules.has(opType);
}

export interface GradOptions {
  /** Gradient of `y` (default: 1; `y` must then be a scalar). */
  seed?: Value;
}

/**
 * Gradients of `y` with respect to each of `wrt`. Values of `wrt` that `y` does not depend on get zeros.
 * Gradients flowing into one value from several uses are summed.
 */
export function grad(y: Value, wrt: readonly Value[], opts: GradOptions = {}): Value[] {
  const g = y.graph;
  if (!isFloat(y.dtype)) throw new Diff2in1Error('graph', `grad: cannot differentiate ${y}, which is not floating point`);
  if (!opts.seed && y.rank !== 0) throw new Diff2in1Error('graph', `grad: ${y} is not a scalar; pass a seed gradient of shape ${fmtShape(y.shape)}`);
  for (const w of wrt) {
    if (!isFloat(w.dtype)) throw new Diff2in1Error('graph', `grad: cannot differentiate with respect to ${w}, which is not floating point`);
    if (w.graph !== g) throw new Diff2in1Error('graph', `grad: ${w} is in graph '${w.graph.name}', ${y} in '${g.name}'`);
  }

  // Forward: which values depend on wrt (through differentiable nodes).
  const dependent = new Set<Value>(wrt);
  const active: Node[] = [];
  for (const n of g.nodes) {
    if (n.vjp === 'none' || (n.vjp === undefined && rules.get(n.opType) === 'none')) continue;
    if (!n.inputs.some((v) => v && dependent.has(v))) continue;
    active.push(n);
    for (const o of n.outputs) if (isFloat(o.dtype)) dependent.add(o);
  }
  // Backward: which of those values y depends on.
  const needed = new Set<Value>([y]);
  const onPath: Node[] = [];
  for (let i = active.length - 1; i >= 0; i--) {
    const n = active[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    onPath.push(n);
    for (const v of n.inputs) if (v && dependent.has(v)) needed.add(v);
  }

  const pending = new Map<Value, Value[]>();
  const push = (v: Value, d: Value): void => {
    if (d.dtype !== v.dtype || d.rank !== v.rank || d.shape.some((s, i) => s !== v.shape[i])) {
      throw new Diff2in1Error('graph', `grad: internal shape error: gradient ${d} for ${v} (producer ${v.producer?.opType ?? 'input'})`);
    }
    const list = pending.get(v);
    if (list) list.push(d);
    else pending.set(v, [d]);
  };
  const total = (v: Value): Value | undefined => {
    const list = pending.get(v);
    if (!list || list.length === 0) return undefined;
    if (list.length === 1) return list[0];
    const sum = g.node1('Sum', list, {}, spec(v.dtype, v.shape));
    pending.set(v, [sum]);
    return sum;
  };
  push(y, opts.seed ?? g.scalar(1, y.dtype));

  for (const n of onPath) {
    const dOut = n.outputs.map(total);
    if (dOut.every((d) => d === undefined)) continue;
    const rule = n.vjp ?? rules.get(n.opType);
    if (rule === undefined) {
      throw new Diff2in1Error('graph', `grad: no gradient rule for ONNX op '${n.opType}' (node ${n.name}); differentiable ops: ${[...rules.keys()].filter((k) => rules.get(k) !== 'none').sort().join(', ')}`);
    }
    if (rule === 'none') continue;
    const want = n.inputs.map((v) => !!v && dependent.has(v) && needed.has(v));
    const dIn = g.scope(`grad${n.name}`, () => rule(n, dOut, want));
    n.inputs.forEach((v, i) => {
      const d = dIn[i];
      if (v && want[i] && d) push(v, d);
    });
  }
  return wrt.map((w) => total(w) ?? zerosLike(w));
}

/** Zeros with the dtype and shape of `v` (ConstantOfShape, so no large initializer is stored). */
export function zerosLike(v: Value): Value {
  return zeros(v, v.shape);
}

export function zeros(like: Value, shape: Shape): Value {
  const g = like.graph;
  if (shape.length === 0) return g.scalar(0, like.dtype);
  const value = new Tensor(like.dtype, [1]);
  return g.node1('ConstantOfShape', [g.shapeOf(shape)], { value: attr.tensor(value) }, spec(like.dtype, shape));
}

/** Sums `d` over the axes along which a tensor of shape `shape` was broadcast to d's shape. */
export function unbroadcast(d: Value, shape: Shape): Value {
  if (d.rank === shape.length && d.shape.every((s, i) => s === shape[i])) return d;
  const axes = broadcastAxes(shape, d.shape);
  const g = d.graph;
  const reduced = axes.length === 0 ? d : g.node1('ReduceSum', [d, g.int64s(axes)], { keepdims: attr.int(1) }, spec(d.dtype, d.shape.map((s, i) => (axes.includes(i) ? 1 : s))));
  if (reduced.rank === shape.length) return reduced;
  const target = isStatic(shape) ? g.int64s(shape) : g.shapeOf(shape);
  return g.node1('Reshape', [reduced, target], {}, spec(d.dtype, shape));
}
