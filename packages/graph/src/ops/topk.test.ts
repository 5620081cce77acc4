import { describe, expect, test } from 'vitest';
import { Rng } from '@diff2in1/tensor';
import { GraphBuilder } from '../ir/graph.js';
import { runGraph } from '../testing/run.js';
import { gradCheck } from '../testing/gradcheck.js';
import { f32 } from '../testing/reference.js';
import { mul } from './elementwise.js';
import { argsort, topK } from './topk.js';

/** Reference: a stable sort of each row (Array.prototype.sort is stable since ES2019). */
function refTopK(data: number[], rows: number, len: number, k: number, largest: boolean): { values: number[]; indices: number[] } {
  const values: number[] = [];
  const indices: number[] = [];
  for (let r = 0; r < rows; r++) {
    const idx = Array.from({ length: len }, (_, i) => i);
    const row = data.slice(r * len, (r + 1) * len);
    idx.sort((a, b) => (largest ? row[b]! - row[a]! : row[a]! - row[b]!));
    for (const i of idx.slice(0, k)) {
      values.push(row[i]!);
      indices.push(i);
    }
  }
  return { values, indices };
}

describe('TopK', () => {
  const rng = new Rng(7);
  // few distinct values, so ties are everywhere (uncertainty maps have many pixels at the same -1e4)
  const rows = 3;
  const len = 257;
  const data = Array.from({ length: rows * len }, () => Math.floor(rng.uniform() * 5) - (rng.uniform() < 0.3 ? 1e4 : 0));

  test.each([
    ['full sort, largest', len, true],
    ['k < len, largest', 40, true],
    ['k < len, smallest', 17, false],
  ] as const)('%s: values and indices equal a stable sort (ties: lower index first)', async (_, k, largest) => {
    const g = new GraphBuilder('topk');
    const x = g.input('x', 'float32', [rows, len]);
    const r = topK(x, k, { largest });
    expect(r.values.shape).toEqual([rows, k]);
    expect(r.indices.dtype).toBe('int64');
    g.output('v', r.values);
    g.output('i', r.indices);
    const out = await runGraph(g, { x: f32([rows, len], data) });
    const ref = refTopK(data, rows, len, k, largest);
    expect(Array.from(out.v!.data as Float32Array)).toEqual(ref.values);
    expect(Array.from(out.i!.data as BigInt64Array, Number)).toEqual(ref.indices);
  });

  test('axis 0 and argsort ascending', async () => {
    const g = new GraphBuilder('argsort');
    const x = g.input('x', 'float32', [4, 2]);
    g.output('i', argsort(x, { axis: 0, descending: false }));
    const out = await runGraph(g, { x: f32([4, 2], [3, 1, 1, 1, 2, 0, 1, 5]) });
    // column 0: [3, 1, 2, 1] → 1, 3, 2, 0; column 1: [1, 1, 0, 5] → 2, 0, 1, 3
    expect(Array.from(out.i!.data as BigInt64Array, Number)).toEqual([1, 2, 3, 0, 2, 1, 0, 3]);
  });

  test('rejects bad k and symbolic axes, naming the op', () => {
    const g = new GraphBuilder('bad');
    const x = g.input('x', 'float32', ['n', 5]);
    expect(() => topK(x, 6)).toThrow(/TopK: k must be an integer in \[1, 5\]/);
    expect(() => topK(x, 1, { axis: 0 })).toThrow(/TopK: axis 0 of x: float32 \[n, 5\] must be static/);
  });

  test('gradient of the values matches central finite differences', async () => {
    const r = await gradCheck({
      dtype: 'float64',
      rng,
      inputs: [{ shape: [3, 6] }],
      build: (a) => topK(mul(a, a), 4, { axis: 1 }).values,
      samples: 12,
    });
    expect(r.maxError).toBeLessThan(1e-6);
  });
});
