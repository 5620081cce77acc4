// norm_normalize (Bae et al.; official ldm/models/submodules.py): channels 0–2 divided by their norm + 1e-10,
// channel 3 → κ = elu(k) + 1 + 0.01. Works on [N, 4, ...].
import { type Value, add, concat, div, elu, mul, reduceSum, slice, sqrt } from '@diff2in1/graph';

export const MIN_KAPPA = 0.01;

export function normNormalize(x: Value): Value {
  const xyz = slice(x, { starts: [0], ends: [3], axes: [1] });
  const k = slice(x, { starts: [3], ends: [4], axes: [1] });
  const norm = add(sqrt(reduceSum(mul(xyz, xyz), [1], true)), 1e-10);
  return concat([div(xyz, norm), add(add(elu(k), 1), MIN_KAPPA)], 1); // (elu + 1.0) + 0.01, as upstream rounds it
}
