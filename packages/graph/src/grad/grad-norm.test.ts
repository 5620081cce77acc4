import { describe, expect, test } from 'vitest';
import { Rng } from '@diff2in1/tensor';
import { gradCheck, type CheckInput } from '../testing/gradcheck.js';
import type { Value } from '../ir/graph.js';
import { batchNorm, groupNorm, layerNorm } from '../ops/norm.js';
import { scaledDotProductAttention } from '../ops/attention.js';
import { mul } from '../ops/elementwise.js';

const rng = new Rng(81);
const u = (shape: number[], lo = -1, hi = 1): CheckInput => ({ shape, lo, hi });
const sq = (x: Value): Value => mul(x, x);

describe('normalisation and attention gradients', () => {
  test('groupNorm (float64)', async () => {
    const r = await gradCheck({ dtype: 'float64', rng, inputs: [u([2, 6, 3, 2]), u([6]), u([6])], build: (x, w, b) => sq(groupNorm(x!, 3, w!, b!)) });
    expect(r.maxError).toBeLessThan(1e-6);
  });
  test('groupNorm, fused LayerNormalization path (float32)', async () => {
    const r = await gradCheck({ dtype: 'float32', rng, inputs: [u([2, 6, 3, 2]), u([6]), u([6])], build: (x, w, b) => sq(groupNorm(x!, 3, w!, b!)) });
    expect(r.maxError).toBeLessThan(1e-2);
  });
  for (const dtype of ['float64', 'float32'] as const) {
    test(`layerNorm, fused op rule (${dtype})`, async () => {
      const r = await gradCheck({ dtype, rng, inputs: [u([2, 3, 5]), u([5]), u([5])], build: (x, w, b) => sq(layerNorm(x!, 1, w!, b!)) });
      const s = await gradCheck({ dtype, rng, inputs: [u([2, 3, 4]), u([3, 4])], build: (x, w) => sq(layerNorm(x!, 2, w!)) });
      expect(Math.max(r.maxError, s.maxError)).toBeLessThan(dtype === 'float64' ? 1e-6 : 1e-2);
    });
  }
  test('batchNorm training (batch statistics, float64)', async () => {
    const s = await gradCheck({
      dtype: 'float64', rng, inputs: [u([3, 2, 2, 2]), u([2]), u([2]), { shape: [2], data: [0.1, 0.2], grad: false }, { shape: [2], data: [1, 2], grad: false }],
      build: (x, w, b, rm, rv) => sq(batchNorm(x!, rm!, rv!, w!, b!, { training: true }).y),
    });
    expect(s.maxError).toBeLessThan(1e-6);
  });
  test('batchNorm eval, fused op rule (float64)', async () => {
    const s = await gradCheck({
      dtype: 'float64', rng, inputs: [u([3, 2, 2, 2]), u([2]), u([2]), { shape: [2], data: [0.1, 0.2], grad: false }, { shape: [2], data: [1, 2], grad: false }],
      build: (x, w, b, rm, rv) => sq(batchNorm(x!, rm!, rv!, w!, b!, { training: false }).y),
    });
    expect(s.maxError).toBeLessThan(1e-6);
  });
  test('scaled dot-product attention with causal mask (float64)', async () => {
    const r = await gradCheck({ dtype: 'float64', rng, inputs: [u([2, 4, 3]), u([2, 4, 3]), u([2, 4, 3])], build: (q, k, v) => scaledDotProductAttention(q!, k!, v!, { causal: true }) });
    expect(r.maxError).toBeLessThan(1e-6);
  });
});
