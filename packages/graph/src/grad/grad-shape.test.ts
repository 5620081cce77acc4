import { describe, expect, test } from 'vitest';
import { Rng } from '@diff2in1/tensor';
import { gradCheck, type CheckInput } from '../testing/gradcheck.js';
import type { Value } from '../ir/graph.js';
import * as S from '../ops/shape.js';
import * as R from '../ops/reduce.js';
import * as I from '../ops/indexing.js';
import * as L from '../ops/linalg.js';
import { mul } from '../ops/elementwise.js';

const rng = new Rng(61);
type Case = [string, CheckInput[], (...x: Value[]) => Value];
const u = (shape: number[], lo = -1, hi = 1): CheckInput => ({ shape, lo, hi });
const idx = (shape: number[], data: number[]): CheckInput => ({ shape, data, dtype: 'int64', grad: false });
const sq = (x: Value): Value => mul(x, x); // makes the loss nonlinear in x so gradients depend on x

const cases: Case[] = [
  ['ReduceSum', [u([2, 3, 4])], (a) => R.reduceSum(sq(a!), [0, 2])],
  ['ReduceSum keepdims', [u([2, 3, 4])], (a) => R.reduceSum(sq(a!), [1], true)],
  ['ReduceMean', [u([2, 3, 4])], (a) => R.reduceMean(sq(a!), [-1])],
  ['ReduceMax', [u([3, 5])], (a) => R.reduceMax(a!, 1)],
  ['ReduceMin all', [u([3, 5])], (a) => R.reduceMin(a!)],
  ['variance (unbiased)', [u([3, 5])], (a) => R.variance(a!, [1], false, true)],
  ['maskedMean', [u([2, 4]), { shape: [2, 4], data: [1, 0, 1, 1, 0, 0, 1, 0], grad: false }], (a, m) => R.maskedMean(sq(a!), m!)],
  ['Transpose', [u([2, 3, 4])], (a) => S.transpose(sq(a!), [2, 0, 1])],
  ['Reshape', [u([2, 3, 4])], (a) => S.reshape(sq(a!), [4, -1])],
  ['Flatten', [u([2, 3, 4])], (a) => S.flatten(sq(a!), 2)],
  ['Squeeze/Unsqueeze', [u([2, 1, 4])], (a) => S.unsqueeze(S.squeeze(sq(a!), 1), 0)],
  ['Expand', [u([3, 1])], (a) => S.expand(sq(a!), [2, 3, 4])],
  ['Concat', [u([2, 3]), u([2, 2])], (a, b) => S.concat([sq(a!), b!, a!], 1)],
  ['Split (one piece unused)', [u([5, 2])], (a) => S.split(sq(a!), [2, 1, 2], 0)[2]!],
  ['Slice', [u([4, 6])], (a) => S.slice(sq(a!), { starts: [1, -4], ends: [3, 100], axes: [0, 1] })],
  ['Slice strided', [u([7, 6])], (a) => S.slice(sq(a!), { starts: [1, 0], ends: [7, 5], axes: [0, 1], steps: [3, 2] })],
  ['Pad constant', [u([2, 3])], (a) => S.pad(sq(a!), [1, 0, 0, 2], 'constant', 0.5)],
  ['Gather axis 0 (repeated indices)', [u([4, 3]), idx([2, 2], [3, 1, 3, 0])], (a, i) => I.gather(sq(a!), i!, 0)],
  ['Gather axis 1', [u([2, 4, 3]), idx([3], [2, 0, 2])], (a, i) => I.gather(sq(a!), i!, 1)],
  ['GatherElements', [u([3, 4]), idx([2, 4], [0, 2, 1, 0, 2, 2, 0, 1])], (a, i) => I.gatherElements(sq(a!), i!, 0)],
  ['ScatterElements', [u([3, 4]), idx([1, 4], [2, 0, 1, 2]), u([1, 4])], (a, i, b) => I.scatterElements(sq(a!), i!, sq(b!), 0)],
  ['ScatterND', [u([4, 3]), idx([2, 1], [3, 1]), u([2, 3])], (a, i, b) => I.scatterND(sq(a!), i!, sq(b!))],
  ['MatMul batched + broadcast', [u([2, 3, 4]), u([4, 5])], (a, b) => L.matmul(a!, b!)],
  ['MatMul 4-D broadcast', [u([2, 1, 3, 4]), u([1, 3, 4, 2])], (a, b) => L.matmul(a!, b!)],
  ['MatMul vector · matrix', [u([4]), u([4, 3])], (a, b) => L.matmul(a!, b!)],
  ['MatMul matrix · vector', [u([3, 4]), u([4])], (a, b) => L.matmul(a!, b!)],
  ['Gemm', [u([3, 4]), u([4, 2]), u([2])], (a, b, c) => L.gemm(a!, b!, c!, { alpha: 0.7, beta: 1.3 })],
  ['Gemm transA transB', [u([4, 3]), u([2, 4]), u([3, 1])], (a, b, c) => L.gemm(a!, b!, c!, { transA: true, transB: true })],
  ['Gemm transB (linear)', [u([3, 4]), u([5, 4]), u([5])], (a, b, c) => L.linear(a!, b!, c!)],
  ['linear 3-D', [u([2, 3, 4]), u([5, 4]), u([5])], (a, b, c) => L.linear(a!, b!, c!)],
];

describe('layout, reduction, indexing and matmul gradients match finite differences (float64)', () => {
  for (const [name, inputs, build] of cases) {
    test(name, async () => {
      const r = await gradCheck({ dtype: 'float64', inputs, build, rng });
      expect(r.maxError).toBeLessThan(1e-6);
    });
  }
});
