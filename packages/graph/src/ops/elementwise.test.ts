import { describe, expect, test } from 'vitest';
import type { Tensor } from '@diff2in1/tensor';
import { Rng } from '@diff2in1/tensor';
import { GraphBuilder } from '../ir/graph.js';
import { runGraph } from '../testing/run.js';
import { erfRef, f32, f64, randArray, relErr } from '../testing/reference.js';
import * as E from './elementwise.js';
import * as A from './activations.js';
import type { Value } from '../ir/graph.js';

const rng = new Rng(11);
const phi = (x: number): number => 0.5 * (1 + erfRef(x / Math.SQRT2));
const sig = (x: number): number => 1 / (1 + Math.exp(-x));

const unary: [string, (x: Value) => Value, (x: number) => number, [number, number]][] = [
  ['sqrt', E.sqrt, Math.sqrt, [0.1, 3]],
  ['exp', E.exp, Math.exp, [-2, 2]],
  ['log', E.log, Math.log, [0.1, 3]],
  ['abs', E.abs, Math.abs, [-2, 2]],
  ['neg', E.neg, (x) => -x, [-2, 2]],
  ['erf', E.erf, erfRef, [-3, 3]],
  ['acos', E.acos, Math.acos, [-0.99, 0.99]],
  ['sin', E.sin, Math.sin, [-3, 3]],
  ['cos', E.cos, Math.cos, [-3, 3]],
  ['reciprocal', E.reciprocal, (x) => 1 / x, [0.5, 2]],
  ['relu', E.relu, (x) => Math.max(0, x), [-2, 2]],
  ['sigmoid', E.sigmoid, sig, [-4, 4]],
  ['tanh', E.tanh, Math.tanh, [-3, 3]],
  ['softplus', E.softplus, (x) => Math.log1p(Math.exp(x)), [-4, 4]],
  ['leakyRelu', (x) => A.leakyRelu(x, 0.2), (x) => (x > 0 ? x : 0.2 * x), [-2, 2]],
  ['elu', (x) => A.elu(x, 0.7), (x) => (x > 0 ? x : 0.7 * Math.expm1(x)), [-2, 2]],
  ['gelu', (x) => A.gelu(x), (x) => x * phi(x), [-4, 4]],
  ['gelu tanh', (x) => A.gelu(x, 'tanh'), (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))), [-4, 4]],
  ['silu', A.silu, (x) => x * sig(x), [-4, 4]],
  ['quickGelu', A.quickGelu, (x) => x * sig(1.702 * x), [-4, 4]],
];

describe('unary ops match Math', () => {
  for (const [name, op, ref, [lo, hi]] of unary) {
    test(name, async () => {
      const g = new GraphBuilder(name);
      const x = g.input('x', 'float32', ['n', 7]);
      g.output('y', op(x));
      const data = randArray(rng, 21, lo, hi);
      const { y } = await runGraph(g, { x: f32([3, 7], data) });
      const xs = Float32Array.from(data);
      expect(y!.shape).toEqual([3, 7]);
      expect(relErr(y!.data as Float32Array, Array.from(xs, ref))).toBeLessThan(2e-6);
    });
  }
});

describe('binary ops broadcast like numpy', () => {
  const cases: [string, (a: Value, b: Value) => Value, (a: number, b: number) => number][] = [
    ['add', E.add, (a, b) => a + b], ['sub', E.sub, (a, b) => a - b], ['mul', E.mul, (a, b) => a * b],
    ['div', E.div, (a, b) => a / b], ['pow', E.pow, (a, b) => a ** b],
    ['maximum', E.maximum, Math.max], ['minimum', E.minimum, Math.min],
  ];
  for (const [name, op, ref] of cases) {
    test(name, async () => {
      const g = new GraphBuilder(name);
      const a = g.input('a', 'float64', [2, 1, 4]);
      const b = g.input('b', 'float64', [3, 1]);
      g.output('y', op(a, b));
      const ad = randArray(rng, 8, 0.5, 2);
      const bd = randArray(rng, 3, 0.5, 2);
      const { y } = await runGraph(g, { a: f64([2, 1, 4], ad), b: f64([3, 1], bd) });
      expect(y!.shape).toEqual([2, 3, 4]);
      const want: number[] = [];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) want.push(ref(ad[i * 4 + k]!, bd[j]!));
      expect(relErr(y!.data as Float64Array, want)).toBeLessThan(1e-15);
    });
  }

  test('numbers become constants of the other operand dtype', async () => {
    const g = new GraphBuilder('scalars');
    const x = g.input('x', 'float64', [3]);
    g.output('y', E.sub(1, E.mul(x, 0.5)));
    const { y } = await runGraph(g, { x: f64([3], [2, 4, 6]) });
    expect(Array.from(y!.data as Float64Array)).toEqual([0, -1, -2]);
  });

  test('mismatched shapes and dtypes are reported with the op and shapes', () => {
    const g = new GraphBuilder('bad');
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [4]);
    expect(() => E.add(a, b)).toThrow(/Add: shapes \[2, 3\] and \[4\] do not broadcast/);
    const c = g.input('c', 'float64', [3]);
    expect(() => E.mul(a, c)).toThrow(/Mul: inputs must share a dtype, got float32 \[2, 3\] and float64 \[3\]/);
    const s = g.input('s', 'float32', ['batch', 3]);
    expect(() => E.add(s, g.input('t', 'float32', [5, 3]))).toThrow(/do not broadcast/);
    expect(E.add(s, a.graph.input('u', 'float32', [1, 3])).shape).toEqual(['batch', 3]);
  });
});

describe('comparisons, where, clip, cast', () => {
  test('where / comparisons / clip / cast', async () => {
    const g = new GraphBuilder('misc');
    const x = g.input('x', 'float32', [6]);
    g.output('w', E.where(E.greater(x, 0), x, E.mul(x, -2)));
    g.output('c', E.clip(x, -0.5, 0.25));
    g.output('lo', E.clip(x, undefined, 0));
    g.output('i', E.cast(E.lessOrEqual(x, 0), 'int64'));
    g.output('d', E.cast(x, 'float64'));
    const xs = [-1, -0.25, 0, 0.1, 0.5, 2];
    const out = await runGraph(g, { x: f32([6], xs) });
    expect(Array.from(out.w!.data as Float32Array)).toEqual(xs.map((v) => Math.fround(v > 0 ? v : -2 * v)));
    expect(Array.from(out.c!.data as Float32Array)).toEqual(xs.map((v) => Math.fround(Math.min(0.25, Math.max(-0.5, v)))));
    expect(Array.from(out.lo!.data as Float32Array)).toEqual(xs.map((v) => Math.fround(Math.min(0, v))));
    expect(Array.from(out.i!.data as BigInt64Array)).toEqual(xs.map((v) => BigInt(v <= 0 ? 1 : 0)));
    expect((out.d as Tensor).dtype).toBe('float64');
  });

  test('softmax and logSoftmax along an axis', async () => {
    const g = new GraphBuilder('softmax');
    const x = g.input('x', 'float64', [2, 3, 5]);
    g.output('s', A.softmax(x, 1));
    g.output('l', A.logSoftmax(x));
    const d = randArray(rng, 30, -3, 3);
    const out = await runGraph(g, { x: f64([2, 3, 5], d) });
    // axis 1: transpose to rows of 3
    const t = new Float64Array(30);
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 5; c++) t[(a * 5 + c) * 3 + b] = d[(a * 3 + b) * 5 + c]!;
    const { softmaxRef } = await import('../testing/reference.js');
    const st = softmaxRef(t, 10, 3);
    const want = new Float64Array(30);
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 5; c++) want[(a * 3 + b) * 5 + c] = st[(a * 5 + c) * 3 + b]!;
    expect(relErr(out.s!.data as Float64Array, want)).toBeLessThan(1e-14);
    expect(relErr(out.l!.data as Float64Array, softmaxRef(d, 6, 5, true))).toBeLessThan(1e-14);
  });
});
