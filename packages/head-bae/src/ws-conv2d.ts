// The weight-standardised Conv2d of Bae et al. (surface_normal_uncertainty, models/submodules; used as
// `Conv2d` in the official Diff-2-in-1 ldm/models/submodules.py): before every convolution the weight is
// centred per output channel (mean over in × kH × kW) and divided by its unbiased standard deviation + 1e-10.
// Parameter names and default init are torch.nn.Conv2d's.
import { Module, type Param, type UnaryModule, type Value, add, conv, div, fanInBiasInit, kaimingUniformInit, mul, reduceMean, reduceSum, reshape, sqrt, sub } from '@diff2in1/graph';

export class WSConv2d extends Module implements UnaryModule {
  readonly weight: Param;
  readonly bias: Param;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize = 3, readonly padding = 1) {
    super();
    const ws = [outChannels, inChannels, kernelSize, kernelSize];
    this.weight = this.registerParameter('weight', ws, kaimingUniformInit(Math.sqrt(5)));
    this.bias = this.registerParameter('bias', [outChannels], fanInBiasInit(ws));
  }

  /** (w − mean) / (std_unbiased + 1e-10), per output channel. */
  standardizedWeight(w: Value): Value {
    const n = this.inChannels * this.kernelSize * this.kernelSize;
    const flat = reshape(w, [this.outChannels, n]);
    const centred = sub(flat, reduceMean(flat, [1], true));
    const std = sqrt(div(reduceSum(mul(centred, centred), [1], true), n - 1));
    return reshape(div(centred, add(std, 1e-10)), w.shape);
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      return conv(x, this.standardizedWeight(g.param(this.weight)), g.param(this.bias), { padding: this.padding });
    });
  }
}
