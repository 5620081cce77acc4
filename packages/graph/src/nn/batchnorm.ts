// torch.nn.BatchNorm2d (torch/nn/modules/batchnorm.py). In training mode the graph normalises with batch
// statistics and records the new running_mean / running_var / num_batches_tracked with `g.setBuffer`; a
// training step graph returns them as outputs.
import { Tensor } from '@diff2in1/tensor';
import type { Value } from '../ir/graph.js';
import type { Param } from '../ir/param.js';
import { add } from '../ops/elementwise.js';
import { batchNorm } from '../ops/norm.js';
import { onesInit, zerosInit } from './init.js';
import { Module, type UnaryModule } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  /** torch default 0.1 (cumulative averaging, momentum=None, is not supported). */
  momentum?: number;
  affine?: boolean;
}

export class BatchNorm2d extends Module implements UnaryModule {
  readonly weight: Param | undefined;
  readonly bias: Param | undefined;
  readonly runningMean: Param;
  readonly runningVar: Param;
  readonly numBatchesTracked: Param;

  constructor(readonly numFeatures: number, readonly o: BatchNormOptions = {}) {
    super();
    const affine = o.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', [numFeatures], onesInit()) : undefined;
    this.bias = affine ? this.registerParameter('bias', [numFeatures], zerosInit()) : undefined;
    this.runningMean = this.registerBuffer('running_mean', new Tensor('float32', [numFeatures]));
    const rv = new Tensor('float32', [numFeatures]);
    rv.data.fill(1);
    this.runningVar = this.registerBuffer('running_var', rv);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', new Tensor('int64', []));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      const w = this.weight ? g.param(this.weight) : null;
      const b = this.bias ? g.param(this.bias) : null;
      const r = batchNorm(x, g.param(this.runningMean), g.param(this.runningVar), w, b, { training: this.training, momentum: this.o.momentum ?? 0.1, eps: this.o.eps ?? 1e-5 });
      if (this.training) {
        g.setBuffer(this.runningMean, r.runningMean!);
        g.setBuffer(this.runningVar, r.runningVar!);
        g.setBuffer(this.numBatchesTracked, add(g.param(this.numBatchesTracked), 1));
      }
      return r.y;
    });
  }
}

