// torch.nn.Embedding (torch/nn/modules/sparse.py): weight ~ N(0, 1), the padding_idx row zeroed.
import type { Value } from '../ir/graph.js';
import type { Param } from '../ir/param.js';
import { gather } from '../ops/indexing.js';
import { normalInit } from './init.js';
import { Module } from './module.js';

export class Embedding extends Module {
  readonly weight: Param;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, readonly o: { paddingIdx?: number } = {}) {
    super();
    const pi = o.paddingIdx;
    this.weight = this.registerParameter('weight', [numEmbeddings, embeddingDim], (shape, rng) => {
      const t = normalInit()(shape, rng);
      if (pi !== undefined) {
        const row = pi < 0 ? pi + numEmbeddings : pi;
        (t.data as Float32Array).fill(0, row * embeddingDim, (row + 1) * embeddingDim);
      }
      return t;
    });
  }

  /** Looks up rows for integer ids of any shape → [...ids.shape, embeddingDim]. */
  forward(ids: Value): Value {
    return this.scoped(ids, () => gather(ids.graph.param(this.weight), ids, 0));
  }
}
