// Depth metrics (Eigen et al. 2014 definitions): RMSE, RMSE(log), AbsRel, SqRel, log10, SILog and the
// threshold accuracies δ < 1.25^k with δ = max(p/g, g/p), over valid pixels.
//
// Codebases differ in how they pool, and we implement both:
//  'pixels' — sums over every valid pixel of every image, reduced once. The multi-task line the paper builds on
//             does this: MTI-Net / InvPT / TaskPrompter DepthMeter (evaluation/eval_depth.py: total_rmses +=
//             Σ(g−p)²; rmse = sqrt(total / n_valid)), which is Table 3's depth RMSE; ATRC's RMSE likewise.
//             InvPT sets predictions ≤ 0 to 1e-9 before the logs (our default predMin).
//  'images' — each metric per image, then the mean over images: BTS (cleinc/bts utils/eval_with_pngs.py:
//             compute_errors per image, then .mean()), AdaBins and most NYUv2 depth papers. BTS clamps
//             predictions to [1e-3, 10] and keeps ground truth in (1e-3, 10) for NYU: DEPTH_PRESETS.bts.
// δ thresholds are reported as fractions (0..1), as BTS prints them; everything else in metres / log units.
import type { Tensor } from '@diff2in1/tensor';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Accumulator } from './accumulator.js';
import { numberAt, updateGeometry } from './accumulator.js';

export interface DepthMetricOptions {
  /** 'pixels' (default; MTI-Net/InvPT) or 'images' (BTS / Eigen-style per-image mean). */
  averaging?: 'pixels' | 'images';
  /** Ground truth counts only where minDepth < gt < maxDepth (exclusive, as BTS); default gt > 0. */
  minDepth?: number;
  maxDepth?: number;
  /** Predictions are clamped to [predMin, predMax] before any metric (default predMin 1e-9, no max). */
  predMin?: number;
  predMax?: number;
}

/** Named settings of the two evaluation codes above. */
export const DEPTH_PRESETS = {
  /** InvPT / TaskPrompter / MTI-Net DepthMeter on NYUD-MT. */
  invpt: { averaging: 'pixels', predMin: 1e-9 },
  /** BTS eval_with_pngs.py for NYUv2 (min_depth_eval 1e-3, max_depth_eval 10). */
  bts: { averaging: 'images', minDepth: 1e-3, maxDepth: 10, predMin: 1e-3, predMax: 10 },
} as const satisfies Record<string, DepthMetricOptions>;

export interface DepthMetrics {
  rmse: number;
  rmseLog: number;
  absRel: number;
  sqRel: number;
  log10: number;
  /** Scale-invariant log error ×100 (BTS): sqrt(mean(d²) − mean(d)²)·100, d = ln p − ln g. */
  silog: number;
  delta1: number;
  delta2: number;
  delta3: number;
  /** Valid pixels evaluated. */
  pixels: number;
  /** Images that had at least one valid pixel (with 'images' averaging, the others are skipped). */
  images: number;
}

const KEYS = ['sq', 'sqLog', 'absRel', 'sqRel', 'log10', 'dLog', 'd1', 'd2', 'd3'] as const;
type Sums = Record<(typeof KEYS)[number], number> & { n: number };
const zeroSums = (): Sums => ({ sq: 0, sqLog: 0, absRel: 0, sqRel: 0, log10: 0, dLog: 0, d1: 0, d2: 0, d3: 0, n: 0 });

function finish(s: Sums): Omit<DepthMetrics, 'pixels' | 'images'> {
  const n = s.n;
  const meanD = s.dLog / n;
  return {
    rmse: Math.sqrt(s.sq / n),
    rmseLog: Math.sqrt(s.sqLog / n),
    absRel: s.absRel / n,
    sqRel: s.sqRel / n,
    log10: s.log10 / n,
    silog: Math.sqrt(Math.max(s.sqLog / n - meanD * meanD, 0)) * 100,
    delta1: s.d1 / n,
    delta2: s.d2 / n,
    delta3: s.d3 / n,
  };
}

const METRIC_NAMES = ['rmse', 'rmseLog', 'absRel', 'sqRel', 'log10', 'silog', 'delta1', 'delta2', 'delta3'] as const;

/** Streaming depth metric; see the file comment for the two averaging modes. */
export class DepthAccumulator implements Accumulator<DepthMetrics> {
  private readonly opts: Required<Pick<DepthMetricOptions, 'averaging'>> & DepthMetricOptions;
  private pooled = zeroSums();
  private perImage = new Map<string, number>();
  private images = 0;

  constructor(opts: DepthMetricOptions = {}) {
    const averaging = opts.averaging ?? 'pixels';
    if (averaging !== 'pixels' && averaging !== 'images') {
      throw new Diff2in1Error('metric', `depth averaging '${String(averaging)}' is not valid; one of: pixels, images`);
    }
    this.opts = { predMin: 1e-9, ...opts, averaging };
  }

  /** pred, gt: [H, W], [1, H, W], [N, H, W] or [N, 1, H, W] in metres; valid defaults to the gt range rule. */
  update(pred: Tensor, gt: Tensor, valid?: Tensor<'bool'>): void {
    const { images, h, w } = updateGeometry(pred, gt, valid, 1, 'depth metric');
    const hw = h * w;
    const { minDepth, maxDepth, predMin, predMax } = this.opts;
    for (let img = 0; img < images; img++) {
      const s = zeroSums();
      for (let p = 0; p < hw; p++) {
        const i = img * hw + p;
        const g = numberAt(gt, i);
        let ok = valid !== undefined ? valid.data[i] !== 0 : g > 0;
        if (ok && minDepth !== undefined) ok = g > minDepth;
        if (ok && maxDepth !== undefined) ok = g < maxDepth;
        if (!ok) continue;
        if (!(g > 0) || !Number.isFinite(g)) {
          throw new Diff2in1Error('metric', `depth metric: ground truth ${g} at image ${img}, pixel (${Math.floor(p / w)}, ${p % w}) is marked valid but is not a positive depth`);
        }
        let q = numberAt(pred, i);
        if (Number.isNaN(q)) throw new Diff2in1Error('metric', `depth metric: NaN prediction at image ${img}, pixel (${Math.floor(p / w)}, ${p % w})`);
        if (predMin !== undefined && q < predMin) q = predMin;
        if (predMax !== undefined && q > predMax) q = predMax;
        const diff = g - q;
        const dl = Math.log(q) - Math.log(g);
        const ratio = Math.max(g / q, q / g);
        s.sq += diff * diff;
        s.sqLog += dl * dl;
        s.absRel += Math.abs(diff) / g;
        s.sqRel += (diff * diff) / g;
        s.log10 += Math.abs(Math.log10(q) - Math.log10(g));
        s.dLog += dl;
        if (ratio < 1.25) s.d1++;
        if (ratio < 1.25 ** 2) s.d2++;
        if (ratio < 1.25 ** 3) s.d3++;
        s.n++;
      }
      if (s.n === 0) continue;
      this.images++;
      for (const k of KEYS) this.pooled[k] += s[k];
      this.pooled.n += s.n;
      if (this.opts.averaging === 'images') {
        const m = finish(s);
        for (const k of METRIC_NAMES) this.perImage.set(k, (this.perImage.get(k) ?? 0) + m[k]);
      }
    }
  }

  compute(): DepthMetrics {
    const counts = { pixels: this.pooled.n, images: this.images };
    if (this.opts.averaging === 'pixels' || this.images === 0) return { ...finish(this.pooled), ...counts };
    const out = { ...counts } as DepthMetrics;
    for (const k of METRIC_NAMES) out[k] = (this.perImage.get(k) ?? 0) / this.images;
    return out;
  }

  reset(): void {
    this.pooled = zeroSums();
    this.perImage.clear();
    this.images = 0;
  }
}
