// torch.nn.GroupNorm and LayerNorm (torch/nn/modules/normalization.py).
import type { Value } from '../ir/graph.js';
import type { Param } from '../ir/param.js';
import { groupNorm, layerNorm } from '../ops/norm.js';
import { onesInit, zerosInit } from './init.js';
import { Module, type UnaryModule } from './module.js';

export class GroupNorm extends Module implements UnaryModule {
  readonly weight: Param | undefined;
  readonly bias: Param | undefined;

  constructor(readonly numGroups: number, readonly numChannels: number, readonly o: { eps?: number; affine?: boolean } = {}) {
    super();
    const affine = o.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', [numChannels], onesInit()) : undefined;
    this.bias = affine ? this.registerParameter('bias', [numChannels], zerosInit()) : undefined;
  }

  forward(x: Value): Value {
    const g = x.graph;
    return this.scoped(x, () => groupNorm(x, this.numGroups, this.weight && g.param(this.weight), this.bias && g.param(this.bias), this.o.eps ?? 1e-5));
  }
}

export class LayerNorm extends Module implements UnaryModule {
  readonly weight: Param | undefined;
  readonly bias: Param | undefined;
  readonly normalizedShape: number[];

  constructor(normalizedShape: number | readonly number[], readonly o: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const affine = o.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', this.normalizedShape, onesInit()) : undefined;
    this.bias = affine && o.bias !== false ? this.registerParameter('bias', this.normalizedShape, zerosInit()) : undefined;
  }

  forward(x: Value): Value {
    const g = x.graph;
    return this.scoped(x, () => layerNorm(x, this.normalizedShape.length, this.weight && g.param(this.weight), this.bias && g.param(this.bias), this.o.eps ?? 1e-5));
  }
}
