// Elementwise ops with ONNX (numpy) broadcasting. A plain number operand becomes a scalar constant of the other
// operand's dtype, so `mul(x, 0.5)` works for float32 and float64 graphs alike.
import type { DType } from '@diff2in1/tensor';
import { ONNX_ELEM_TYPE, isFloat } from '../ir/dtype.js';
import { type GraphBuilder, type Value, attr, graphOf, spec } from '../ir/graph.js';
import { broadcastShapes, fmtShape, graphError } from '../ir/shape.js';

export type Operand = Value | number;

/** Turns numbers into constants of the Value operands' dtype and checks dtypes agree. */
export function lift(op: string, ...xs: readonly Operand[]): { g: GraphBuilder; vs: Value[] } {
  const values = xs.filter((x): x is Value => typeof x !== 'number');
  const g = graphOf(op, ...values);
  const dtype = values[0]!.dtype;
  for (const v of values) {
    if (v.dtype !== dtype) throw graphError(op, `inputs must share a dtype, got ${values.map((u) => `${u.dtype} ${fmtShape(u.shape)}`).join(' and ')}`);
  }
  return { g, vs: xs.map((x) => (typeof x === 'number' ? g.scalar(x, dtype) : x)) };
}

function requireFloat(op: string, v: Value): void {
  if (!isFloat(v.dtype)) throw graphError(op, `needs a floating-point input, got ${v}`);
}

function binary(op: string, a: Operand, b: Operand): Value {
  const { g, vs } = lift(op, a, b);
  const [x, y] = vs as [Value, Value];
  return g.node1(op, [x, y], {}, spec(x.dtype, broadcastShapes(op, x.shape, y.shape)));
}

export const add = (a: Operand, b: Operand): Value => binary('Add', a, b);
export const sub = (a: Operand, b: Operand): Value => binary('Sub', a, b);
export const mul = (a: Operand, b: Operand): Value => binary('Mul', a, b);
export const div = (a: Operand, b: Operand): Value => binary('Div', a, b);
/** a ** b (ONNX Pow; both operands of one dtype here). */
export const pow = (a: Operand, b: Operand): Value => binary('Pow', a, b);
/** Elementwise maximum / minimum of two tensors (ONNX Max / Min). */
export const maximum = (a: Operand, b: Operand): Value => binary('Max', a, b);
export const minimum = (a: Operand, b: Operand): Value => binary('Min', a, b);

function compare(op: string, a: Operand, b: Operand): Value {
  const { g, vs } = lift(op, a, b);
  const [x, y] = vs as [Value, Value];
  return g.node1(op, [x, y], {}, spec('bool', broadcastShapes(op, x.shape, y.shape)));
}

export const equal = (a: Operand, b: Operand): Value => compare('Equal', a, b);
export const less = (a: Operand, b: Operand): Value => compare('Less', a, b);
export const lessOrEqual = (a: Operand, b: Operand): Value => compare('LessOrEqual', a, b);
export const greater = (a: Operand, b: Operand): Value => compare('Greater', a, b);
export const greaterOrEqual = (a: Operand, b: Operand): Value => compare('GreaterOrEqual', a, b);

function logical(op: string, a: Value, b: Value): Value {
  if (a.dtype !== 'bool' || b.dtype !== 'bool') throw graphError(op, `needs bool inputs, got ${a} and ${b}`);
  return graphOf(op, a, b).node1(op, [a, b], {}, spec('bool', broadcastShapes(op, a.shape, b.shape)));
}

export const and = (a: Value, b: Value): Value => logical('And', a, b);
export const or = (a: Value, b: Value): Value => logical('Or', a, b);
export function not(a: Value): Value {
  if (a.dtype !== 'bool') throw graphError('Not', `needs a bool input, got ${a}`);
  return a.graph.node1('Not', [a], {}, spec('bool', a.shape));
}

function unary(op: string, x: Value, float = true): Value {
  if (float) requireFloat(op, x);
  return x.graph.node1(op, [x], {}, spec(x.dtype, x.shape));
}

export const sqrt = (x: Value): Value => unary('Sqrt', x);
export const exp = (x: Value): Value => unary('Exp', x);
export const log = (x: Value): Value => unary('Log', x);
export const abs = (x: Value): Value => unary('Abs', x, false);
export const neg = (x: Value): Value => unary('Neg', x, false);
export const sign = (x: Value): Value => unary('Sign', x, false);
export const erf = (x: Value): Value => unary('Erf', x);
export const acos = (x: Value): Value => unary('Acos', x);
export const sin = (x: Value): Value => unary('Sin', x);
export const cos = (x: Value): Value => unary('Cos', x);
export const reciprocal = (x: Value): Value => unary('Reciprocal', x);
export const floor = (x: Value): Value => unary('Floor', x);
export const relu = (x: Value): Value => unary('Relu', x);
export const sigmoid = (x: Value): Value => unary('Sigmoid', x);
export const tanh = (x: Value): Value => unary('Tanh', x);
/** log(1 + e^x) (ONNX Softplus; torch's default beta=1, threshold only affects rounding). */
export const softplus = (x: Value): Value => unary('Softplus', x);
export const identity = (x: Value): Value => unary('Identity', x, false);

/** x, with no gradient flowing back through it (torch `detach`). */
export function stopGradient(x: Value): Value {
  return x.graph.node1('Identity', [x], {}, spec(x.dtype, x.shape), { vjp: 'none' });
}

/** `cond ? a : b` elementwise, with broadcasting. */
export function where(cond: Value, a: Operand, b: Operand): Value {
  if (cond.dtype !== 'bool') throw graphError('Where', `condition must be bool, got ${cond}`);
  const { vs } = lift('Where', a, b);
  const [x, y] = vs as [Value, Value];
  const g = graphOf('Where', cond, x, y);
  return g.node1('Where', [cond, x, y], {}, spec(x.dtype, broadcastShapes('Where', cond.shape, x.shape, y.shape)));
}

/** Clamps x to [min, max]; either bound may be omitted (ONNX Clip with scalar bounds). */
export function clip(x: Value, min?: Operand, max?: Operand): Value {
  const g = x.graph;
  const bound = (b: Operand | undefined, what: string): Value | null => {
    if (b === undefined) return null;
    const v = typeof b === 'number' ? g.scalar(b, x.dtype) : b;
    if (v.rank !== 0 || v.dtype !== x.dtype) throw graphError('Clip', `${what} must be a ${x.dtype} scalar, got ${v}`);
    return v;
  };
  return g.node1('Clip', [x, bound(min, 'min'), bound(max, 'max')], {}, spec(x.dtype, x.shape));
}

/** Converts to another dtype (identity when already of that dtype). */
export function cast(x: Value, to: DType): Value {
  if (x.dtype === to) return x;
  return x.graph.node1('Cast', [x], { to: attr.int(ONNX_ELEM_TYPE[to]) }, spec(to, x.shape));
}
