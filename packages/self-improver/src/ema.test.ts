import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { Tensor, readSafetensors } from '@diff2in1/tensor';
import { emaDue, emaUpdate } from './ema.js';

const golden = readSafetensors(fileURLToPath(new URL('./fixtures/ema-golden.safetensors', import.meta.url)));
const set = (prefix: string): Record<string, Tensor> =>
  Object.fromEntries(Object.entries(golden).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));

describe('EMA of θC from θE (official update_creation)', () => {
  test.each([0.998, 0.9])('keep rate %s equals torch bit for bit over parameters and buffers (float32, int64)', (keep) => {
    const c = set('c.'), e = set('e.'), want = set(`expected.${keep}.`);
    const got = emaUpdate(c, e, keep);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(Object.keys(got)).toContain('1.num_batches_tracked');
    expect(Object.keys(got)).toContain('1.running_var');
    for (const [k, w] of Object.entries(want)) {
      const g = got[k]!;
      expect(g.dtype, k).toBe(w.dtype);
      expect(Array.from(g.data as ArrayLike<number | bigint>), k).toEqual(Array.from(w.data as ArrayLike<number | bigint>));
    }
    // Hand check of the integer buffer: 100·0.998 + 110·0.002 = 100.02, truncated to 100 (torch gives 100 and 101 for 0.9).
    expect(Number(got['1.num_batches_tracked']!.data[0])).toBe(keep === 0.998 ? 100 : 101);
  });

  test('float64 states', () => {
    const got = emaUpdate(set('c64.'), set('e64.'), 0.998);
    for (const [k, w] of Object.entries(set('expected64.'))) {
      if (w.dtype !== 'float64') continue;
      expect(Array.from(got[k]!.data as Float64Array), k).toEqual(Array.from(w.data as Float64Array));
    }
  });

  test('α = 1 keeps θC, α = 0 copies θE; inputs are not modified', () => {
    const c = { w: new Tensor('float32', [2], Float32Array.of(1, 2)) }, e = { w: new Tensor('float32', [2], Float32Array.of(3, 5)) };
    expect(Array.from(emaUpdate(c, e, 1).w!.data as Float32Array)).toEqual([1, 2]);
    expect(Array.from(emaUpdate(c, e, 0).w!.data as Float32Array)).toEqual([3, 5]);
    expect(Array.from(c.w.data)).toEqual([1, 2]);
  });

  test('mismatched keys or shapes are errors naming the key', () => {
    const c = { a: new Tensor('float32', [2]) };
    expect(() => emaUpdate(c, {}, 0.9)).toThrow(/'a' of θC is not found in θE/);
    expect(() => emaUpdate(c, { a: new Tensor('float32', [3]) }, 0.9)).toThrow(/'a' is float32 \[2\] in θC but float32 \[3\]/);
    expect(() => emaUpdate(c, c, 1.5)).toThrow(/\[0, 1\]/);
  });

  test('every 40 samples: batch 4 → after iterations 10, 20, ...; batch 3 → when the count crosses 40, 80, ...', () => {
    const fire = (b: number, iters: number) => Array.from({ length: iters }, (_, i) => i).filter((i) => emaDue(i * b, (i + 1) * b, 40)).map((i) => i + 1);
    expect(fire(4, 30)).toEqual([10, 20, 30]);
    expect(fire(3, 30)).toEqual([14, 27]); // 42 ≥ 40 after 14 iterations, 81 ≥ 80 after 27
    expect(fire(8, 10)).toEqual([5, 10]);
  });
});
