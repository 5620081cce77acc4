import { describe, expect, test } from 'vitest';
import { Rng } from '@diff2in1/tensor';
import { gradCheck, type CheckInput } from '../testing/gradcheck.js';
import type { Value } from '../ir/graph.js';
import * as E from '../ops/elementwise.js';
import * as A from '../ops/activations.js';

const rng = new Rng(51);
type Case = [string, 'float32' | 'float64', CheckInput[], (...x: Value[]) => Value];
const u = (shape: number[], lo = -1, hi = 1): CheckInput => ({ shape, lo, hi });
// Points away from kinks: |x| ≥ 0.2 for relu-like ops.
const awayFromZero = (shape: number[]): CheckInput => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1) * (0.2 + rng.uniform())) };
};

const cases: Case[] = [
  ['Add (broadcast)', 'float64', [u([2, 3, 4]), u([3, 1])], (a, b) => E.add(a!, b!)],
  ['Sub (broadcast)', 'float64', [u([3, 1]), u([2, 1, 4])], (a, b) => E.sub(a!, b!)],
  ['Mul (broadcast)', 'float64', [u([2, 3, 4]), u([4])], (a, b) => E.mul(a!, b!)],
  ['Div (broadcast)', 'float64', [u([2, 3]), u([1, 3], 0.5, 2)], (a, b) => E.div(a!, b!)],
  ['Pow', 'float64', [u([2, 3], 0.5, 2), u([2, 3], -1, 2)], (a, b) => E.pow(a!, b!)],
  ['Max', 'float64', [u([2, 3]), u([3])], (a, b) => E.maximum(a!, b!)],
  ['Min', 'float64', [u([2, 3]), u([2, 1])], (a, b) => E.minimum(a!, b!)],
  ['Neg', 'float64', [u([5])], (a) => E.neg(a!)],
  ['Identity', 'float64', [u([5])], (a) => E.mul(E.identity(a!), a!)],
  ['Sum (variadic, broadcast)', 'float64', [u([2, 3]), u([3]), u([2, 1])], (a, b, c) => E.mul(a!.graph.node1('Sum', [a!, b!, c!], {}, { dtype: 'float64', shape: [2, 3] }), a!)],
  ['Abs', 'float64', [awayFromZero([6])], (a) => E.abs(a!)],
  ['Sqrt', 'float64', [u([5], 0.5, 2)], (a) => E.sqrt(a!)],
  ['Exp', 'float64', [u([5])], (a) => E.exp(a!)],
  ['Log', 'float64', [u([5], 0.5, 2)], (a) => E.log(a!)],
  ['Reciprocal', 'float64', [u([5], 0.5, 2)], (a) => E.reciprocal(a!)],
  ['Sin', 'float64', [u([5], -3, 3)], (a) => E.sin(a!)],
  ['Cos', 'float64', [u([5], -3, 3)], (a) => E.cos(a!)],
  ['Relu', 'float64', [awayFromZero([8])], (a) => E.relu(a!)],
  ['Sigmoid', 'float64', [u([6], -3, 3)], (a) => E.sigmoid(a!)],
  ['Tanh', 'float64', [u([6], -2, 2)], (a) => E.tanh(a!)],
  ['SiLU', 'float64', [u([8], -3, 3)], (a) => A.silu(a!)],
  ['QuickGELU', 'float64', [u([8], -3, 3)], (a) => A.quickGelu(a!)],
  ['Where', 'float64', [u([2, 3]), u([2, 3]), u([3])], (c, a, b) => E.where(E.greater(c!, 0), a!, b!)],
  ['Clip', 'float64', [{ shape: [6], data: [-2, -0.7, -0.3, 0.2, 0.6, 1.5] }], (a) => E.clip(a!, -0.5, 0.5)],
  ['Cast f32→f64→f32', 'float32', [u([4])], (a) => E.cast(E.mul(E.cast(a!, 'float64'), E.cast(a!, 'float64')), 'float32')],
  ['Softmax', 'float64', [u([3, 5], -2, 2)], (a) => A.softmax(a!, 0)],
  ['LogSoftmax', 'float64', [u([3, 5], -2, 2)], (a) => A.logSoftmax(a!, -1)],
  // ORT's CPU EP has no float64 kernels for these: float32 at a larger step.
  ['Erf', 'float32', [u([6], -2, 2)], (a) => E.erf(a!)],
  ['Acos', 'float32', [u([6], -0.8, 0.8)], (a) => E.acos(a!)],
  ['LeakyRelu', 'float32', [awayFromZero([8])], (a) => A.leakyRelu(a!, 0.1)],
  ['Elu', 'float32', [awayFromZero([8])], (a) => A.elu(a!, 0.8)],
  ['Softplus', 'float32', [u([6], -3, 3)], (a) => E.softplus(a!)],
  ['Gelu', 'float32', [u([8], -3, 3)], (a) => A.gelu(a!)],
  ['Gelu tanh', 'float32', [u([8], -3, 3)], (a) => A.gelu(a!, 'tanh')],
  ['Mul float32', 'float32', [u([2, 3]), u([3])], (a, b) => E.mul(a!, b!)],
  ['Softmax float32', 'float32', [u([4, 6], -2, 2)], (a) => A.softmax(a!)],
];

describe('elementwise gradients match central finite differences', () => {
  for (const [name, dtype, inputs, build] of cases) {
    test(`${name} (${dtype})`, async () => {
      const r = await gradCheck({ dtype, inputs, build, rng });
      expect(r.maxError).toBeLessThan(dtype === 'float64' ? 1e-6 : 1e-2);
    });
  }

  test('stopGradient blocks, multiple uses accumulate', async () => {
    // f(a) = a·a + stop(a)·3 → df/da = 2a
    const r = await gradCheck({ dtype: 'float64', inputs: [u([4])], rng, build: (a) => E.add(E.mul(a!, a!), E.mul(E.stopGradient(a!), 3)) });
    expect(r.maxError).toBeGreaterThan(0.1); // FD sees the stopped branch, the analytic gradient does not
    const s = await gradCheck({ dtype: 'float64', inputs: [u([4])], rng, build: (a) => E.add(E.mul(a!, a!), E.mul(E.exp(a!), a!)) });
    expect(s.maxError).toBeLessThan(1e-6);
  });
});
