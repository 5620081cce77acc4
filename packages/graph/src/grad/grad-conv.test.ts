import { describe, expect, test } from 'vitest';
import { Rng } from '@diff2in1/tensor';
import { gradCheck, type CheckInput } from '../testing/gradcheck.js';
import type { Value } from '../ir/graph.js';
import { avgPool, conv, convTranspose, maxPool, type ConvOptions } from '../ops/conv.js';
import { convIm2col } from '../ops/im2col.js';
import { interpolate } from '../ops/resize.js';
import { mul } from '../ops/elementwise.js';

const rng = new Rng(71);
const u = (shape: number[], lo = -1, hi = 1): CheckInput => ({ shape, lo, hi });
const sq = (x: Value): Value => mul(x, x);

const convCases: [string, number[], number[], ConvOptions][] = [
  ['3x3 pad 1', [2, 3, 6, 5], [4, 3, 3, 3], { padding: 1 }],
  ['stride 2', [2, 3, 7, 6], [4, 3, 3, 3], { padding: 1, stride: 2 }],
  ['stride 3 asymmetric pads', [1, 2, 8, 7], [3, 2, 3, 2], { padding: [0, 1, 2, 0], stride: [3, 2] }],
  ['dilation 2', [1, 2, 7, 7], [2, 2, 3, 3], { padding: 2, dilation: 2 }],
  ['groups 2', [2, 4, 5, 5], [6, 2, 3, 3], { padding: 1, groups: 2 }],
  ['depthwise stride 2', [1, 3, 6, 6], [3, 1, 3, 3], { padding: 1, groups: 3, stride: 2 }],
  ['1x1', [2, 3, 4, 4], [5, 3, 1, 1], {}],
];

describe('Conv gradients (float32 Conv; float64 through im2col)', () => {
  for (const [name, xs, ws, o] of convCases) {
    test(`Conv ${name} (float32)`, async () => {
      const r = await gradCheck({ dtype: 'float32', rng, inputs: [u(xs), u(ws), u([ws[0]!])], build: (x, w, b) => sq(conv(x!, w!, b!, o)) });
      expect(r.maxError).toBeLessThan(1e-2);
    });
    test(`convIm2col ${name} (float64)`, async () => {
      const r = await gradCheck({ dtype: 'float64', rng, inputs: [u(xs), u(ws), u([ws[0]!])], build: (x, w, b) => sq(convIm2col(x!, w!, b!, o)) });
      expect(r.maxError).toBeLessThan(1e-6);
    });
  }
});

describe('ConvTranspose gradients (float32)', () => {
  const cases: [string, number[], number[], ConvOptions & { outputPadding?: number[] }][] = [
    ['k4 s2 p1', [2, 3, 4, 4], [3, 2, 4, 4], { stride: 2, padding: 1 }],
    ['k3 s2 p1 output_padding 1', [1, 3, 3, 4], [3, 4, 3, 3], { stride: 2, padding: 1, outputPadding: [1, 1] }],
    ['s3 asymmetric pads', [1, 2, 3, 3], [2, 3, 3, 2], { stride: [3, 2], padding: [0, 1, 2, 0], outputPadding: [2, 1] }],
    ['groups 2 dilation 2', [2, 4, 3, 3], [4, 1, 3, 3], { groups: 2, dilation: 2, padding: 1 }],
  ];
  for (const [name, xs, ws, o] of cases) {
    test(name, async () => {
      const cout = ws[1]! * (o.groups ?? 1);
      const r = await gradCheck({ dtype: 'float32', rng, inputs: [u(xs), u(ws), u([cout])], build: (x, w, b) => sq(convTranspose(x!, w!, b!, o)) });
      expect(r.maxError).toBeLessThan(1e-2);
    });
  }
});

describe('pooling and resize gradients', () => {
  test('MaxPool k3 s2 p1 (float32, distinct values)', async () => {
    const n = 2 * 2 * 7 * 6;
    const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    const r = await gradCheck({ dtype: 'float32', rng, h: 1e-3, inputs: [{ shape: [2, 2, 7, 6], data: perm.map((p) => p / n) }], build: (x) => maxPool(x!, 3, { stride: 2, padding: 1 }) });
    expect(r.maxError).toBeLessThan(1e-2);
  });
  test('AveragePool count_include_pad true / false (float32)', async () => {
    const a = await gradCheck({ dtype: 'float32', rng, inputs: [u([1, 2, 7, 6])], build: (x) => sq(avgPool(x!, [3, 2], { stride: [2, 1], padding: 1 })) });
    const b = await gradCheck({ dtype: 'float32', rng, inputs: [u([1, 2, 7, 6])], build: (x) => sq(avgPool(x!, 3, { stride: 2, padding: 1, countIncludePad: false })) });
    expect(Math.max(a.maxError, b.maxError)).toBeLessThan(1e-2);
  });
  test('nearest 2x (ONNX Resize, float32)', async () => {
    const r = await gradCheck({ dtype: 'float32', rng, inputs: [u([1, 2, 3, 4])], build: (x) => sq(interpolate(x!, { scaleFactor: 2 })) });
    expect(r.maxError).toBeLessThan(1e-2);
  });
  test('bilinear float32 (ONNX Resize forward, MatMul adjoint)', async () => {
    for (const o of [{ scaleFactor: 2, mode: 'bilinear' as const }, { size: [3, 7] as const, mode: 'bilinear' as const, alignCorners: true }]) {
      const r = await gradCheck({ dtype: 'float32', rng, inputs: [u([1, 2, 4, 5])], build: (x) => sq(interpolate(x!, o)) });
      expect(r.maxError).toBeLessThan(1e-2);
    }
  });
  test('nearest non-integer and bilinear up/down, both align modes (float64)', async () => {
    for (const o of [{ size: [5, 7] as const }, { size: [7, 9] as const, mode: 'bilinear' as const }, { size: [3, 2] as const, mode: 'bilinear' as const, alignCorners: true }]) {
      const r = await gradCheck({ dtype: 'float64', rng, inputs: [u([2, 2, 4, 5])], build: (x) => sq(interpolate(x!, o)) });
      expect(r.maxError).toBeLessThan(1e-6);
    }
  });
});
