import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor } from '@diff2in1/tensor';
import { SaliencyAccumulator, numpyLinspace, torchArangeFloat32 } from './saliency.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/metrics-golden.json', import.meta.url), 'utf8'));

const fb = (P: number, R: number, b2: number) => ((1 + b2) * P * R) / (b2 * P + R);

describe('saliency thresholds', () => {
  it('equal torch.arange(0.05, 1, 0.05) in float32 and np.linspace(0.2, 0.9, 15)', () => {
    expect(torchArangeFloat32(0.05, 1, 0.05)).toEqual(golden.constants['torch_arange_0.05_1_0.05']);
    expect(numpyLinspace(0.2, 0.9, 15)).toEqual(golden.constants['np_linspace_0.2_0.9_15']);
  });
});

describe('SaliencyAccumulator', () => {
  const prob = tensor('float32', [1, 4], [0.92, 0.62, 0.33, 0.12]);
  const gt = tensor('float32', [1, 4], [1, 0, 1, 0]);

  it('ATRC: pooled counts, β² = 0.3, prob ≥ t (hand-computed)', () => {
    const acc = new SaliencyAccumulator();
    acc.update(prob, gt);
    const m = acc.compute();
    expect(m.thresholds).toHaveLength(19);
    // t = 0.05, 0.1: all 4 positive (TP 2); 0.15..0.3: 3 positive (TP 2); 0.35..0.6: 2 (TP 1); 0.65..0.9: 1 (TP 1); 0.95: none
    const expected = [
      ...Array(2).fill(fb(2 / 4, 1, 0.3)), ...Array(4).fill(fb(2 / 3, 1, 0.3)), ...Array(6).fill(fb(1 / 2, 1 / 2, 0.3)),
      ...Array(6).fill(fb(1, 1 / 2, 0.3)), 0,
    ];
    m.f.forEach((f, i) => expect(f).toBeCloseTo(expected[i] as number, 12));
    expect(m.maxF).toBeCloseTo(0.65 / 0.8, 12);
  });

  it('InvPT: thresholds apply to sigmoid(prob) (hand-computed)', () => {
    const acc = new SaliencyAccumulator({ convention: 'invpt' });
    acc.update(prob, gt);
    const m = acc.compute();
    // sigmoid: 0.715, 0.650, 0.582, 0.530 → t ≤ 0.5: 4 positive; 0.55: 3; 0.6, 0.65: 2; 0.7: 1; ≥ 0.75: none
    const expected = [
      ...Array(10).fill(fb(2 / 4, 1, 0.3)), fb(2 / 3, 1, 0.3), fb(1 / 2, 1 / 2, 0.3), fb(1 / 2, 1 / 2, 0.3), fb(1, 1 / 2, 0.3),
      ...Array(5).fill(0),
    ];
    m.f.forEach((f, i) => expect(f).toBeCloseTo(expected[i] as number, 12));
  });

  it('MTI-Net: per-image precision/recall means, β² = 1, prob > t, and mIoU (hand-computed)', () => {
    // two images, threshold 0.5 only: image 1 pred {1,0,0,0} vs gt {1,0,1,0}: P 1, R 1/2, J 1/2;
    // image 2 gt empty and pred empty: P 0, R 0 (ε-guarded), J 1.
    const acc = new SaliencyAccumulator({ convention: 'mtinet', thresholds: [0.5] });
    acc.update(tensor('float32', [2, 1, 4], [0.92, 0.42, 0.33, 0.12, 0.1, 0.2, 0.3, 0.4]), tensor('float32', [2, 1, 4], [1, 0, 1, 0, 0, 0, 0, 0]));
    const m = acc.compute();
    const P = (1 + 0) / 2, R = (0.5 + 0) / 2;
    expect(m.maxF).toBeCloseTo((2 * P * R) / (P + R), 9);
    expect(m.mIoU).toBeCloseTo((0.5 + 1) / 2, 12);
  });

  it('equals InvPT\'s SaliencyMeter, ATRC\'s MaxF and MTI-Net\'s eval_sal (golden)', () => {
    const g = golden.saliency;
    const p = tensor('float32', g.shape, g.prob), t = tensor('float32', g.shape, g.gt);
    for (const [conv, want] of [['atrc', g.atrc_maxF], ['invpt', g.invpt_maxF]] as const) {
      const acc = new SaliencyAccumulator({ convention: conv });
      acc.update(p, t);
      expect(acc.compute().maxF).toBeCloseTo(want, 6);
    }
    const mti = new SaliencyAccumulator({ convention: 'mtinet' });
    mti.update(p, t);
    const m = mti.compute();
    expect(m.maxF).toBeCloseTo(g.mtinet.maxF, 9);
    expect(m.mIoU).toBeCloseTo(g.mtinet.mIoU, 9);
    m.f.forEach((f, i) => expect(f).toBeCloseTo(g.mtinet.F[i], 9));
  });

  it('rejects non-binary ground truth and unknown conventions', () => {
    const acc = new SaliencyAccumulator();
    expect(() => acc.update(prob, tensor('float32', [1, 4], [1, 0, 0.5, 0]))).toThrow(/not 0 or 1/);
    acc.update(prob, tensor('float32', [1, 4], [1, 0, 255, 0])); // 255 = ignore
    expect(acc.compute().pixels).toBe(3);
    expect(() => new SaliencyAccumulator({ convention: 'x' as never })).toThrow(/atrc, invpt, mtinet/);
  });
});
