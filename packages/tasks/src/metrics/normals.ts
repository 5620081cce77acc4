// Surface-normal angular error, as Bae et al. evaluate NYUv2 (baegwangbin/surface_normal_uncertainty,
// train.py validate() + utils/utils.py compute_normal_errors) and as Diff-2-in-1 reports it (Table 1):
//   error = acos(clamp(cos∠(pred, gt), −1, 1)) in degrees, per valid pixel;
//   mean, median, RMSE = sqrt(Σe²/N), and % of pixels with e < 5°, 7.5°, 11.25°, 22.5°, 30° (strict <),
//   all pooled over every valid pixel of every image (errors concatenated, then reduced once).
// cos∠ is torch.cosine_similarity: dot / sqrt(max(|p|²·|g|², 1e-16)), so neither vector needs to be unit and a
// zero prediction scores 90°. We compute in float64 and store errors as float32 (Bae et al. compute in float32;
// their acos near 0° is quantised to ~0.02°, far below the 0.001° their log prints or the 0.1° papers report).
// The median is exact (see float-store.ts). MTI-Net's eval_normals (normalise, arccos, pooled) is the same metric.
//
// The official Diff-2-in-1 evaluation.py converts radians with 180/3.14 instead of 180/π (+0.05%);
// pass `radToDeg: OFFICIAL_DIFF2IN1_RAD_TO_DEG` to reproduce its printed numbers.
import type { Tensor } from '@diff2in1/tensor';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Accumulator } from './accumulator.js';
import { numberAt, updateGeometry } from './accumulator.js';
import { Float32Store } from './float-store.js';

/** Bae et al.'s thresholds (the paper's tables use 11.25, 22.5, 30). */
export const NORMAL_THRESHOLDS: readonly number[] = [5, 7.5, 11.25, 22.5, 30];

/** zsh2000/diff-2-in-1 evaluation.py: `torch.acos(...) * 180.0 / 3.14`. */
export const OFFICIAL_DIFF2IN1_RAD_TO_DEG = 180 / 3.14;

export interface NormalsMetricOptions {
  /** Thresholds in degrees for the "% within" figures (default NORMAL_THRESHOLDS). */
  thresholds?: readonly number[];
  /** Radians → degrees factor (default 180/π). */
  radToDeg?: number;
  /** 'exact' (default) keeps every error for the exact median; 'none' keeps O(1) memory and reports NaN. */
  median?: 'exact' | 'none';
}

export interface NormalsMetrics {
  /** Mean angular error, degrees. */
  mean: number;
  /** Median angular error, degrees (NaN with median: 'none'). */
  median: number;
  /** sqrt(mean squared error), degrees. */
  rmse: number;
  /** Percentage (0..100) of pixels with error < threshold, keyed by the threshold as written (e.g. '11.25'). */
  within: Record<string, number>;
  /** Valid pixels evaluated. */
  pixels: number;
}

/** Streaming normals metric. */
export class NormalsAccumulator implements Accumulator<NormalsMetrics> {
  private readonly thresholds: readonly number[];
  private readonly radToDeg: number;
  private readonly keep: boolean;
  private readonly store = new Float32Store();
  private n = 0;
  private sum = 0;
  private sumSq = 0;
  private below: Float64Array;

  constructor(opts: NormalsMetricOptions = {}) {
    this.thresholds = opts.thresholds ?? NORMAL_THRESHOLDS;
    this.radToDeg = opts.radToDeg ?? 180 / Math.PI;
    const median = opts.median ?? 'exact';
    if (median !== 'exact' && median !== 'none') throw new Diff2in1Error('metric', `normals median option '${String(median)}' is not valid; one of: exact, none`);
    this.keep = median === 'exact';
    this.below = new Float64Array(this.thresholds.length);
  }

  /** pred, gt: [3, H, W] or [N, 3, H, W]; valid defaults to "gt is not the zero vector". */
  update(pred: Tensor, gt: Tensor, valid?: Tensor<'bool'>): void {
    const { images, h, w } = updateGeometry(pred, gt, valid, 3, 'normals metric');
    const hw = h * w;
    const f32 = new Float32Array(1);
    for (let img = 0; img < images; img++) {
      const base = img * 3 * hw;
      for (let p = 0; p < hw; p++) {
        const gx = numberAt(gt, base + p), gy = numberAt(gt, base + hw + p), gz = numberAt(gt, base + 2 * hw + p);
        const ok = valid !== undefined ? valid.data[img * hw + p] !== 0 : gx !== 0 || gy !== 0 || gz !== 0;
        if (!ok) continue;
        const px = numberAt(pred, base + p), py = numberAt(pred, base + hw + p), pz = numberAt(pred, base + 2 * hw + p);
        const dot = px * gx + py * gy + pz * gz;
        const w12 = (px * px + py * py + pz * pz) * (gx * gx + gy * gy + gz * gz);
        const cos = dot / Math.sqrt(Math.max(w12, 1e-16));
        if (Number.isNaN(cos)) throw new Diff2in1Error('metric', `normals metric: NaN in prediction or ground truth at image ${img}, pixel (${Math.floor(p / w)}, ${p % w})`);
        f32[0] = Math.acos(Math.min(1, Math.max(-1, cos))) * this.radToDeg;
        const e = f32[0] as number;
        this.n++;
        this.sum += e;
        this.sumSq += e * e;
        for (let t = 0; t < this.thresholds.length; t++) if (e < (this.thresholds[t] as number)) this.below[t] = (this.below[t] as number) + 1;
        if (this.keep) this.store.push(e);
      }
    }
  }

  compute(): NormalsMetrics {
    const n = this.n;
    const within: Record<string, number> = {};
    this.thresholds.forEach((t, i) => { within[String(t)] = n ? (100 * (this.below[i] as number)) / n : NaN; });
    return {
      mean: n ? this.sum / n : NaN,
      median: this.keep ? this.store.median() : NaN,
      rmse: n ? Math.sqrt(this.sumSq / n) : NaN,
      within,
      pixels: n,
    };
  }

  reset(): void {
    this.store.clear();
    this.n = 0;
    this.sum = 0;
    this.sumSq = 0;
    this.below = new Float64Array(this.thresholds.length);
  }
}
