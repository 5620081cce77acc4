// Optimizers as graph code with torch.optim's semantics (torch 1.13 single-tensor implementations). Scalar
// arithmetic (bias corrections, step sizes) runs in float64 like torch's Python floats and is cast to the
// parameter dtype where torch would convert a Python scalar; tensor arithmetic follows torch's operation order.
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Value } from '../ir/graph.js';
import { add, cast, div, equal, minimum, mul, pow, sqrt, sub, where } from '../ops/elementwise.js';
import { reduceSum } from '../ops/reduce.js';

/** Per-step scalars every optimizer sees: learning rate and the step number t (1 on the first step), float64. */
export interface StepScalars {
  lr: Value;
  t: Value;
  /** Per-parameter weight decay overriding the optimizer's (torch param groups). */
  weightDecay?: number;
}

export interface Optimizer {
  /** e.g. 'AdamW'; stored in the train-step metadata. */
  readonly name: string;
  /** Names of the per-parameter state tensors (same shape as the parameter), e.g. ['exp_avg', 'exp_avg_sq']. */
  readonly slots: readonly string[];
  /** New parameter and slot values from the parameter, its gradient and its slots. */
  update(s: StepScalars, param: Value, grad: Value, slots: readonly Value[]): { param: Value; slots: Value[] };
}

/** A float64 scalar expression cast to the tensor's dtype (torch converts Python floats this way). */
function asDtype(x: Value, like: Value): Value {
  return cast(x, like.dtype);
}

export interface SgdOptions {
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** torch.optim.SGD: the momentum buffer starts as the first gradient (not zero). */
export function sgd(o: SgdOptions = {}): Optimizer {
  const momentum = o.momentum ?? 0;
  const dampening = o.dampening ?? 0;
  const wd = o.weightDecay ?? 0;
  if (o.nesterov && (momentum <= 0 || dampening !== 0)) throw new Diff2in1Error('graph', 'SGD: nesterov needs momentum > 0 and dampening = 0 (as torch)');
  return {
    name: 'SGD',
    slots: momentum !== 0 ? ['momentum_buffer'] : [],
    update({ lr, t, weightDecay }, p, grad, slots) {
      const decay = weightDecay ?? wd;
      let d = decay !== 0 ? add(grad, mul(p, decay)) : grad;
      const bufs: Value[] = [];
      if (momentum !== 0) {
        const prev = slots[0]!;
        const first = equal(t, 1);
        const buf = where(first, d, add(mul(prev, momentum), mul(d, 1 - dampening)));
        bufs.push(buf);
        d = o.nesterov ? add(d, mul(buf, momentum)) : buf;
      }
      return { param: sub(p, mul(d, asDtype(lr, p))), slots: bufs };
    },
  };
}

export interface AdamOptions {
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

function adamCore(name: string, o: AdamOptions, decoupled: boolean, defaultWd: number): Optimizer {
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? defaultWd;
  return {
    name,
    slots: ['exp_avg', 'exp_avg_sq'],
    update({ lr, t, weightDecay }, p0, grad0, [m0, v0]) {
      let p = p0;
      let grad = grad0;
      const decay = weightDecay ?? wd;
      if (decay !== 0) {
        if (decoupled) p = mul(p, asDtype(sub(1, mul(lr, decay)), p)); // param.mul_(1 − lr·wd)
        else grad = add(grad, mul(p, decay)); // grad.add(param, alpha=wd)
      }
      const m = add(mul(m0!, b1), mul(grad, 1 - b1)); // exp_avg.mul_(β1).add_(grad, alpha=1−β1)
      const v = add(mul(v0!, b2), mul(mul(grad, 1 - b2), grad)); // exp_avg_sq.mul_(β2).addcmul_(g, g, value=1−β2)
      const bc1 = sub(1, pow(t.graph.scalar(b1, 'float64'), t));
      const bc2 = sub(1, pow(t.graph.scalar(b2, 'float64'), t));
      const stepSize = div(lr, bc1);
      const denom = add(div(sqrt(v), asDtype(sqrt(bc2), p)), eps); // (√v / √bc2).add_(eps)
      const next = sub(p, div(mul(m, asDtype(stepSize, p)), denom)); // param.addcdiv_(m, denom, value=−step_size)
      return { param: next, slots: [m, v] };
    },
  };
}

/** torch.optim.Adam (L2 weight decay added to the gradient). */
export const adam = (o: AdamOptions = {}): Optimizer => adamCore('Adam', o, false, 0);
/** torch.optim.AdamW (decoupled weight decay, default 0.01). */
export const adamW = (o: AdamOptions = {}): Optimizer => adamCore('AdamW', o, true, 0.01);

/**
 * torch.nn.utils.clip_grad_norm_ (norm type 2): scales all gradients by min(1, max_norm / (‖g‖ + 1e-6)),
 * ‖g‖ the norm over all of them. Returns the scaled gradients and the total norm (before clipping).
 */
export function clipGradNorm(grads: readonly Value[], maxNorm: number): { grads: Value[]; totalNorm: Value } {
  if (grads.length === 0) throw new Diff2in1Error('graph', 'clipGradNorm: no gradients');
  const sq = grads.map((d) => reduceSum(mul(d, d)));
  const total = sqrt(sq.length === 1 ? sq[0]! : sq.reduce((a, b) => add(a, b)));
  const coef = minimum(div(maxNorm, add(total, 1e-6)), 1);
  return { grads: grads.map((d) => mul(d, coef)), totalNorm: total };
}

