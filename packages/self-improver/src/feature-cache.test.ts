import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Tensor } from '@diff2in1/tensor';
import { FeatureCache } from './feature-cache.js';
import { tmp } from './testing/fixtures.js';

const spec = (ids: string[], describe: Record<string, unknown> = { v: 1 }) => ({
  describe, ids, variants: ['none', 'hflip'],
  taps: [{ name: 'tap.a', shape: [2, 2, 2] as [number, number, number] }, { name: 'tap.b', shape: [1, 1, 3] as [number, number, number] }],
});
const feats = (x: number) => ({
  'tap.a': new Tensor('float32', [1, 2, 2, 2], Float32Array.from({ length: 8 }, (_, i) => x + i / 3)),
  'tap.b': new Tensor('float32', [1, 1, 1, 3], Float32Array.of(x, 65519, 1e-8)),
});

describe('fp16 feature cache', () => {
  test('slots round-trip as fp16 values, survive reopening, and fill in any order', () => {
    const path = join(tmp('cache'), 'train.vpd.f16');
    const c = FeatureCache.open(path, spec(['a', 'b', 'c']));
    expect(c.filled).toBe(0);
    const s = c.slot(2, 'hflip');
    expect(s).toBe(5);
    expect(c.get(s)).toBeUndefined();
    const back = c.put(s, feats(1));
    // fp16 of 1 + 1/3 is 1.3330078125 (10 mantissa bits); 65519 rounds to 65504 (the largest half); 1e-8 underflows to 0.
    expect(back['tap.a']!.data[1]).toBe(1.3330078125);
    expect(Array.from(back['tap.b']!.data)).toEqual([1, 65504, 0]);
    c.close();
    const again = FeatureCache.open(path, spec(['a', 'b', 'c']));
    expect(again.filled).toBe(1);
    expect(again.has(5) && !again.has(4)).toBe(true);
    const got = again.get(5)!;
    expect(Array.from(got['tap.a']!.data)).toEqual(Array.from(back['tap.a']!.data));
    expect(got['tap.a']!.shape).toEqual([1, 2, 2, 2]);
    expect(again.hits).toBe(1);
    again.put(again.slot(0, 'none'), feats(7));
    expect(again.get(0)!['tap.b']!.data[0]).toBe(7);
    again.close();
    // slotBytes = 64-byte aligned (8 + 3 values · 2 bytes = 22 → 64); 6 slots after a 4096-aligned header + flags.
    expect(statSync(path).size).toBe(8192 + 6 * 64);
  });

  test('other settings rebuild the file; unknown slots are errors', () => {
    const path = join(tmp('cache'), 'x.f16');
    const c = FeatureCache.open(path, spec(['a']));
    c.put(0, feats(1));
    c.close();
    const msgs: string[] = [];
    const d = FeatureCache.open(path, spec(['a'], { v: 2 }), (m) => msgs.push(m));
    expect(d.filled).toBe(0);
    expect(msgs[0]).toMatch(/other settings; rebuilding/);
    expect(() => d.slot(1, 'none')).toThrow(/no slot for sample 1/);
    expect(() => d.slot(0, 'vflip')).toThrow(/variants none, hflip/);
    expect(() => d.put(0, { 'tap.a': new Tensor('float32', [1, 2]) })).toThrow(/'tap.a' must have 2×2×2 values/);
    d.close();
  });
});
