import { describe, expect, test } from 'vitest';
import { Rng } from '@diff2in1/tensor';
import { GraphBuilder } from '../ir/graph.js';
import { runGraph } from '../testing/run.js';
import { f32, f64, matmulRef, normalizeRef, randArray, relErr, softmaxRef } from '../testing/reference.js';
import { batchNorm, groupNorm, layerNorm } from './norm.js';
import { causalMask, scaledDotProductAttention } from './attention.js';

const rng = new Rng(41);

describe('normalisation', () => {
  test('groupNorm: per (sample, group) statistics, per-channel affine', async () => {
    const [n, c, h, w, G] = [2, 6, 3, 4, 3];
    const x = randArray(rng, n * c * h * w, -2, 3);
    const wt = randArray(rng, c);
    const b = randArray(rng, c);
    const g = new GraphBuilder('gn');
    const xv = g.input('x', 'float64', ['n', c, h, w]);
    g.output('y', groupNorm(xv, G, g.constant(f64([c], wt)), g.constant(f64([c], b)), 1e-5));
    const out = await runGraph(g, { x: f64([n, c, h, w], x) });
    const norm = normalizeRef(x, (c / G) * h * w, 1e-5);
    const want = norm.map((v, i) => v * wt[Math.floor(i / (h * w)) % c]! + b[Math.floor(i / (h * w)) % c]!);
    expect(relErr(out.y!.data as Float64Array, want)).toBeLessThan(1e-13);
  });

  test('layerNorm over the last 1 and 2 axes', async () => {
    const x = randArray(rng, 2 * 3 * 8, -2, 2);
    const wt = randArray(rng, 8);
    const g = new GraphBuilder('ln');
    const xv = g.input('x', 'float32', [2, 3, 8]);
    g.output('a', layerNorm(xv, 1, g.constant(f32([8], wt)), null, 1e-5));
    g.output('b', layerNorm(xv, 2));
    const out = await runGraph(g, { x: f32([2, 3, 8], x) });
    const xf = Float64Array.from(Float32Array.from(x));
    const wf = Float64Array.from(Float32Array.from(wt));
    expect(relErr(out.a!.data as Float32Array, normalizeRef(xf, 8, 1e-5).map((v, i) => v * wf[i % 8]!))).toBeLessThan(1e-5);
    expect(relErr(out.b!.data as Float32Array, normalizeRef(xf, 24, 1e-5))).toBeLessThan(1e-5);
  });

  test('batchNorm train (batch stats, running stat update) and eval', async () => {
    const [n, c, h, w] = [3, 2, 2, 3];
    const x = randArray(rng, n * c * h * w, -1, 2);
    const rm = [0.1, -0.2];
    const rv = [1.5, 0.5];
    const g = new GraphBuilder('bn');
    const xv = g.input('x', 'float64', [n, c, h, w]);
    const rmv = g.constant(f64([c], rm));
    const rvv = g.constant(f64([c], rv));
    const train = batchNorm(xv, rmv, rvv, null, null, { training: true, momentum: 0.1 });
    g.output('y', train.y);
    g.output('rm', train.runningMean!);
    g.output('rv', train.runningVar!);
    g.output('e', batchNorm(xv, rmv, rvv, g.constant(f64([c], [2, 3])), g.constant(f64([c], [0.5, -1])), { training: false }).y);
    const out = await runGraph(g, { x: f64([n, c, h, w], x) });
    for (let ch = 0; ch < c; ch++) {
      const vals: number[] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < h * w; j++) vals.push(x[(i * c + ch) * h * w + j]!);
      const mean = vals.reduce((a, b) => a + b) / vals.length;
      const v = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length;
      expect((out.rm!.data as Float64Array)[ch]).toBeCloseTo(0.9 * rm[ch]! + 0.1 * mean, 14);
      expect((out.rv!.data as Float64Array)[ch]).toBeCloseTo(0.9 * rv[ch]! + (0.1 * v * vals.length) / (vals.length - 1), 14);
      const i0 = ch * h * w;
      expect((out.y!.data as Float64Array)[i0]).toBeCloseTo((x[i0]! - mean) / Math.sqrt(v + 1e-5), 12);
      expect((out.e!.data as Float64Array)[i0]).toBeCloseTo([2, 3][ch]! * (x[i0]! - rm[ch]!) / Math.sqrt(rv[ch]! + 1e-5) + [0.5, -1][ch]!, 10);
    }
  });
});

describe('attention', () => {
  test('scaled dot-product attention with a causal mask', async () => {
    const [b, l, e] = [2, 5, 4];
    const q = randArray(rng, b * l * e);
    const k = randArray(rng, b * l * e);
    const v = randArray(rng, b * l * e);
    const g = new GraphBuilder('sdpa');
    const [qv, kv, vv] = ['q', 'k', 'v'].map((nm) => g.input(nm, 'float64', ['b', l, e])) as [never, never, never];
    g.output('y', scaledDotProductAttention(qv, kv, vv, { causal: true }));
    const out = await runGraph(g, { q: f64([b, l, e], q), k: f64([b, l, e], k), v: f64([b, l, e], v) });
    const kt = new Float64Array(b * e * l);
    for (let t = 0; t < b; t++) for (let i = 0; i < l; i++) for (let j = 0; j < e; j++) kt[(t * e + j) * l + i] = k[(t * l + i) * e + j]!;
    const s = matmulRef(q, kt, b, l, e, l).map((x, idx) => (idx % l > Math.floor(idx / l) % l ? -Infinity : x / 2));
    const want = matmulRef(softmaxRef(s, b * l, l), v, b, l, l, e);
    expect(relErr(out.y!.data as Float64Array, want)).toBeLessThan(1e-14);
  });

  test('causal mask with a symbolic length equals the static one', async () => {
    const g = new GraphBuilder('mask');
    const x = g.input('x', 'float32', ['len', 2]);
    g.output('m', causalMask(g, x.shape[0]!));
    g.output('s', causalMask(g, 4));
    const out = await runGraph(g, { x: f32([4, 2], new Array(8).fill(0)) });
    expect(Array.from(out.m!.data as Float32Array)).toEqual(Array.from(out.s!.data as Float32Array));
    expect(Array.from(out.s!.data as Float32Array).slice(0, 4)).toEqual([0, -Infinity, -Infinity, -Infinity]);
  });
});
