// SNConv2d of the official Diff-2-in-1 code (ldm/models/sn_module.py, after BigGAN's layers.py): a Conv2d whose
// weight is divided by an estimate of its largest singular value, from one power iteration per forward on the
// stored left singular vector `u0` (num_svs = 1, num_itrs = 1):
//   W = weight.view(out, −1);  v = normalize(u0·W);  u = normalize(v·Wᵀ);  σ = v·Wᵀ·uᵀ;  conv(x, weight / σ, bias)
// normalize(x) = x / max(‖x‖, eps). u and v are computed without gradient; σ carries the gradient of W.
// The iteration runs in eval mode too, it just does not store its result. In training mode `u0` ← u and
// `sv0` ← σ (sv0 is only logged upstream) — buffer updates recorded with g.setBuffer, like BatchNorm's stats.
import { Module, type Param, type Value, conv, fanInBiasInit, kaimingUniformInit, matmul, maximum, mul, div, reduceSum, reshape, sqrt, stopGradient, transpose } from '@diff2in1/graph';
import { type Rng, Tensor } from '@diff2in1/tensor';

export interface SNConv2dOptions {
  kernelSize?: number;
  padding?: number;
  bias?: boolean;
  /** Upstream passes eps=1e-4 to every SNConv2d of SNmodule (F.normalize's floor). */
  eps?: number;
  /** Draws the initial u0 (torch.randn(1, out_channels) upstream). */
  rng: Rng;
}

/** x / max(‖x‖₂, eps) over the last axis of a [1, n] row (torch.nn.functional.normalize). */
function normalizeRow(x: Value, eps: number): Value {
  return div(x, maximum(sqrt(reduceSum(mul(x, x), [1], true)), eps));
}

export class SNConv2d extends Module {
  readonly weight: Param;
  readonly bias: Param | undefined;
  readonly u0: Param;
  readonly sv0: Param;
  readonly kernelSize: number;
  readonly padding: number;
  readonly eps: number;

  constructor(readonly inChannels: number, readonly outChannels: number, o: SNConv2dOptions) {
    super();
    this.kernelSize = o.kernelSize ?? 3;
    this.padding = o.padding ?? 0;
    this.eps = o.eps ?? 1e-12;
    const ws = [outChannels, inChannels, this.kernelSize, this.kernelSize];
    this.weight = this.registerParameter('weight', ws, kaimingUniformInit(Math.sqrt(5)));
    this.bias = o.bias === false ? undefined : this.registerParameter('bias', [outChannels], fanInBiasInit(ws));
    const u = new Tensor('float32', [1, outChannels]);
    o.rng.fillNormal(u.data, 0, 1);
    this.u0 = this.registerBuffer('u0', u);
    const sv = new Tensor('float32', [1]);
    sv.data.fill(1);
    this.sv0 = this.registerBuffer('sv0', sv);
  }

  /** The spectrally normalised weight for this forward (and, in training mode, the u0/sv0 updates). */
  normalizedWeight(like: Value): Value {
    const g = like.graph;
    const w = g.param(this.weight);
    const wm = reshape(w, [this.outChannels, -1]);
    const u0 = stopGradient(g.param(this.u0));
    const v = stopGradient(normalizeRow(matmul(u0, wm), this.eps)); // [1, in·k²]
    const u = stopGradient(normalizeRow(matmul(v, transpose(wm, [1, 0])), this.eps)); // [1, out]
    const sigma = reshape(reduceSum(mul(matmul(v, transpose(wm, [1, 0])), u)), [1]); // v·Wᵀ·uᵀ, differentiable in W
    if (this.training) {
      g.setBuffer(this.u0, u);
      g.setBuffer(this.sv0, stopGradient(sigma));
    }
    return div(w, sigma);
  }

  forward(x: Value): Value {
    return this.scoped(x, () => conv(x, this.normalizedWeight(x), this.bias ? x.graph.param(this.bias) : null, { padding: this.padding }));
  }
}
