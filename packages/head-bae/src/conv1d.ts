// A kernel-size-1 torch.nn.Conv1d (weight [out, in, 1], bias [out], torch's default init): the per-point MLP
// layers of Bae et al.'s decoder, applied to [N, C, L] as one MatMul.
import { Module, type Param, type UnaryModule, type Value, add, fanInBiasInit, kaimingUniformInit, matmul, reshape } from '@diff2in1/graph';
import { Diff2in1Error } from '@diff2in1/tensor';

export class PointConv1d extends Module implements UnaryModule {
  readonly weight: Param;
  readonly bias: Param;

  constructor(readonly inChannels: number, readonly outChannels: number) {
    super();
    const ws = [outChannels, inChannels, 1];
    this.weight = this.registerParameter('weight', ws, kaimingUniformInit(Math.sqrt(5)));
    this.bias = this.registerParameter('bias', [outChannels], fanInBiasInit(ws));
  }

  forward(x: Value): Value {
    if (x.rank !== 3 || x.shape[1] !== this.inChannels) throw new Diff2in1Error('head-bae', `Conv1d '${this.path}': expected [N, ${this.inChannels}, L], got ${x}`);
    return this.scoped(x, () => {
      const g = x.graph;
      const w = reshape(g.param(this.weight), [this.outChannels, this.inChannels]);
      return add(matmul(w, x), reshape(g.param(this.bias), [this.outChannels, 1]));
    });
  }
}
