// torch.nn.MultiheadAttention (torch/nn/modules/activation.py, F.multi_head_attention_forward) with packed
// in-projection: in_proj_weight [3E, E] (xavier_uniform), in_proj_bias [3E] (zeros), out_proj Linear(E, E)
// with its bias zeroed. Queries are scaled by 1/√head_dim before Q·Kᵀ, as torch does.
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Value } from '../ir/graph.js';
import type { Param } from '../ir/param.js';
import { add, mul, where } from '../ops/elementwise.js';
import { softmax } from '../ops/activations.js';
import { linear, matmul } from '../ops/linalg.js';
import { reduceMean } from '../ops/reduce.js';
import { reshape, slice, transpose, unsqueeze } from '../ops/shape.js';
import { xavierUniformInit, zerosInit } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface MultiheadAttentionOptions {
  bias?: boolean;
  /** Inputs as [N, L, E] (true) or torch's default [L, N, E] (false). */
  batchFirst?: boolean;
}

export interface AttentionMasks {
  /** [L, S] or [N·heads, L, S]: bool (true = not allowed, torch's convention) or float (added to the scores). */
  attnMask?: Value;
  /** [N, S] bool, true = padding key to ignore. */
  keyPaddingMask?: Value;
  /** Also return the attention weights averaged over heads, [N, L, S]. */
  needWeights?: boolean;
}

export class MultiheadAttention extends Module {
  readonly inProjWeight: Param;
  readonly inProjBias: Param | undefined;
  readonly outProj: Linear;
  readonly headDim: number;

  constructor(readonly embedDim: number, readonly numHeads: number, readonly o: MultiheadAttentionOptions = {}) {
    super();
    if (embedDim % numHeads !== 0) throw new Diff2in1Error('graph', `MultiheadAttention: embed_dim ${embedDim} must be divisible by num_heads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    this.inProjWeight = this.registerParameter('in_proj_weight', [3 * embedDim, embedDim], xavierUniformInit());
    this.inProjBias = o.bias === false ? undefined : this.registerParameter('in_proj_bias', [3 * embedDim], zerosInit());
    this.outProj = this.addModule('out_proj', new Linear(embedDim, embedDim, { bias: o.bias !== false }));
    if (this.outProj.bias) this.outProj.bias.init = zerosInit();
  }

  /** Returns the attention output (and, with needWeights, the head-averaged attention weights). */
  forward(query: Value, key: Value, value: Value, m: AttentionMasks = {}): { output: Value; weights?: Value } {
    return this.scoped(query, () => {
      const g = query.graph;
      const e = this.embedDim;
      const toBatchFirst = (t: Value): Value => (this.o.batchFirst ? t : transpose(t, [1, 0, 2]));
      const [q, k, v] = [query, key, value].map(toBatchFirst) as [Value, Value, Value];
      const w = g.param(this.inProjWeight);
      const b = this.inProjBias && g.param(this.inProjBias);
      const part = (t: Value, i: number): Value => {
        const wi = slice(w, { starts: [i * e], ends: [(i + 1) * e], axes: [0] });
        const bi = b && slice(b, { starts: [i * e], ends: [(i + 1) * e], axes: [0] });
        const y = linear(t, wi, bi); // [N, L, E]
        return transpose(reshape(y, [y.shape[0]!, y.shape[1]!, this.numHeads, this.headDim]), [0, 2, 1, 3]); // [N, H, L, D]
      };
      const qh = mul(part(q, 0), 1 / Math.sqrt(this.headDim));
      const kh = part(k, 1);
      const vh = part(v, 2);
      let scores = matmul(qh, transpose(kh, [0, 1, 3, 2])); // [N, H, L, S]
      if (m.attnMask) {
        const am = m.attnMask.rank === 3 ? reshape(m.attnMask, [scores.shape[0]!, this.numHeads, scores.shape[2]!, scores.shape[3]!]) : m.attnMask;
        scores = am.dtype === 'bool' ? where(am, -Infinity, scores) : add(scores, am);
      }
      if (m.keyPaddingMask) scores = where(unsqueeze(m.keyPaddingMask, [1, 2]), -Infinity, scores);
      const attn = softmax(scores, -1);
      const ctx = transpose(matmul(attn, vh), [0, 2, 1, 3]); // [N, L, H, D]
      const merged = reshape(ctx, [ctx.shape[0]!, ctx.shape[1]!, e]);
      const out = this.outProj.forward(merged);
      const output = this.o.batchFirst ? out : transpose(out, [1, 0, 2]);
      return m.needWeights ? { output, weights: reduceMean(attn, 1) } : { output };
    });
  }
}
