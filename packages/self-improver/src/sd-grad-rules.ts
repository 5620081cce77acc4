// Gradient rules for two ONNX ops that @diff2in1/backbone-sd's modules emit directly and @diff2in1/graph has no
// registry rule for; needed to TRAIN the SD modules (pretrain-sd.ts). Each is registered only when the graph
// package has none, so an upstream rule takes precedence.
//
// InstanceNormalization (backbone-sd's GroupNorm: Reshape to [N, G, C/G·H·W] → InstanceNormalization → Reshape →
// affine, one fused ORT kernel):
//   y = x̂·γ_c + β_c,  x̂ = (x − μ)·r over the spatial axes of each (n, c),  r = 1/√(var + ε) (biased variance)
//   dx = r·(g' − mean(g') − x̂·mean(g'·x̂)) with g' = g·γ_c;  dγ = Σ_{n,spatial} g·x̂;  dβ = Σ_{n,spatial} g
//
// Reshape whose input carries a symbolic dimension LABEL such as '4*16' (backbone-sd's rawReshape names flattened
// dims that way even when they are static): graph's rule reshapes the gradient to the input's declared shape, which
// cannot express such a label. This rule is the same for all-numeric shapes and reads the shape at run time
// (Shape → Reshape) otherwise — it REPLACES graph's Reshape rule while this package is loaded (graph's Flatten /
// Squeeze / Unsqueeze rules are untouched).
//
// Resize, nearest with integer factors (backbone-sd's Upsample2D: mode 'nearest', 'asymmetric', 'floor', ×2): each
// input pixel feeds an fh×fw block, so its gradient is the block's sum (graph's interpolate attaches the same rule to
// its own nodes).
import { Diff2in1Error } from '@diff2in1/tensor';
import { type Node, type Value, add, hasVjp, mul, reciprocal, reduceMean, reduceSum, registerVjp, reshape, spec, sqrt, sub } from '@diff2in1/graph';

function epsilonOf(n: Node): number {
  const a = n.attrs.epsilon;
  return a && a.kind === 'float' ? a.value : 1e-5;
}

const str = (n: Node, k: string): string | undefined => {
  const a = n.attrs[k];
  return a && a.kind === 'string' ? a.value : undefined;
};

export function registerSdGradRules(): void {
  registerVjp('Reshape', (n, [gy]) => {
    const x = n.inputs[0]!;
    const g = gy!.graph;
    const numeric = x.shape.every((d) => typeof d === 'number');
    if (numeric && gy!.shape.every((d) => typeof d === 'number')) return [reshape(gy!, x.shape)];
    // A raw Reshape node: graph's reshape() rightly refuses to check element counts against a label like '4*16'.
    const target = numeric ? g.int64s(x.shape as number[]) : g.node1('Shape', [x], {}, spec('int64', [x.rank]));
    return [g.node1('Reshape', [gy!, target], {}, spec(gy!.dtype, x.shape))];
  });
  if (!hasVjp('Resize')) {
    registerVjp('Resize', (n, [gy]) => {
      const x = n.inputs[0]!;
      const [b, c, h, w] = x.shape as [number | string, number, number, number];
      const [ho, wo] = [gy!.shape[2] as number, gy!.shape[3] as number];
      if (str(n, 'mode') !== 'nearest' || str(n, 'coordinate_transformation_mode') !== 'asymmetric' || x.rank !== 4 || ho % h !== 0 || wo % w !== 0) {
        throw new Diff2in1Error('graph', `Resize gradient (self-improver rule): only nearest 'asymmetric' upsampling by integer factors is supported, got ${n.name} ${x} → [${gy!.shape.join(', ')}]`);
      }
      return [reshape(reduceSum(reshape(gy!, [b, c, h, ho / h, w, wo / w]), [3, 5]), [b, c, h, w])];
    });
  }
  if (hasVjp('InstanceNormalization')) return;
  registerVjp('InstanceNormalization', (n, [gy], want) => {
    const [x, scale] = [n.inputs[0]!, n.inputs[1]!];
    const c = x.shape[1] as number;
    const spatial = x.shape.map((_, i) => i).filter((i) => i >= 2);
    const outer = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const view = (t: Value): Value => reshape(t, [c, ...new Array<number>(x.rank - 2).fill(1)]);
    const mu = reduceMean(x, spatial, true);
    const d = sub(x, mu);
    const r = reciprocal(sqrt(add(reduceMean(mul(d, d), spatial, true), epsilonOf(n))));
    const xhat = mul(d, r);
    const g = gy!;
    let dx: Value | undefined;
    if (want[0]) {
      const gh = mul(g, view(scale));
      dx = mul(r, sub(sub(gh, reduceMean(gh, spatial, true)), mul(xhat, reduceMean(mul(gh, xhat), spatial, true))));
    }
    return [dx, want[1] ? reduceSum(mul(g, xhat), outer) : undefined, want[2] ? reduceSum(g, outer) : undefined];
  });
}

registerSdGradRules();
