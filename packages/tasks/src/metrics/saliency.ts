// Saliency maxF (and the MTI-Net mIoU variant). Predictions are saliency probabilities in [0, 1]; ground
// truth is binary {0, 1}. Three codes, three conventions:
//
//  'atrc' (default) — ATRC's MaxF (brdav/atrc src/data/metrics.py): thresholds torch.arange(0.05, 1, 0.05) in
//     float32 (19 values, 0.05..0.95), positive iff prob ≥ t; TP, predicted and actual positives pooled over all
//     valid pixels of all images; P = TP/PP, R = TP/AP, F = (1+β²)PR/(β²P + R) with β² = 0.3, NaN → 0;
//     maxF = max over thresholds. (ATRC feeds sigmoid(logit) as prob.)
//  'invpt' — InvPT / TaskPrompter SaliencyMeter (evaluation/eval_sal.py, threshold_step 0.05, beta_squared 0.3 in
//     evaluate_utils.py): identical, except that the meter receives softmax probabilities (utils.get_output:
//     softmax[..., 1]·255, then /255) and squashes them AGAIN with a sigmoid before thresholding. So the
//     thresholds apply to sigmoid(prob) ∈ [0.5, 0.73]: every t ≤ 0.5 marks all pixels positive, and
//     t = 0.55..0.7 correspond to prob ≥ logit(t). To reproduce their reported numbers use this convention.
//  'mtinet' — MTI-Net / ASTMT eval_sal (evaluation/eval_sal.py + jaccard.py): thresholds
//     np.linspace(0.2, 0.9, 15), positive iff prob > t (strict); per image P = tp/(tp+fp+1e-12),
//     R = tp/(tp+fn+1e-12), Jaccard (1 when gt and prediction are both empty); P, R, J averaged over images;
//     F = (1+β²)·mP·mR/(β²·mP + mR + 1e-12) with β² = 1 (their formula 2PR/(P+R)); maxF and mIoU = max over
//     thresholds of F and of mean J.
// All figures are fractions 0..1 (TaskPrompter prints maxF ×100).
import type { Tensor } from '@diff2in1/tensor';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Accumulator } from './accumulator.js';
import { numberAt, updateGeometry } from './accumulator.js';

export type SaliencyConvention = 'atrc' | 'invpt' | 'mtinet';
const CONVENTIONS: readonly SaliencyConvention[] = ['atrc', 'invpt', 'mtinet'];

export interface SaliencyMetricOptions {
  convention?: SaliencyConvention;
  /** Overrides the convention's β² (0.3 for atrc/invpt, 1 for mtinet). */
  betaSquared?: number;
  /** Overrides the convention's thresholds. */
  thresholds?: readonly number[];
  /** Ground-truth value ignored when no valid mask is given (default 255). */
  ignoreIndex?: number;
}

export interface SaliencyMetrics {
  maxF: number;
  /** F per threshold. */
  f: number[];
  precision: number[];
  recall: number[];
  thresholds: number[];
  /** 'mtinet' only: max over thresholds of the mean per-image IoU. */
  mIoU?: number;
  pixels: number;
  images: number;
}

/**
 * torch.arange(start, end, step, dtype=float32) as torch 1.13 computes it on an x86 CPU with AVX2: n =
 * ceil((end−start)/step); the first floor(n/16)·16 values come from 8-lane vectors (base = float32(start +
 * step·i0), lane j = float32(base + j·step)), the rest from the scalar path float32(start + step·i)
 * (ATen RangeFactoriesKernel.cpp arange_kernel + Vectorized<float>::arange). The two paths differ by one
 * float32 ulp at some values (0.6 → 0.59999996 here), which is why we follow them.
 */
export function torchArangeFloat32(start: number, end: number, step: number): number[] {
  const n = Math.max(Math.ceil((end - start) / step), 0);
  const lanes = 8;
  const vectorised = Math.floor(n / (2 * lanes)) * 2 * lanes;
  return Array.from({ length: n }, (_, i) => {
    if (i >= vectorised) return Math.fround(start + step * i);
    const i0 = i - (i % lanes);
    return Math.fround(Math.fround(start + step * i0) + (i - i0) * step);
  });
}

/** numpy.linspace(start, stop, num): i·step + start, with the last value exactly stop. */
export function numpyLinspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 && num > 1 ? stop : i * step + start));
}

/** Streaming saliency metric. */
export class SaliencyAccumulator implements Accumulator<SaliencyMetrics> {
  private readonly convention: SaliencyConvention;
  private readonly beta2: number;
  private readonly thresholds: number[];
  private readonly ignoreIndex: number;
  private tp!: Float64Array;
  private pp!: Float64Array;
  private ap = 0;
  private sumP!: Float64Array;
  private sumR!: Float64Array;
  private sumJ!: Float64Array;
  private pixels = 0;
  private images = 0;

  constructor(opts: SaliencyMetricOptions = {}) {
    const conv = opts.convention ?? 'atrc';
    if (!CONVENTIONS.includes(conv)) throw new Diff2in1Error('metric', `saliency convention '${String(conv)}' is not valid; one of: ${CONVENTIONS.join(', ')}`);
    this.convention = conv;
    this.beta2 = opts.betaSquared ?? (conv === 'mtinet' ? 1 : 0.3);
    this.thresholds = [...(opts.thresholds ?? (conv === 'mtinet' ? numpyLinspace(0.2, 0.9, 15) : torchArangeFloat32(0.05, 1, 0.05)))];
    this.ignoreIndex = opts.ignoreIndex ?? 255;
    this.reset();
  }

  /** pred: probabilities; gt: {0, 1} (ignore index allowed where invalid). Shapes [H, W] .. [N, 1, H, W]. */
  update(pred: Tensor, gt: Tensor, valid?: Tensor<'bool'>): void {
    const { images, h, w } = updateGeometry(pred, gt, valid, 1, 'saliency metric');
    const hw = h * w;
    const T = this.thresholds.length;
    const tp = new Float64Array(T), pp = new Float64Array(T);
    for (let img = 0; img < images; img++) {
      tp.fill(0); pp.fill(0);
      let ap = 0, n = 0;
      for (let p = 0; p < hw; p++) {
        const i = img * hw + p;
        const g = numberAt(gt, i);
        if (valid !== undefined ? valid.data[i] === 0 : g === this.ignoreIndex) continue;
        if (g !== 0 && g !== 1) throw new Diff2in1Error('metric', `saliency metric: ground truth ${g} at image ${img}, pixel (${Math.floor(p / w)}, ${p % w}) is not 0 or 1`);
        let q = numberAt(pred, i);
        if (Number.isNaN(q)) throw new Diff2in1Error('metric', `saliency metric: NaN prediction at image ${img}, pixel (${Math.floor(p / w)}, ${p % w})`);
        if (this.convention === 'invpt') q = Math.fround(1 / (1 + Math.exp(-q)));
        n++;
        ap += g;
        for (let t = 0; t < T; t++) {
          const th = this.thresholds[t] as number;
          if (this.convention === 'mtinet' ? q > th : q >= th) {
            pp[t] = (pp[t] as number) + 1;
            tp[t] = (tp[t] as number) + g;
          }
        }
      }
      this.images++;
      this.pixels += n;
      this.ap += ap;
      for (let t = 0; t < T; t++) {
        const TP = tp[t] as number, PP = pp[t] as number;
        this.tp[t] = (this.tp[t] as number) + TP;
        this.pp[t] = (this.pp[t] as number) + PP;
        if (this.convention === 'mtinet') {
          const fp = PP - TP, fn = ap - TP;
          this.sumP[t] = (this.sumP[t] as number) + TP / (TP + fp + 1e-12);
          this.sumR[t] = (this.sumR[t] as number) + TP / (TP + fn + 1e-12);
          const union = TP + fp + fn;
          this.sumJ[t] = (this.sumJ[t] as number) + (union === 0 ? 1 : TP / union);
        }
      }
    }
  }

  compute(): SaliencyMetrics {
    const T = this.thresholds.length;
    const f: number[] = [], precision: number[] = [], recall: number[] = [];
    const b2 = this.beta2;
    let mIoU = -Infinity;
    for (let t = 0; t < T; t++) {
      let P: number, R: number, F: number;
      if (this.convention === 'mtinet') {
        P = (this.sumP[t] as number) / this.images;
        R = (this.sumR[t] as number) / this.images;
        F = ((1 + b2) * P * R) / (b2 * P + R + 1e-12);
        mIoU = Math.max(mIoU, (this.sumJ[t] as number) / this.images);
      } else {
        P = (this.tp[t] as number) / (this.pp[t] as number);
        R = (this.tp[t] as number) / this.ap;
        F = ((1 + b2) * P * R) / (b2 * P + R);
      }
      precision.push(P);
      recall.push(R);
      f.push(Number.isNaN(F) ? 0 : F);
    }
    const out: SaliencyMetrics = {
      maxF: f.length ? Math.max(...f) : NaN, f, precision, recall, thresholds: [...this.thresholds], pixels: this.pixels, images: this.images,
    };
    if (this.convention === 'mtinet') out.mIoU = this.images ? mIoU : NaN;
    return out;
  }

  reset(): void {
    const T = this.thresholds.length;
    this.tp = new Float64Array(T);
    this.pp = new Float64Array(T);
    this.sumP = new Float64Array(T);
    this.sumR = new Float64Array(T);
    this.sumJ = new Float64Array(T);
    this.ap = 0;
    this.pixels = 0;
    this.images = 0;
  }
}
