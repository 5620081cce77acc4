// Losses with the upstream codes' semantics. Masks are float tensors of 0/1 broadcastable to the per-element
// loss; masked means divide by the number of valid elements (0 when there are none, where torch gives NaN).
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Value } from '../ir/graph.js';
import { abs, acos, add, and, cast, div, equal, exp, greater, less, log, mul, not, sqrt, sub, where, maximum } from '../ops/elementwise.js';
import { logSoftmax } from '../ops/activations.js';
import { gather, gatherElements } from '../ops/indexing.js';
import { maskedMean, reduceMean, reduceSum } from '../ops/reduce.js';
import { expand, slice, squeeze, unsqueeze } from '../ops/shape.js';

export type Reduction = 'mean' | 'sum' | 'none';

function reduce(op: string, per: Value, reduction: Reduction, mask?: Value): Value {
  if (reduction === 'none') return mask ? mul(per, mask) : per;
  if (reduction === 'sum') return reduceSum(mask ? mul(per, mask) : per);
  if (reduction !== 'mean') throw new Diff2in1Error('graph', `${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  if (!mask) return reduceMean(per);
  return maskedMean(per, mask.shape.length === per.shape.length && mask.shape.every((d, i) => d === per.shape[i]) ? mask : expand(mask, per.shape));
}

export interface LossOptions {
  reduction?: Reduction;
  /** 0/1 float mask (broadcast to the elementwise loss); the mean is over valid elements. */
  mask?: Value;
}

/** torch.nn.functional.mse_loss. */
export function mseLoss(pred: Value, target: Value, o: LossOptions = {}): Value {
  const d = sub(pred, target);
  return reduce('mseLoss', mul(d, d), o.reduction ?? 'mean', o.mask);
}

/** torch.nn.functional.l1_loss. */
export function l1Loss(pred: Value, target: Value, o: LossOptions = {}): Value {
  return reduce('l1Loss', abs(sub(pred, target)), o.reduction ?? 'mean', o.mask);
}

export interface CrossEntropyOptions {
  /** Targets equal to this are ignored (torch default −100; segmentation commonly 255). */
  ignoreIndex?: number;
  /** Per-class weights [C]. */
  weight?: Value;
  reduction?: Reduction;
}

/**
 * torch.nn.functional.cross_entropy over logits [N, C, ...] and int64 targets [N, ...]: the 'mean' is
 * Σ w[t]·(−log p_t) / Σ w[t] over non-ignored elements.
 */
export function crossEntropy(logits: Value, target: Value, o: CrossEntropyOptions = {}): Value {
  const op = 'crossEntropy';
  if (target.dtype !== 'int64') throw new Diff2in1Error('graph', `${op}: targets must be int64, got ${target}`);
  if (logits.rank !== target.rank + 1 || logits.shape[0] !== target.shape[0] || logits.shape.slice(2).some((d, i) => d !== target.shape[i + 1])) {
    throw new Diff2in1Error('graph', `${op}: logits ${logits} and targets ${target} must be [N, C, ...] and [N, ...]`);
  }
  const ignore = o.ignoreIndex ?? -100;
  const valid = not(equal(target, ignore));
  const safeTarget = where(valid, target, 0);
  const logp = logSoftmax(logits, 1);
  const picked = squeeze(gatherElements(logp, unsqueeze(safeTarget, 1), 1), 1); // log p_t, [N, ...]
  let w = cast(valid, logits.dtype);
  if (o.weight) w = mul(w, gather(o.weight, safeTarget, 0));
  const per = mul(sub(0, picked), w);
  const reduction = o.reduction ?? 'mean';
  if (reduction === 'none') return per;
  if (reduction === 'sum') return reduceSum(per);
  return div(reduceSum(per), reduceSum(w));
}

/** torch.cosine_similarity along `axis`: Σab / √max(Σa²·Σb², eps²). */
export function cosineSimilarity(a: Value, b: Value, axis = 1, eps = 1e-8): Value {
  const w12 = reduceSum(mul(a, b), axis);
  const n = mul(reduceSum(mul(a, a), axis), reduceSum(mul(b, b), axis));
  return div(w12, sqrt(maximum(n, eps * eps)));
}

export interface VmfOptions {
  /** 'angular' (Bae et al.'s AngMF, 'NLL_ours') or 'vmf' (plain von Mises–Fisher, 'NLL_vMF'). */
  kind?: 'angular' | 'vmf';
}

/**
 * Bae et al. 2021 (utils/losses.py, forward_R): normals `pred` [N, 4, H, W] = (n̂, κ), ground truth `gt`
 * [N, 3, H, W], `mask` [N, 1, H, W] (float 0/1). Pixels with |cos| ≥ 0.999 are dropped (upstream's detached
 * valid mask keeps acos inside its domain); the loss is the mean over the remaining pixels of
 *   angular: −log(κ² + 1) + κ·acos(n·n̂) + log(1 + e^(−κπ))
 *   vmf:     −log κ − κ(n·n̂ − 1) + log(1 − e^(−2κ)).
 */
export function vmfNormalLoss(pred: Value, gt: Value, mask: Value, o: VmfOptions = {}): Value {
  if (pred.rank !== 4 || pred.shape[1] !== 4 || gt.shape[1] !== 3) throw new Diff2in1Error('graph', `vmfNormalLoss: pred ${pred} must be [N, 4, H, W] and gt ${gt} [N, 3, H, W]`);
  const n = slice(pred, { starts: [0], ends: [3], axes: [1] });
  const kappa = squeeze(slice(pred, { starts: [3], ends: [4], axes: [1] }), 1);
  const dot = cosineSimilarity(n, gt, 1);
  const valid = and(and(greater(squeeze(mask, 1), 0), less(dot, 0.999)), greater(dot, -0.999));
  const safeDot = where(valid, dot, 0);
  const per = o.kind === 'vmf'
    ? add(sub(sub(0, log(kappa)), mul(kappa, sub(safeDot, 1))), log(sub(1, exp(mul(kappa, -2)))))
    : add(add(sub(0, log(add(mul(kappa, kappa), 1))), mul(kappa, acos(safeDot))), log(add(exp(mul(kappa, -Math.PI)), 1)));
  return maskedMean(where(valid, per, 0), cast(valid, pred.dtype));
}

export interface SiLogOptions {
  /** Variance focus λ (VPD / Eigen et al.: 0.5; BTS: 0.85). */
  lambda?: number;
  /** Output scale (BTS: 10). */
  scale?: number;
}

/**
 * Scale-invariant log loss over valid pixels: scale·√(mean(d²) − λ·mean(d)²), d = log pred − log target
 * (VPD's SiLogLoss with λ = 0.5; BTS's silog with λ = 0.85, scale 10).
 */
export function siLogLoss(pred: Value, target: Value, mask: Value, o: SiLogOptions = {}): Value {
  const valid = cast(greater(mask, 0), pred.dtype);
  // log of masked-out pixels is replaced by 0 so invalid depths (0) never produce −∞.
  const on = greater(mask, 0);
  const d = where(on, sub(log(where(on, pred, 1)), log(where(on, target, 1))), 0);
  const m2 = maskedMean(mul(d, d), valid);
  const m1 = maskedMean(d, valid);
  const v = sub(m2, mul(mul(m1, m1), o.lambda ?? 0.5));
  return mul(sqrt(v), o.scale ?? 1);
}
