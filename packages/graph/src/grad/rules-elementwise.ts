// Gradient rules of elementwise ops and activations (torch autograd's formulas, derivatives.yaml).
import type { Node, Value } from '../ir/graph.js';
import * as E from '../ops/elementwise.js';
import { reduceSum } from '../ops/reduce.js';
import { registerVjp, unbroadcast } from './autodiff.js';

const inp = (n: Node, i: number): Value => n.inputs[i]!;
const out = (n: Node): Value => n.outputs[0]!;
const fattr = (n: Node, name: string, dflt: number): number => {
  const a = n.attrs[name];
  return a && (a.kind === 'float' || a.kind === 'int') ? a.value : dflt;
};

function unary(op: string, f: (gy: Value, x: Value, y: Value, n: Node) => Value): void {
  registerVjp(op, (n, [gy]) => [f(gy!, inp(n, 0), out(n), n)]);
}

registerVjp('Add', (n, [gy]) => [unbroadcast(gy!, inp(n, 0).shape), unbroadcast(gy!, inp(n, 1).shape)]);
registerVjp('Sub', (n, [gy], want) => [unbroadcast(gy!, inp(n, 0).shape), want[1] ? unbroadcast(E.neg(gy!), inp(n, 1).shape) : undefined]);
registerVjp('Mul', (n, [gy], want) => [
  want[0] ? unbroadcast(E.mul(gy!, inp(n, 1)), inp(n, 0).shape) : undefined,
  want[1] ? unbroadcast(E.mul(gy!, inp(n, 0)), inp(n, 1).shape) : undefined,
]);
registerVjp('Div', (n, [gy], want) => {
  const b = inp(n, 1);
  const ga = E.div(gy!, b);
  return [
    want[0] ? unbroadcast(ga, inp(n, 0).shape) : undefined,
    want[1] ? unbroadcast(E.neg(E.mul(ga, out(n))), b.shape) : undefined, // −g·a/b² = −(g/b)·y
  ];
});
registerVjp('Pow', (n, [gy], want) => {
  const [a, b] = [inp(n, 0), inp(n, 1)];
  return [
    want[0] ? unbroadcast(E.mul(gy!, E.mul(b, E.pow(a, E.sub(b, 1)))), a.shape) : undefined,
    want[1] ? unbroadcast(E.mul(gy!, E.mul(out(n), E.log(a))), b.shape) : undefined,
  ];
});
registerVjp('Sum', (n, [gy]) => n.inputs.map((v) => unbroadcast(gy!, v!.shape)));

// torch.maximum/minimum: the gradient goes to the selected input, split equally on ties.
function minMax(op: 'Max' | 'Min'): void {
  registerVjp(op, (n, [gy]) => {
    const [a, b] = [inp(n, 0), inp(n, 1)];
    if (n.inputs.length !== 2) throw new Error(`${op} gradient supports two inputs`);
    const half = E.mul(gy!, 0.5);
    const aWins = op === 'Max' ? E.greater(a, b) : E.less(a, b);
    const tie = E.equal(a, b);
    const ga = E.where(tie, half, E.where(aWins, gy!, 0));
    const gb = E.where(tie, half, E.where(aWins, 0, gy!));
    return [unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)];
  });
}
minMax('Max');
minMax('Min');

unary('Neg', (gy) => E.neg(gy));
unary('Identity', (gy) => gy);
unary('Abs', (gy, x) => E.mul(gy, E.sign(x)));
unary('Sqrt', (gy, _x, y) => E.div(E.mul(gy, 0.5), y));
unary('Exp', (gy, _x, y) => E.mul(gy, y));
unary('Log', (gy, x) => E.div(gy, x));
unary('Reciprocal', (gy, _x, y) => E.neg(E.mul(gy, E.mul(y, y))));
unary('Erf', (gy, x) => E.mul(gy, E.mul(E.exp(E.neg(E.mul(x, x))), 2 / Math.sqrt(Math.PI))));
unary('Acos', (gy, x) => E.neg(E.div(gy, E.sqrt(E.sub(1, E.mul(x, x))))));
unary('Sin', (gy, x) => E.mul(gy, E.cos(x)));
unary('Cos', (gy, x) => E.neg(E.mul(gy, E.sin(x))));
unary('Relu', (gy, _x, y) => E.where(E.greater(y, 0), gy, 0));
unary('Sigmoid', (gy, _x, y) => E.mul(gy, E.mul(y, E.sub(1, y))));
unary('Tanh', (gy, _x, y) => E.mul(gy, E.sub(1, E.mul(y, y))));
unary('Softplus', (gy, x) => E.mul(gy, E.sigmoid(x)));
unary('LeakyRelu', (gy, x, _y, n) => E.where(E.greater(x, 0), gy, E.mul(gy, fattr(n, 'alpha', 0.01))));
unary('Elu', (gy, x, y, n) => E.where(E.greater(x, 0), gy, E.mul(gy, E.add(y, fattr(n, 'alpha', 1)))));
unary('Gelu', (gy, x, _y, n) => {
  const a = n.attrs.approximate;
  if (a && a.kind === 'string' && a.value === 'tanh') {
    // d/dx ½x(1+tanh u), u = √(2/π)(x + 0.044715x³)
    const c = Math.sqrt(2 / Math.PI);
    const x2 = E.mul(x, x);
    const t = E.tanh(E.mul(E.mul(x, E.add(E.mul(x2, 0.044715), 1)), c));
    const du = E.mul(E.add(E.mul(x2, 3 * 0.044715), 1), c);
    const d = E.add(E.mul(E.add(t, 1), 0.5), E.mul(E.mul(E.mul(x, 0.5), E.sub(1, E.mul(t, t))), du));
    return E.mul(gy, d);
  }
  // d/dx x·Φ(x) = Φ(x) + x·φ(x)
  const cdf = E.mul(E.add(E.erf(E.mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = E.mul(E.exp(E.mul(E.mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return E.mul(gy, E.add(cdf, E.mul(x, pdf)));
});
unary('Cast', (gy, x) => E.cast(gy, x.dtype));

registerVjp('Where', (n, [gy], want) => [
  undefined,
  want[1] ? unbroadcast(E.where(inp(n, 0), gy!, 0), inp(n, 1).shape) : undefined,
  want[2] ? unbroadcast(E.where(inp(n, 0), 0, gy!), inp(n, 2).shape) : undefined,
]);

// torch.clamp: gradient passes where min ≤ x ≤ max; the bounds get the rest (torch clamp with tensor bounds).
registerVjp('Clip', (n, [gy], want) => {
  const [x, lo, hi] = [inp(n, 0), n.inputs[1], n.inputs[2]];
  const conds = [lo ? E.greaterOrEqual(x, lo) : undefined, hi ? E.lessOrEqual(x, hi) : undefined].filter((c): c is Value => !!c);
  const pass = conds.length === 2 ? E.and(conds[0]!, conds[1]!) : conds[0];
  const bound = (b: Value | null | undefined, cmp: (a: Value, c: Value) => Value): Value | undefined => (b ? reduceSum(E.where(cmp(x, b), gy!, 0)) : undefined);
  return [
    pass ? E.where(pass, gy!, 0) : gy,
    want[1] ? bound(lo, E.less) : undefined,
    want[2] ? bound(hi, E.greater) : undefined,
  ];
});

for (const op of ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Not', 'Sign', 'Floor', 'Shape', 'ConstantOfShape']) {
  registerVjp(op, 'none');
}
