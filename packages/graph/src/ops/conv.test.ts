import { describe, expect, test } from 'vitest';
import { Rng } from '@diff2in1/tensor';
import { GraphBuilder } from '../ir/graph.js';
import { runGraph } from '../testing/run.js';
import { conv2dRef, convTranspose2dRef, f32, pool2dRef, randArray, relErr } from '../testing/reference.js';
import { avgPool, conv, convTranspose, maxPool } from './conv.js';

const rng = new Rng(21);

interface Case { n: number; cin: number; cout: number; h: number; w: number; k: [number, number]; stride: [number, number]; pads: [number, number, number, number]; dilation: [number, number]; groups: number; bias: boolean }
const base: Case = { n: 2, cin: 4, cout: 6, h: 9, w: 8, k: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1, bias: true };
const cases: [string, Partial<Case>][] = [
  ['3x3 pad 1', {}],
  ['stride 2', { stride: [2, 2] }],
  ['stride 3, asymmetric pads', { stride: [3, 2], pads: [0, 2, 1, 0] }],
  ['dilation 2', { dilation: [2, 2], pads: [2, 2, 2, 2] }],
  ['groups 2', { groups: 2 }],
  ['depthwise', { groups: 4, cout: 8 }],
  ['1x1 no bias', { k: [1, 1], pads: [0, 0, 0, 0], bias: false }],
  ['5x3 kernel', { k: [5, 3], pads: [2, 1, 2, 1] }],
];

describe('Conv matches a direct loop', () => {
  for (const [name, over] of cases) {
    test(name, async () => {
      const c = { ...base, ...over };
      const xs = [c.n, c.cin, c.h, c.w];
      const ws = [c.cout, c.cin / c.groups, ...c.k];
      const x = randArray(rng, xs.reduce((a, b) => a * b));
      const w = randArray(rng, ws.reduce((a, b) => a * b));
      const b = c.bias ? randArray(rng, c.cout) : null;
      const g = new GraphBuilder('conv');
      const xv = g.input('x', 'float32', ['batch', c.cin, c.h, c.w]);
      const y = conv(xv, g.constant(f32(ws, w)), b ? g.constant(f32([c.cout], b)) : null, { stride: c.stride, padding: c.pads, dilation: c.dilation, groups: c.groups });
      g.output('y', y);
      const want = conv2dRef(Float64Array.from(Float32Array.from(x)), xs, Float64Array.from(Float32Array.from(w)), ws, b && Float64Array.from(Float32Array.from(b)), { stride: c.stride, pads: c.pads, dilation: c.dilation, groups: c.groups });
      expect(y.shape).toEqual(['batch', ...want.shape.slice(1)]);
      const out = await runGraph(g, { x: f32(xs, x) });
      expect(out.y!.shape).toEqual(want.shape);
      expect(relErr(out.y!.data as Float32Array, want.data)).toBeLessThan(1e-5);
    });
  }

  test('shape errors name the op and shapes', () => {
    const g = new GraphBuilder('bad');
    const x = g.input('x', 'float32', [1, 3, 8, 8]);
    expect(() => conv(x, g.input('w', 'float32', [4, 2, 3, 3]))).toThrow(/Conv: input \[1, 3, 8, 8\] and weight \[4, 2, 3, 3\] do not fit with groups=1/);
    expect(() => conv(x, g.input('w2', 'float32', [4, 3, 9, 9]))).toThrow(/Conv: kernel \[9, 9\] does not fit input/);
  });
});

describe('ConvTranspose matches a scatter loop', () => {
  const tcases: [string, Partial<Case> & { outPad?: [number, number] }][] = [
    ['stride 2 k4 p1', { k: [4, 4], stride: [2, 2], cout: 3 }],
    ['stride 2 k3 p1 output_padding 1', { stride: [2, 2], outPad: [1, 1] }],
    ['stride 3 asymmetric pads', { stride: [3, 2], pads: [0, 1, 2, 0], outPad: [2, 1] }],
    ['groups 2 dilation 2', { groups: 2, dilation: [2, 2] }],
  ];
  for (const [name, over] of tcases) {
    test(name, async () => {
      const c = { ...base, ...over };
      const op: [number, number] = over.outPad ?? [0, 0];
      const xs = [c.n, c.cin, c.h, c.w];
      const ws = [c.cin, c.cout / c.groups, ...c.k];
      const x = Float64Array.from(Float32Array.from(randArray(rng, xs.reduce((a, b) => a * b))));
      const w = Float64Array.from(Float32Array.from(randArray(rng, ws.reduce((a, b) => a * b))));
      const b = Float64Array.from(Float32Array.from(randArray(rng, c.cout)));
      const g = new GraphBuilder('convT');
      const xv = g.input('x', 'float32', xs);
      g.output('y', convTranspose(xv, g.constant(f32(ws, w)), g.constant(f32([c.cout], b)), { stride: c.stride, padding: c.pads, dilation: c.dilation, groups: c.groups, outputPadding: op }));
      const want = convTranspose2dRef(x, xs, w, ws, b, { stride: c.stride, pads: c.pads, dilation: c.dilation, groups: c.groups, outputPadding: op });
      const out = await runGraph(g, { x: f32(xs, x) });
      expect(out.y!.shape).toEqual(want.shape);
      expect(relErr(out.y!.data as Float32Array, want.data)).toBeLessThan(1e-5);
    });
  }
});

describe('pooling', () => {
  test('max and average pool (count_include_pad true and false)', async () => {
    const xs = [2, 3, 7, 6];
    const x = Float64Array.from(Float32Array.from(randArray(rng, 252)));
    const g = new GraphBuilder('pool');
    const xv = g.input('x', 'float32', xs);
    g.output('m', maxPool(xv, 3, { stride: 2, padding: 1 }));
    g.output('a', avgPool(xv, [3, 2], { stride: [2, 1], padding: [1, 1] }));
    g.output('e', avgPool(xv, 3, { stride: 2, padding: 1, countIncludePad: false }));
    g.output('d', maxPool(xv, 2));
    const out = await runGraph(g, { x: f32(xs, x) });
    const m = pool2dRef('max', x, xs, [3, 3], [2, 2], [1, 1]);
    expect(out.m!.shape).toEqual(m.shape);
    expect(relErr(out.m!.data as Float32Array, m.data)).toBe(0);
    const a = pool2dRef('avg', x, xs, [3, 2], [2, 1], [1, 1]);
    expect(out.a!.shape).toEqual(a.shape);
    expect(relErr(out.a!.data as Float32Array, a.data)).toBeLessThan(1e-6);
    const e = pool2dRef('avg', x, xs, [3, 3], [2, 2], [1, 1], false);
    expect(relErr(out.e!.data as Float32Array, e.data)).toBeLessThan(1e-6);
    expect(relErr(out.d!.data as Float32Array, pool2dRef('max', x, xs, [2, 2], [2, 2], [0, 0]).data)).toBe(0);
  });
});
