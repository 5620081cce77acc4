import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '@diff2in1/tensor';
import { Float32Store } from './float-store.js';
import { NormalsAccumulator, OFFICIAL_DIFF2IN1_RAD_TO_DEG } from './normals.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/metrics-golden.json', import.meta.url), 'utf8'));

/** [3, 1, n] tensor from a list of 3-vectors. */
function vecs(list: number[][]): Tensor<'float32'> {
  const n = list.length;
  const t = new Tensor('float32', [3, 1, n]);
  list.forEach((v, i) => v.forEach((x, c) => { t.data[c * n + i] = x; }));
  return t;
}

describe('NormalsAccumulator', () => {
  // gt = +z everywhere; predictions at 0°, 90°, 45° (not unit length) and 180°.
  const gt = vecs([[0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1]]);
  const pred = vecs([[0, 0, 1], [1, 0, 0], [3, 0, 3], [0, 0, -1]]);

  it('matches a hand computation on angles 0°, 90°, 45°, 180°', () => {
    const acc = new NormalsAccumulator();
    acc.update(pred, gt);
    const m = acc.compute();
    expect(m.pixels).toBe(4);
    expect(m.mean).toBeCloseTo((0 + 90 + 45 + 180) / 4, 5); // 78.75
    expect(m.median).toBeCloseTo((45 + 90) / 2, 5); // even count: mean of the two middle values
    expect(m.rmse).toBeCloseTo(Math.sqrt((0 + 90 ** 2 + 45 ** 2 + 180 ** 2) / 4), 5); // 103.108...
    expect(m.within['11.25']).toBe(25);
    expect(m.within['22.5']).toBe(25);
    expect(m.within['30']).toBe(25);
  });

  it('skips invalid pixels (explicit mask and zero ground truth) and takes an odd median', () => {
    const g = vecs([[0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 0], [0, 1, 0]]);
    const p = vecs([[0, 0, 1], [1, 0, 0], [1, 0, 1], [0, 0, -1], [1, 0, 0], [0, 1, 1]]);
    const acc = new NormalsAccumulator();
    acc.update(p, g); // the zero gt vector is invalid by default
    expect(acc.compute().pixels).toBe(5);
    expect(acc.compute().median).toBeCloseTo(45, 5); // 0, 45, 45, 90, 180
    const masked = new NormalsAccumulator();
    masked.update(p, g, tensor('bool', [1, 6], [1, 1, 1, 0, 0, 1]));
    const m = masked.compute();
    expect(m.pixels).toBe(4);
    expect(m.mean).toBeCloseTo((0 + 90 + 45 + 45) / 4, 5);
    expect(m.median).toBeCloseTo(45, 5);
  });

  it('streams: image-by-image updates equal one batched update', () => {
    const a = new NormalsAccumulator();
    a.update(pred, gt);
    a.update(gt, gt);
    const batch = new Tensor('float32', [2, 3, 1, 4]);
    batch.data.set(pred.data, 0);
    batch.data.set(gt.data, 12);
    const gts = new Tensor('float32', [2, 3, 1, 4]);
    gts.data.set(gt.data, 0);
    gts.data.set(gt.data, 12);
    const b = new NormalsAccumulator();
    b.update(batch, gts);
    expect(b.compute()).toEqual(a.compute());
    a.reset();
    expect(a.compute().pixels).toBe(0);
  });

  it('reproduces the official evaluation.py 180/3.14 conversion when asked', () => {
    const acc = new NormalsAccumulator({ radToDeg: OFFICIAL_DIFF2IN1_RAD_TO_DEG });
    acc.update(vecs([[1, 0, 0]]), vecs([[0, 0, 1]]));
    expect(acc.compute().mean).toBeCloseTo((Math.PI / 2) * (180 / 3.14), 4);
  });

  it('equals Bae et al.\'s validate() + compute_normal_errors (golden)', () => {
    const g = golden.normals;
    const acc = new NormalsAccumulator();
    acc.update(tensor('float32', g.shape, g.pred), tensor('float32', g.shape, g.gt));
    const m = acc.compute();
    expect(m.pixels).toBe(g.pixels);
    expect(m.mean).toBeCloseTo(g.mean, 4);
    expect(m.median).toBeCloseTo(g.median, 4);
    expect(m.rmse).toBeCloseTo(g.rmse, 4);
    for (const k of Object.keys(g.within)) expect(m.within[k]).toBeCloseTo(g.within[k], 8);
  });

  it('rejects NaN predictions and mismatched shapes', () => {
    const acc = new NormalsAccumulator();
    expect(() => acc.update(vecs([[NaN, 0, 1]]), vecs([[0, 0, 1]]))).toThrow(/NaN/);
    expect(() => acc.update(vecs([[0, 0, 1]]), gt)).toThrow(/differ in shape/);
    expect(() => acc.update(new Tensor('float32', [2, 1, 1]), new Tensor('float32', [2, 1, 1]))).toThrow(/\[3, H, W\]/);
  });
});

describe('Float32Store', () => {
  it('selects exact order statistics across chunks (checked against a sort)', () => {
    const s = new Float32Store();
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const n = (1 << 20) * 2 + 777; // three chunks
    const ref = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      // many duplicates, many tiny values, a wide exponent range
      const v = i % 5 === 0 ? Math.floor(rand() * 50) : rand() ** 3 * 180;
      ref[i] = v;
      s.push(v);
    }
    ref.sort();
    for (const k of [0, 1, n >> 1, (n >> 1) + 1, n - 2, n - 1, 123456]) expect(s.select(k)).toBe(ref[k]);
    expect(s.median()).toBe(ref[(n - 1) >> 1]); // n odd
    s.push(1000);
    expect(s.median()).toBe(((ref[(n - 1) >> 1] as number) + (ref[((n - 1) >> 1) + 1] as number)) / 2);
  });
});
