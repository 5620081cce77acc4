// torch.nn.Linear (torch/nn/modules/linear.py).
import type { Value } from '../ir/graph.js';
import type { Param } from '../ir/param.js';
import { linear } from '../ops/linalg.js';
import { fanInBiasInit, kaimingUniformInit } from './init.js';
import { Module, type UnaryModule } from './module.js';

export class Linear extends Module implements UnaryModule {
  readonly weight: Param;
  readonly bias: Param | undefined;

  constructor(readonly inFeatures: number, readonly outFeatures: number, o: { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter('weight', [outFeatures, inFeatures], kaimingUniformInit(Math.sqrt(5)));
    this.bias = o.bias === false ? undefined : this.registerParameter('bias', [outFeatures], fanInBiasInit([outFeatures, inFeatures]));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => linear(x, x.graph.param(this.weight), this.bias ? x.graph.param(this.bias) : undefined));
  }
}
