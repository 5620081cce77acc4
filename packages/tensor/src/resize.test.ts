import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { RawImage } from './image.js';
import { axisWeights, nearestSourceIndex, resizeRaw, resizeTensor } from './resize.js';
import { Tensor } from './tensor.js';

interface GoldenCase { in: number[]; size: [number, number]; mode: 'bilinear' | 'nearest'; alignCorners: boolean; out: number[] }
// Made by tools/golden-resize.py with torch 1.13 F.interpolate.
const golden = JSON.parse(readFileSync(new URL('./fixtures/resize-golden.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };

function ramp(c: number, h: number, w: number, f: (ch: number, y: number, x: number) => number): Tensor<'float32'> {
  const t = new Tensor('float32', [c, h, w]);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) t.data[(ch * h + y) * w + x] = f(ch, y, x);
  return t;
}

describe('resizeTensor', () => {
  it('matches torch F.interpolate on golden cases', () => {
    expect(golden.cases.length).toBe(36);
    for (const g of golden.cases) {
      const n = g.in.reduce((a, b) => a * b, 1);
      const x = new Tensor('float32', g.in, new Float32Array(n).map((_, i) => Math.sin(0.37 * i) + 0.01 * i));
      const y = resizeTensor(x, g.size, g.mode, { alignCorners: g.alignCorners });
      expect(y.shape).toEqual([...g.in.slice(0, 2), ...g.size]);
      let worst = 0;
      y.data.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - (g.out[i] as number))); });
      expect(worst, JSON.stringify({ ...g, out: undefined })).toBeLessThan(2e-6);
    }
  });
  it('reproduces a linear ramp exactly with align_corners=True (closed form)', () => {
    // f(y, x) = 3y − 2x + 1 sampled on a 5×9 grid; resized to 13×17 with align_corners the output is
    // f evaluated at y' = o·4/12, x' = o·8/16 — bilinear interpolation is exact on affine functions.
    const t = ramp(2, 5, 9, (c, y, x) => 3 * y - 2 * x + 1 + c);
    const r = resizeTensor(t, [13, 17], 'bilinear', { alignCorners: true });
    for (let c = 0; c < 2; c++) for (let y = 0; y < 13; y++) for (let x = 0; x < 17; x++) {
      expect(r.data[(c * 13 + y) * 17 + x]).toBeCloseTo(3 * (y * 4 / 12) - 2 * (x * 8 / 16) + 1 + c, 5);
    }
  });
  it('with align_corners=False samples half-pixel centres and clamps at the borders', () => {
    // 1-D ramp v(x) = x on width 4 → width 8: src = (o + 0.5)/2 − 0.5 = o/2 − 0.25, clamped to [0, 3].
    const t = ramp(1, 1, 4, (_c, _y, x) => x);
    const r = resizeTensor(t, [1, 8], 'bilinear');
    expect(Array.from(r.data)).toEqual([0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]);
    // Downscale 4 → 2: src = (o + 0.5)·2 − 0.5 = 0.5, 2.5.
    expect(Array.from(resizeTensor(t, [1, 2], 'bilinear').data)).toEqual([0.5, 2.5]);
  });
  it('nearest picks floor(o·in/out)', () => {
    for (const [inS, outS] of [[5, 3], [3, 5], [7, 7], [4, 8], [10, 3], [6, 4], [1, 5]] as const) {
      const t = ramp(1, 1, inS, (_c, _y, x) => x * 10);
      const r = resizeTensor(t, [1, outS], 'nearest');
      expect(Array.from(r.data)).toEqual(Array.from({ length: outS }, (_, o) => Math.min(Math.floor((o * inS) / outS), inS - 1) * 10));
    }
  });
  it('follows torch float32 index arithmetic where it differs from the exact floor', () => {
    // torch 1.13: F.interpolate(arange(2.).view(1,1,1,2), size=(1,82), mode='nearest')[..., 41] == 0, although
    // floor(41·2/82) = 1: fround(2/82)·41 rounds below 1 in float32.
    expect(nearestSourceIndex(41, 2, 82)).toBe(0);
    expect(nearestSourceIndex(42, 2, 82)).toBe(1);
    expect(nearestSourceIndex(7, 4, 8)).toBe(3);
  });
  it('resizes a batch [N, C, H, W] plane by plane', () => {
    const a = ramp(2, 3, 4, (c, y, x) => c * 100 + y * 10 + x);
    const batch = new Tensor('float32', [2, 2, 3, 4], new Float32Array([...a.data, ...a.data.map((v) => -v)]));
    const r = resizeTensor(batch, [5, 6], 'bilinear');
    const single = resizeTensor(a, [5, 6], 'bilinear');
    expect(Array.from(r.data.subarray(0, 60))).toEqual(Array.from(single.data));
    expect(Array.from(r.data.subarray(60))).toEqual(Array.from(single.data).map((v) => -v));
  });
  it('has interpolation weights summing to 1', () => {
    const w = axisWeights(7, 11, 'bilinear', false);
    for (let o = 0; o < 11; o++) expect((w.w0[o] as number) + (w.w1[o] as number)).toBeCloseTo(1, 12);
  });
  it('rejects bad arguments with clear messages', () => {
    const t = ramp(1, 2, 2, () => 0);
    expect(() => resizeTensor(t, [0, 2], 'bilinear')).toThrow(/output height/);
    expect(() => resizeTensor(t, [2, 2], 'bicubic' as 'nearest')).toThrow(/one of: bilinear, nearest/);
    expect(() => resizeTensor(new Tensor('float32', [4]), [2, 2], 'nearest')).toThrow(/\[C, H, W\]/);
  });
});

describe('resizeRaw', () => {
  it('nearest never invents label values', () => {
    const labels = new Uint8Array(7 * 5).map((_, i) => [0, 3, 255, 17][i % 4] as number);
    const raw: RawImage = { width: 7, height: 5, channels: 1, bitDepth: 8, data: labels };
    const seen = new Set(labels);
    for (const [w, h] of [[3, 2], [13, 11], [7, 5], [20, 1]] as const) {
      const r = resizeRaw(raw, w, h, 'nearest');
      expect(r.data.length).toBe(w * h);
      for (const v of r.data) expect(seen.has(v)).toBe(true);
    }
    // Exact indices: output (y, x) = input (floor(y·5/11), floor(x·7/13)).
    const r = resizeRaw(raw, 13, 11, 'nearest');
    for (let y = 0; y < 11; y++) for (let x = 0; x < 13; x++) {
      expect(r.data[y * 13 + x]).toBe(labels[Math.floor((y * 5) / 11) * 7 + Math.floor((x * 7) / 13)]);
    }
  });
  it('bilinear on interleaved 16-bit RGB equals resizeTensor rounded', () => {
    const data = new Uint16Array(4 * 3 * 3).map((_, i) => (i * 2749) % 65536);
    const raw: RawImage = { width: 4, height: 3, channels: 3, bitDepth: 16, data };
    const r = resizeRaw(raw, 6, 5, 'bilinear');
    const chw = new Tensor('float32', [3, 3, 4]);
    for (let p = 0; p < 12; p++) for (let c = 0; c < 3; c++) chw.data[c * 12 + p] = data[p * 3 + c] as number;
    const t = resizeTensor(chw, [5, 6], 'bilinear');
    for (let p = 0; p < 30; p++) for (let c = 0; c < 3; c++) {
      expect(Math.abs((r.data[p * 3 + c] as number) - (t.data[c * 30 + p] as number))).toBeLessThanOrEqual(0.5 + 1e-3);
    }
  });
});
