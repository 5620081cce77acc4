import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor } from '@diff2in1/tensor';
import { SegmentationAccumulator } from './segmentation.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/metrics-golden.json', import.meta.url), 'utf8'));

describe('SegmentationAccumulator', () => {
  // 4 classes; class 3 appears nowhere. gt row 2 has an ignore pixel (255), whose prediction must not count.
  const gt = tensor('int32', [2, 4], [0, 0, 1, 1, 2, 2, 1, 255]);
  const pred = tensor('int32', [2, 4], [0, 1, 1, 1, 2, 0, 7, 3]);
  // Confusion over the 7 valid pixels (rows gt, cols pred):
  //  gt0: pred0 ×1, pred1 ×1      gt1: pred1 ×2, pred 7 (out of range) ×1      gt2: pred2 ×1, pred0 ×1
  // IoU0 = 1/(2+1+0) (gt0 = 2, pred0 = 2, tp 1 → union 3) = 1/3; IoU1 = 2/(3+3−2) = 1/2; IoU2 = 1/(2+1−1) = 1/2.

  it('matches a hand-computed confusion matrix (mmseg: absent class excluded)', () => {
    const acc = new SegmentationAccumulator({ numClasses: 4 });
    acc.update(pred, gt);
    const m = acc.compute();
    expect(m.iou.slice(0, 3)).toEqual([1 / 3, 1 / 2, 1 / 2]);
    expect(m.iou[3]).toBeNaN();
    expect(m.mIoU).toBeCloseTo((1 / 3 + 1 / 2 + 1 / 2) / 3, 12);
    expect(m.pixels).toBe(7);
    expect(m.pixelAccuracy).toBeCloseTo(4 / 7, 12);
    expect(m.meanAccuracy).toBeCloseTo((1 / 2 + 2 / 3 + 1 / 2) / 3, 12);
  });

  it('counts an absent class as IoU 0 under the ATRC convention', () => {
    const acc = new SegmentationAccumulator({ numClasses: 4, convention: 'atrc' });
    acc.update(pred, gt);
    expect(acc.compute().iou[3]).toBe(0);
    expect(acc.compute().mIoU).toBeCloseTo((1 / 3 + 1 / 2 + 1 / 2 + 0) / 4, 12);
  });

  it('equals InvPT\'s SemsegMeter (ATRC convention, 40 NYUD classes, one absent) — golden', () => {
    const g = golden.semseg;
    const acc = new SegmentationAccumulator({ numClasses: g.numClasses, convention: 'atrc' });
    acc.update(tensor('int32', g.shape, g.pred), tensor('int32', g.shape, g.gt));
    expect(acc.compute().mIoU).toBeCloseTo(g.atrc_mIoU, 12);
  });

  it('uses an explicit valid mask, streams, and rejects out-of-range ground truth', () => {
    const acc = new SegmentationAccumulator({ numClasses: 4 });
    acc.update(pred, gt, tensor('bool', [2, 4], [1, 1, 0, 0, 0, 0, 0, 0]));
    expect(acc.compute().iou[0]).toBeCloseTo(1 / 2, 12);
    expect(() => acc.update(pred, tensor('int32', [2, 4], [0, 0, 1, 1, 2, 2, 1, 4]))).toThrow(/ground-truth id 4 .* outside 0\.\.3/);
    expect(() => new SegmentationAccumulator({ numClasses: 0 })).toThrow(/positive integer/);
  });
});
