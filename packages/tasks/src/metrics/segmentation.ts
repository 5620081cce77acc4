// mIoU from a confusion matrix, for semantic segmentation and human parsing.
//
// Pixels count where the ground truth is valid (not the ignore index). Per class c:
//   IoU_c = TP_c / (TP_c + FP_c + FN_c)
// pooled over every image. Two conventions differ only for a class that appears in neither ground truth
// nor prediction over the whole set (TP+FP+FN = 0):
//  'mmseg' — IoU is NaN and mIoU is the nan-mean over the remaining classes (mmseg's
//            total_area_to_metrics: iou = intersect / union, then np.nanmean). Default; used for ADE20K.
//  'atrc'  — IoU is 0 and still averaged (ATRC / InvPT / MTI-Net SemsegMeter and HumanPartsMeter:
//            jac = tp / max(tp+fp+fn, 1e-8), then np.mean over all classes; ATRC's MeanIoU sets NaN to 0).
// A predicted id outside 0..numClasses−1 is simply wrong (an FN of the gt class), as in both codes.
// A ground-truth id outside that range (and not ignore) is an error: it means a wrong numClasses.
import type { Tensor } from '@diff2in1/tensor';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Accumulator } from './accumulator.js';
import { numberAt, updateGeometry } from './accumulator.js';

export interface SegmentationMetricOptions {
  numClasses: number;
  /** Ground-truth value ignored when no valid mask is given (default 255). */
  ignoreIndex?: number;
  /** 'mmseg' (default) or 'atrc'; see the file comment. */
  convention?: 'mmseg' | 'atrc';
}

export interface SegmentationMetrics {
  /** Mean IoU, fraction 0..1. */
  mIoU: number;
  /** Per-class IoU (NaN under 'mmseg' for classes absent from both gt and prediction). */
  iou: number[];
  /** Overall pixel accuracy Σ TP / Σ pixels (mmseg aAcc). */
  pixelAccuracy: number;
  /** Mean over classes present in the ground truth of TP_c / gt_c (mmseg mAcc). */
  meanAccuracy: number;
  /** Valid pixels evaluated. */
  pixels: number;
}

/** Streaming confusion matrix: rows = ground truth class, columns = predicted class plus one "other" column. */
export class SegmentationAccumulator implements Accumulator<SegmentationMetrics> {
  readonly numClasses: number;
  private readonly ignoreIndex: number;
  private readonly convention: 'mmseg' | 'atrc';
  /** numClasses × (numClasses + 1) counts, row-major. */
  readonly confusion: Float64Array;

  constructor(opts: SegmentationMetricOptions) {
    const n = opts.numClasses;
    if (!Number.isSafeInteger(n) || n < 1) throw new Diff2in1Error('metric', `numClasses must be a positive integer, got ${String(n)}`);
    const conv = opts.convention ?? 'mmseg';
    if (conv !== 'mmseg' && conv !== 'atrc') throw new Diff2in1Error('metric', `segmentation convention '${String(conv)}' is not valid; one of: mmseg, atrc`);
    this.numClasses = n;
    this.ignoreIndex = opts.ignoreIndex ?? 255;
    this.convention = conv;
    this.confusion = new Float64Array(n * (n + 1));
  }

  /** pred, gt: class ids [H, W], [N, H, W] or [N, 1, H, W] (any numeric dtype). */
  update(pred: Tensor, gt: Tensor, valid?: Tensor<'bool'>): void {
    const { images, h, w } = updateGeometry(pred, gt, valid, 1, 'segmentation metric');
    const n = this.numClasses;
    const total = images * h * w;
    for (let i = 0; i < total; i++) {
      const g = numberAt(gt, i);
      if (valid !== undefined ? valid.data[i] === 0 : g === this.ignoreIndex) continue;
      if (!(Number.isInteger(g) && g >= 0 && g < n)) {
        const p = i % (h * w);
        throw new Diff2in1Error('metric', `segmentation metric: ground-truth id ${g} at image ${Math.floor(i / (h * w))}, pixel (${Math.floor(p / w)}, ${p % w}) is outside 0..${n - 1} and not the ignore index ${this.ignoreIndex}`);
      }
      const q = numberAt(pred, i);
      const col = Number.isInteger(q) && q >= 0 && q < n ? q : n;
      const k = g * (n + 1) + col;
      this.confusion[k] = (this.confusion[k] as number) + 1;
    }
  }

  compute(): SegmentationMetrics {
    const n = this.numClasses;
    const m = this.confusion;
    const iou: number[] = [];
    let tpAll = 0, all = 0, accSum = 0, accN = 0;
    for (let c = 0; c < n; c++) {
      const tp = m[c * (n + 1) + c] as number;
      let gtCount = 0;
      for (let j = 0; j <= n; j++) gtCount += m[c * (n + 1) + j] as number;
      let predCount = 0;
      for (let r = 0; r < n; r++) predCount += m[r * (n + 1) + c] as number;
      const union = gtCount + predCount - tp;
      iou.push(union > 0 ? tp / union : this.convention === 'mmseg' ? NaN : 0);
      tpAll += tp;
      all += gtCount;
      if (gtCount > 0) { accSum += tp / gtCount; accN++; }
    }
    const counted = iou.filter((v) => !Number.isNaN(v));
    return {
      mIoU: counted.length ? counted.reduce((a, b) => a + b, 0) / counted.length : NaN,
      iou,
      pixelAccuracy: all ? tpAll / all : NaN,
      meanAccuracy: accN ? accSum / accN : NaN,
      pixels: all,
    };
  }

  reset(): void {
    this.confusion.fill(0);
  }
}
