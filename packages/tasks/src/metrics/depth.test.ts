import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor } from '@diff2in1/tensor';
import { DEPTH_PRESETS, DepthAccumulator } from './depth.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/metrics-golden.json', import.meta.url), 'utf8'));

// Image A: three valid pixels with ratios 1.2, 1.5, 2 (one in each δ band) and one gt = 0; image B: exact.
const predA = tensor('float32', [1, 4], [1.2, 3, 2, 5]);
const gtA = tensor('float32', [1, 4], [1, 2, 4, 0]);
const predB = tensor('float32', [1, 2], [2, 2]);
const gtB = tensor('float32', [1, 2], [2, 2]);

describe('DepthAccumulator', () => {
  it('matches hand-computed metrics on crafted pairs', () => {
    const acc = new DepthAccumulator();
    acc.update(predA, gtA);
    const m = acc.compute();
    expect(m.pixels).toBe(3);
    expect(m.rmse).toBeCloseTo(Math.sqrt((0.2 ** 2 + 1 + 4) / 3), 6);
    expect(m.absRel).toBeCloseTo((0.2 + 0.5 + 0.5) / 3, 6);
    expect(m.sqRel).toBeCloseTo((0.04 + 0.5 + 1) / 3, 6);
    expect(m.log10).toBeCloseTo((Math.log10(1.2) + Math.log10(1.5) + Math.log10(2)) / 3, 6);
    expect(m.rmseLog).toBeCloseTo(Math.sqrt((Math.log(1.2) ** 2 + Math.log(1.5) ** 2 + Math.log(2) ** 2) / 3), 6);
    expect(m.delta1).toBeCloseTo(1 / 3, 12); // 1.2 < 1.25
    expect(m.delta2).toBeCloseTo(2 / 3, 12); // 1.5 < 1.5625
    expect(m.delta3).toBeCloseTo(2 / 3, 12); // 2 > 1.953125
  });

  it('pools over pixels or averages over images', () => {
    const pixels = new DepthAccumulator({ averaging: 'pixels' });
    const images = new DepthAccumulator({ averaging: 'images' });
    for (const a of [pixels, images]) { a.update(predA, gtA); a.update(predB, gtB); }
    const p = pixels.compute(), i = images.compute();
    expect(p.rmse).toBeCloseTo(Math.sqrt((0.04 + 1 + 4) / 5), 6);
    expect(i.rmse).toBeCloseTo((Math.sqrt((0.04 + 1 + 4) / 3) + 0) / 2, 6);
    expect(p.delta1).toBeCloseTo(3 / 5, 12);
    expect(i.delta1).toBeCloseTo((1 / 3 + 1) / 2, 12);
    expect(p.images).toBe(2);
    expect(i.images).toBe(2);
  });

  it('equals InvPT\'s DepthMeter (pixels) and BTS compute_errors (images) on the same data (golden)', () => {
    const g = golden.depth;
    const pred = tensor('float32', g.shape, g.pred);
    const gt = tensor('float32', g.shape, g.gt);
    const invpt = new DepthAccumulator(DEPTH_PRESETS.invpt);
    invpt.update(pred, gt);
    const a = invpt.compute();
    for (const k of ['rmse', 'rmseLog', 'absRel', 'sqRel'] as const) expect(a[k]).toBeCloseTo(g.invpt[k], 5);
    const bts = new DepthAccumulator(DEPTH_PRESETS.bts);
    bts.update(pred, gt);
    const b = bts.compute();
    for (const k of ['rmse', 'rmseLog', 'absRel', 'sqRel', 'log10', 'silog', 'delta1', 'delta2', 'delta3'] as const) {
      expect(b[k]).toBeCloseTo(g.bts[k], k === 'silog' ? 3 : 5);
    }
  });

  it('respects an explicit valid mask and rejects a valid non-positive depth', () => {
    const acc = new DepthAccumulator();
    acc.update(predA, gtA, tensor('bool', [1, 4], [1, 0, 0, 0]));
    expect(acc.compute().rmse).toBeCloseTo(0.2, 6);
    expect(() => acc.update(predA, gtA, tensor('bool', [1, 4], [0, 0, 0, 1]))).toThrow(/not a positive depth/);
    expect(() => new DepthAccumulator({ averaging: 'median' as never })).toThrow(/pixels, images/);
  });
});
