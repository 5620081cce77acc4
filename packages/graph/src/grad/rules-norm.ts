// Gradient rules of the fused normalisation ops (LayerNormalization, BatchNormalization in inference mode).
// GroupNorm and training-mode BatchNorm are built from primitive ops and need no rule of their own.
import type { Node, Value } from '../ir/graph.js';
import { add, cast, mul, sqrt, sub, reciprocal } from '../ops/elementwise.js';
import { reduceMean, reduceSum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { registerVjp } from './autodiff.js';

/** A ConstantOfShape filled with 1 (how groupNorm passes LayerNormalization a unit scale). */
function isOnes(v: Value): boolean {
  const p = v.producer;
  const a = p?.attrs.value;
  return !!p && p.opType === 'ConstantOfShape' && !!a && a.kind === 'tensor' && Number(a.value.data[0]) === 1;
}

const floatAttr = (n: Node, k: string, d: number): number => {
  const a = n.attrs[k];
  return a && a.kind === 'float' ? a.value : d;
};

// y = x̂·γ + β with x̂ = (x − μ)·r over axes [axis, rank); the op outputs μ and r (Mean, InvStdDev).
registerVjp('LayerNormalization', (n, [gy], want) => {
  const [x, scale, bias] = [n.inputs[0]!, n.inputs[1]!, n.inputs[2]];
  const a = n.attrs.axis;
  const axis = a && a.kind === 'int' ? (a.value < 0 ? a.value + x.rank : a.value) : x.rank - 1;
  const norm = x.shape.map((_, i) => i).filter((i) => i >= axis);
  const lead = x.shape.map((_, i) => i).filter((i) => i < axis);
  const rstd = cast(n.outputs[2]!, x.dtype);
  // With a unit scale and no bias (groupNorm's use) the output already is x̂.
  const unit = !bias && isOnes(scale);
  const xhat = unit ? n.outputs[0]! : mul(sub(x, cast(n.outputs[1]!, x.dtype)), rstd);
  const g = gy!;
  let dx: Value | undefined;
  if (want[0]) {
    const gh = unit ? g : mul(g, scale);
    dx = mul(rstd, sub(sub(gh, reduceMean(gh, norm, true)), mul(xhat, reduceMean(mul(gh, xhat), norm, true))));
  }
  const sumLead = (t: Value): Value => (lead.length ? reduceSum(t, lead) : t);
  return [dx, want[1] ? sumLead(mul(g, xhat)) : undefined, want[2] && bias ? sumLead(g) : undefined];
});

// Inference-mode BatchNormalization: y = (x − mean)/√(var + ε)·γ + β with fixed statistics.
registerVjp('BatchNormalization', (n, [gy], want) => {
  const [x, scale, , mean, variance] = n.inputs.map((v) => v!) as [Value, Value, Value, Value, Value];
  const c = x.shape[1]!;
  const view = (t: Value): Value => reshape(t, [c, ...new Array<number>(x.rank - 2).fill(1)]);
  const rstd = reciprocal(sqrt(add(variance, floatAttr(n, 'epsilon', 1e-5))));
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const g = gy!;
  return [
    want[0] ? mul(g, view(mul(scale, rstd))) : undefined,
    want[1] ? reduceSum(mul(g, mul(sub(x, view(mean)), view(rstd))), axes) : undefined,
    want[2] ? reduceSum(g, axes) : undefined,
    undefined,
    undefined,
  ];
});
