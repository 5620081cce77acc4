// compute_loss('UG_NLL_ours') of the official Diff-2-in-1 losses.py (Bae et al.'s uncertainty-guided angular vMF
// NLL), summed over the four levels:
//   level res8: the prediction upsampled (bilinear, align_corners=True) to the gt size, every valid pixel;
//   levels res4/2/1: the refined samples [B, 4, N] against the gt read by grid_sample 'nearest' at the points
//   (nearest-lookup.ts: float64 grid for the normals, float32 for the mask).
// Each term is the mean over pixels with a valid gt whose |cos| < 0.999 of −log(κ²+1) + κ·acos(cos) + log(1+e^(−κπ))
// (@diff2in1/graph's vmfNormalLoss, 'angular'). Upstream computes it in float64 (the gt is double); we use float32.
import { type Value, add, expand, gather, gatherElements, interpolate, mul, reshape, sub, div, unsqueeze, vmfNormalLoss } from '@diff2in1/graph';
import { Tensor } from '@diff2in1/tensor';
import { nearestLookup } from './nearest-lookup.js';

function indexConst(like: Value, data: Int32Array): Value {
  return like.graph.constant(new Tensor('int64', [data.length], BigInt64Array.from(data, (v) => BigInt(v))));
}

/** Reads `map` [B, C, Hg, Wg] at the gt pixels that level-[h, w] samples [B, N] look up → [B, C, 1, N]. */
export function lookupAtSamples(map: Value, samples: Value, level: readonly [number, number], precision: 'float64' | 'float32'): Value {
  const [b, c, hg, wg] = map.shape as [number, number, number, number];
  const n = samples.shape[1] as number;
  const rows = div(samples, level[1]);
  const cols = sub(samples, mul(rows, level[1]));
  const rowMap = indexConst(samples, nearestLookup(level[0], hg, precision));
  const colMap = indexConst(samples, nearestLookup(level[1], wg, precision));
  const idx = add(mul(gather(rowMap, rows, 0), wg), gather(colMap, cols, 0)); // [B, N]
  const picked = gatherElements(reshape(map, [b, c, hg * wg]), expand(unsqueeze(idx, 1), [b, c, n]), 2);
  return reshape(picked, [b, c, 1, n]);
}

export interface UgLossInputs {
  /** out_res8 [B, 4, H/8, W/8]. */
  out8: Value;
  /** Refined samples of res4, res2, res1: [B, 4, N] each. */
  samplePreds: readonly Value[];
  /** Their pixel indices [B, N] int64. */
  samples: readonly Value[];
  /** Level sizes of res4, res2, res1. */
  levels: readonly (readonly [number, number])[];
  /** Ground-truth normals [B, 3, Hg, Wg] and valid mask [B, 1, Hg, Wg] (float 0/1). */
  gt: Value;
  valid: Value;
}

/** The four level terms (res8, res4, res2, res1); the loss is their sum. */
export function ugNllTerms(o: UgLossInputs): Value[] {
  const [hg, wg] = [o.gt.shape[2] as number, o.gt.shape[3] as number];
  const terms = [vmfNormalLoss(interpolate(o.out8, { size: [hg, wg], mode: 'bilinear', alignCorners: true }), o.gt, o.valid, { kind: 'angular' })];
  o.samplePreds.forEach((pred, i) => {
    const [b, , n] = pred.shape as [number, number, number];
    const gt = lookupAtSamples(o.gt, o.samples[i]!, o.levels[i]!, 'float64');
    const mask = lookupAtSamples(o.valid, o.samples[i]!, o.levels[i]!, 'float32');
    terms.push(vmfNormalLoss(reshape(pred, [b, 4, 1, n]), gt, mask, { kind: 'angular' }));
  });
  return terms;
}

/** UG_NLL_ours: the sum of the level terms. */
export function ugNllLoss(o: UgLossInputs): Value {
  return ugNllTerms(o).reduce((a, t) => add(a, t));
}
