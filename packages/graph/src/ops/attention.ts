// Scaled dot-product attention and causal masks, written with MatMul/Softmax so autodiff covers them.
import { Tensor } from '@diff2in1/tensor';
import { type GraphBuilder, type Value, attr, spec } from '../ir/graph.js';
import { type Dim, graphError } from '../ir/shape.js';
import { add, mul, where } from './elementwise.js';
import { matmul } from './linalg.js';
import { softmax } from './activations.js';
import { transpose } from './shape.js';

/**
 * Additive causal mask [L, L]: 0 on and below the diagonal, −∞ above (CLIP's `build_causal_attention_mask`).
 * A symbolic L is built at run time with Trilu.
 */
export function causalMask(g: GraphBuilder, length: Dim, dtype: 'float32' | 'float64' = 'float32'): Value {
  if (typeof length === 'number') {
    const t = new Tensor(dtype, [length, length]);
    for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) t.data[i * length + j] = -Infinity;
    return g.constant(t);
  }
  const shape = g.shapeOf([length, length]);
  const ones = g.node1('ConstantOfShape', [shape], { value: attr.tensor(new Tensor('float32', [1], Float32Array.of(1))) }, spec('float32', [length, length]));
  const upper = g.node1('Trilu', [ones, g.scalar(1, 'int64')], { upper: attr.int(1) }, spec('float32', [length, length]));
  const above = g.node1('Cast', [upper], { to: attr.int(9) }, spec('bool', [length, length]));
  return where(above, -Infinity, g.scalar(0, dtype));
}

export interface AttentionOptions {
  /** Added to the scores (broadcast to [..., L, S]); a bool mask keeps positions where true. */
  mask?: Value;
  /** Apply a causal mask (query i attends to keys ≤ i; needs L = S). */
  causal?: boolean;
  /** Default 1/√E. */
  scale?: number;
}

/** torch.nn.functional.scaled_dot_product_attention: softmax(Q·Kᵀ·scale + mask)·V over the last two axes. */
export function scaledDotProductAttention(q: Value, k: Value, v: Value, o: AttentionOptions = {}): Value {
  const op = 'Attention';
  if (q.rank < 2 || k.rank !== q.rank || v.rank !== q.rank) throw graphError(op, `q, k, v must share a rank ≥ 2, got ${q}, ${k}, ${v}`);
  const e = q.shape[q.rank - 1];
  if (typeof e !== 'number') throw graphError(op, `head dimension of ${q} must be static`);
  const perm = q.shape.map((_, i) => i);
  perm[q.rank - 2] = q.rank - 1;
  perm[q.rank - 1] = q.rank - 2;
  let scores = mul(matmul(q, transpose(k, perm)), o.scale ?? 1 / Math.sqrt(e));
  if (o.causal) scores = add(scores, causalMask(q.graph, q.shape[q.rank - 2]!, q.dtype === 'float64' ? 'float64' : 'float32'));
  if (o.mask) scores = o.mask.dtype === 'bool' ? where(o.mask, scores, -Infinity) : add(scores, o.mask);
  return matmul(softmax(scores, -1), v);
}
