import { describe, expect, test } from 'vitest';
import { GraphBuilder } from '../ir/graph.js';
import { runGraph } from '../testing/run.js';
import { f32, i64 } from '../testing/reference.js';
import { chunk, concat, expand, flatten, pad, reshape, slice, split, squeeze, torchPads, transpose, unsqueeze } from './shape.js';
import { gather, gatherElements, scatterElements, scatterND } from './indexing.js';
import { reduceMax, reduceMean, reduceSum, maskedMean } from './reduce.js';
import { matmul, gemm, linear } from './linalg.js';

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const arr = (t: { data: unknown }): number[] => Array.from(t.data as Float32Array);

describe('layout ops', () => {
  test('reshape infers -1 and keeps symbols', async () => {
    const g = new GraphBuilder('reshape');
    const x = g.input('x', 'float32', ['batch', 4, 6]);
    const a = reshape(x, ['batch', 2, -1]);
    expect(a.shape).toEqual(['batch', 2, 12]);
    const b = reshape(x, [-1, 24]);
    expect(b.shape).toEqual(['batch', 24]);
    const c = reshape(x, [4, 'batch', 6]);
    expect(c.shape).toEqual([4, 'batch', 6]);
    g.output('a', a);
    g.output('b', b);
    g.output('c', c);
    expect(() => reshape(x, [5, -1])).toThrow(/Reshape: cannot reshape x: float32 \[batch, 4, 6\] to \[5, -1\]/);
    const out = await runGraph(g, { x: f32([4, 4, 6], iota(96)) });
    expect(out.a!.shape).toEqual([4, 2, 12]);
    expect(out.b!.shape).toEqual([4, 24]);
    expect(out.c!.shape).toEqual([4, 4, 6]);
    expect(arr(out.c!)).toEqual(iota(96));
  });

  test('transpose, flatten, unsqueeze, squeeze', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [2, 3, 4]);
    g.output('t', transpose(x, [2, 0, 1]));
    g.output('f', flatten(x, 2));
    g.output('u', squeeze(unsqueeze(x, [0, 3]), [0]));
    const out = await runGraph(g, { x: f32([2, 3, 4], iota(24)) });
    expect(out.t!.shape).toEqual([4, 2, 3]);
    expect(arr(out.t!).slice(0, 6)).toEqual([0, 4, 8, 12, 16, 20]);
    expect(out.f!.shape).toEqual([6, 4]);
    expect(out.u!.shape).toEqual([2, 3, 1, 4]);
  });

  test('concat, split, chunk, slice, expand, pad', async () => {
    const g = new GraphBuilder('l');
    const x = g.input('x', 'float32', [2, 3]);
    g.output('c', concat([x, x], 1));
    const [s0, s1] = split(x, [1, 2], 1);
    g.output('s1', s1!);
    g.output('s0', chunk(x, 2, 0)[1]!);
    void s0;
    g.output('sl', slice(x, { starts: [-1, 0], ends: [0, 100], axes: [1, 0], steps: [-1, 1] }));
    g.output('e', expand(unsqueeze(x, 0), [2, 2, 3]));
    g.output('p', pad(x, torchPads(2, [1, 0, 0, 1]), 'constant', 9));
    g.output('r', pad(x, [0, 1, 0, 1], 'reflect'));
    const out = await runGraph(g, { x: f32([2, 3], [0, 1, 2, 3, 4, 5]) });
    expect(arr(out.c!)).toEqual([0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
    expect(arr(out.s1!)).toEqual([1, 2, 4, 5]);
    expect(arr(out.s0!)).toEqual([3, 4, 5]);
    expect(out.sl!.shape).toEqual([2, 2]);
    expect(arr(out.sl!)).toEqual([2, 1, 5, 4]);
    expect(out.e!.shape).toEqual([2, 2, 3]);
    expect(arr(out.p!)).toEqual([9, 0, 1, 2, 9, 3, 4, 5, 9, 9, 9, 9]);
    expect(arr(out.r!)).toEqual([1, 0, 1, 2, 1, 4, 3, 4, 5, 4]);
  });
});

describe('indexing', () => {
  test('gather, gatherElements, scatterElements (add), scatterND', async () => {
    const g = new GraphBuilder('idx');
    const x = g.input('x', 'float32', [3, 2]);
    const i = g.input('i', 'int64', [2, 2]);
    g.output('g', gather(x, i, 0));
    g.output('ge', gatherElements(x, g.constant(i64([2, 2], [2, 0, 1, 1])), 0));
    g.output('se', scatterElements(x, g.constant(i64([1, 2], [0, 0])), g.constant(f32([1, 2], [10, 20])), 0, 'add'));
    g.output('sn', scatterND(x, g.constant(i64([2, 1], [2, 2])), g.constant(f32([2, 2], [1, 1, 2, 2])), 'add'));
    const out = await runGraph(g, { x: f32([3, 2], [0, 1, 2, 3, 4, 5]), i: i64([2, 2], [2, 0, 1, 1]) });
    expect(out.g!.shape).toEqual([2, 2, 2]);
    expect(arr(out.g!)).toEqual([4, 5, 0, 1, 2, 3, 2, 3]);
    expect(arr(out.ge!)).toEqual([4, 1, 2, 3]);
    expect(arr(out.se!)).toEqual([10, 21, 2, 3, 4, 5]);
    expect(arr(out.sn!)).toEqual([0, 1, 2, 3, 7, 8]);
  });
});

describe('reductions and products', () => {
  test('reduce ops, masked mean', async () => {
    const g = new GraphBuilder('r');
    const x = g.input('x', 'float32', [2, 3]);
    g.output('s', reduceSum(x, 1));
    g.output('m', reduceMean(x, [0], true));
    g.output('mx', reduceMax(x));
    g.output('mm', maskedMean(x, g.constant(f32([2, 3], [1, 0, 1, 0, 0, 0]))));
    g.output('m0', maskedMean(x, g.constant(f32([2, 3], [0, 0, 0, 0, 0, 0]))));
    const out = await runGraph(g, { x: f32([2, 3], [0, 1, 2, 3, 4, 5]) });
    expect(arr(out.s!)).toEqual([3, 12]);
    expect(out.m!.shape).toEqual([1, 3]);
    expect(arr(out.m!)).toEqual([1.5, 2.5, 3.5]);
    expect(arr(out.mx!)).toEqual([5]);
    expect(arr(out.mm!)).toEqual([1]);
    expect(arr(out.m0!)).toEqual([0]);
  });

  test('matmul broadcasting, gemm, linear', async () => {
    const g = new GraphBuilder('mm');
    const a = g.input('a', 'float32', ['b', 2, 3]);
    const w = g.constant(f32([4, 3], iota(12)));
    const bias = g.constant(f32([4], [1, 2, 3, 4]));
    g.output('m', matmul(a, g.constant(f32([3, 2], [1, 0, 0, 1, 1, 1]))));
    g.output('l', linear(a, w, bias));
    g.output('g', gemm(g.constant(f32([3, 2], iota(6))), g.constant(f32([3, 2], iota(6))), null, { transA: true, alpha: 2 }));
    expect(() => matmul(a, w)).toThrow(/MatMul: inner dimensions differ: \[b, 2, 3\] @ \[4, 3\]/);
    const out = await runGraph(g, { a: f32([1, 2, 3], [1, 2, 3, 4, 5, 6]) });
    expect(arr(out.m!)).toEqual([4, 5, 10, 11]);
    expect(arr(out.l!)).toEqual([9, 28, 47, 66, 18, 64, 110, 156]);
    expect(arr(out.g!)).toEqual([40, 52, 52, 70]);
  });
});
