// diffusers v0.25.0 models/attention_processor.py Attention (with AttnProcessor's computation) and
// models/attention.py BasicTransformerBlock / FeedForward, models/activations.py GEGLU — the parts SD uses.
//
// Attention: q = to_q(x), k = to_k(ctx), v = to_v(ctx) split into `heads` heads of `dimHead`;
// softmax(q·kᵀ · dimHead^-0.5)·v (scores in float32 with upcast_attention, softmax in float32 with
// upcast_softmax), heads merged, to_out.0 (Linear with bias; to_out.1 is Dropout). The VAE's mid-block attention
// (`_from_deprecated_attn_block`) adds a GroupNorm on the input, a residual connection and rescale_output_factor.
//
// Two graph forms with the same numbers: 'matmul' (Reshape/Transpose/MatMul/Softmax/MatMul, any dtype, any EP)
// and 'mha' (one com.microsoft.MultiHeadAttention node, ORT's fused CPU/CUDA kernel, used for float32 without
// upcasting since the kernel's softmax runs in the input dtype).
import { Module, ModuleList, type Value, attr, chunk, gelu, reshape, spec, transpose } from '@diff2in1/graph';
import { Diff2in1Error } from '@diff2in1/tensor';
import { GroupNorm, LayerNorm, Linear, type SdDType, castTo, scalarOf } from './layers.js';

export type AttentionImpl = 'matmul' | 'mha';
export const ATTENTION_IMPLS: readonly AttentionImpl[] = ['matmul', 'mha'];

export interface AttentionOptions {
  queryDim: number;
  /** Width of the context (keys/values); default queryDim (self-attention). */
  crossAttentionDim?: number;
  heads: number;
  dimHead: number;
  /** Bias on to_q / to_k / to_v (the VAE's attention has it, the UNet's does not). */
  bias?: boolean;
  upcastAttention?: boolean;
  upcastSoftmax?: boolean;
  /** GroupNorm(groups, queryDim, eps) on the input (VAE). */
  normGroups?: number;
  eps?: number;
  residualConnection?: boolean;
  rescaleOutputFactor?: number;
  dtype?: SdDType;
  impl?: AttentionImpl;
}

/** Placeholder for torch.nn.Dropout (no parameters, identity at inference). */
class Dropout extends Module {}

export class Attention extends Module {
  readonly group_norm: GroupNorm | undefined;
  readonly to_q: Linear;
  readonly to_k: Linear;
  readonly to_v: Linear;
  readonly to_out: ModuleList<Module>;
  readonly heads: number;
  readonly dimHead: number;
  readonly scale: number;

  constructor(readonly o: AttentionOptions) {
    super();
    const dtype = o.dtype ?? 'float32';
    const inner = o.heads * o.dimHead;
    const bias = o.bias ?? false;
    this.heads = o.heads;
    this.dimHead = o.dimHead;
    this.scale = 1 / Math.sqrt(o.dimHead);
    this.group_norm = o.normGroups === undefined ? undefined : this.addModule('group_norm', new GroupNorm(o.normGroups, o.queryDim, o.eps ?? 1e-5));
    this.to_q = this.addModule('to_q', new Linear(o.queryDim, inner, { bias, dtype }));
    this.to_k = this.addModule('to_k', new Linear(o.crossAttentionDim ?? o.queryDim, inner, { bias, dtype }));
    this.to_v = this.addModule('to_v', new Linear(o.crossAttentionDim ?? o.queryDim, inner, { bias, dtype }));
    this.to_out = this.addModule('to_out', new ModuleList<Module>([new Linear(inner, o.queryDim, { dtype }), new Dropout()]));
  }

  /** x [B, L, queryDim] (or [B, C, H, W] for the VAE form), context [B, S, crossAttentionDim] → same shape as x. */
  forward(x: Value, context?: Value): Value {
    return this.scoped(x, () => {
      const spatial = x.rank === 4;
      const [b, c, hh, ww] = x.shape as [number | string, number, number, number];
      let h = this.group_norm ? this.group_norm.forward(x) : x;
      if (spatial) h = transpose(reshape(h, [b, c, hh * ww]), [0, 2, 1]);
      const ctx = context ?? h;
      const q = this.to_q.forward(h);
      const k = this.to_k.forward(ctx);
      const v = this.to_v.forward(ctx);
      let out = (this.to_out.at(0) as Linear).forward(this.attend(q, k, v));
      if (spatial) out = reshape(transpose(out, [0, 2, 1]), [b, c, hh, ww]);
      if (this.o.residualConnection) out = out.graph.node1('Add', [out, x], {}, spec(x.dtype, x.shape));
      const r = this.o.rescaleOutputFactor ?? 1;
      if (r !== 1) throw new Diff2in1Error('graph', `${this.path}: rescale_output_factor ${r} is not supported (SD uses 1)`);
      return out;
    });
  }

  /** Multi-head attention core: q [B, L, h·d], k / v [B, S, h·d] → [B, L, h·d]. */
  private attend(q: Value, k: Value, v: Value): Value {
    const g = q.graph;
    const { heads, dimHead } = this;
    const [b, l] = q.shape as [number | string, number];
    const s = k.shape[1] as number;
    // Upcasting only changes float16 graphs; float32 ones may use the fused kernel whatever the flags say.
    const upcast = q.dtype !== 'float32' && (this.o.upcastAttention === true || this.o.upcastSoftmax === true);
    if ((this.o.impl ?? 'matmul') === 'mha' && !upcast && q.dtype === 'float32') {
      return g.node1('MultiHeadAttention', [q, k, v], { num_heads: attr.int(heads), scale: attr.float(this.scale) }, spec(q.dtype, q.shape), { domain: 'com.microsoft' });
    }
    const q4 = transpose(reshape(q, [b, l, heads, dimHead]), [0, 2, 1, 3]);
    const kT = transpose(reshape(k, [b, s, heads, dimHead]), [0, 2, 3, 1]);
    const v4 = transpose(reshape(v, [b, s, heads, dimHead]), [0, 2, 1, 3]);
    const scoreType = this.o.upcastAttention ? 'float32' : q.dtype;
    const qs = castTo(q4, scoreType);
    let scores = g.node1('MatMul', [qs, castTo(kT, scoreType)], {}, spec(scoreType, [b, heads, l, s]));
    scores = g.node1('Mul', [scores, scalarOf(scores, this.scale)], {}, spec(scoreType, scores.shape));
    if (this.o.upcastSoftmax) scores = castTo(scores, 'float32');
    const probs = castTo(g.node1('Softmax', [scores], { axis: attr.int(-1) }, spec(scores.dtype, scores.shape)), v.dtype);
    const o4 = g.node1('MatMul', [probs, v4], {}, spec(v.dtype, [b, heads, l, dimHead]));
    return reshape(transpose(o4, [0, 2, 1, 3]), [b, l, heads * dimHead]);
  }
}

/** GEGLU: proj → (h, gate) halves → h · gelu(gate) (exact erf GELU). */
export class GEGLU extends Module {
  readonly proj: Linear;
  constructor(dimIn: number, dimOut: number, dtype: SdDType = 'float32') {
    super();
    this.proj = this.addModule('proj', new Linear(dimIn, dimOut * 2, { dtype }));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const [h, gate] = chunk(this.proj.forward(x), 2, -1) as [Value, Value];
      return h.graph.node1('Mul', [h, gelu(gate)], {}, spec(h.dtype, h.shape));
    });
  }
}

/** FeedForward with activation "geglu": net = [GEGLU(dim, 4·dim), Dropout, Linear(4·dim, dim)]. */
export class FeedForward extends Module {
  readonly net: ModuleList<Module>;
  constructor(dim: number, mult = 4, dtype: SdDType = 'float32') {
    super();
    const inner = dim * mult;
    this.net = this.addModule('net', new ModuleList<Module>([new GEGLU(dim, inner, dtype), new Dropout(), new Linear(inner, dim, { dtype })]));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => (this.net.at(2) as Linear).forward((this.net.at(0) as GEGLU).forward(x)));
  }
}

export interface BasicTransformerBlockOptions {
  dim: number;
  heads: number;
  dimHead: number;
  crossAttentionDim: number;
  upcastAttention?: boolean;
  dtype?: SdDType;
  impl?: AttentionImpl;
}

/** BasicTransformerBlock (norm_type "layer_norm"): x += attn1(norm1(x)); x += attn2(norm2(x), ctx); x += ff(norm3(x)). */
export class BasicTransformerBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn1: Attention;
  readonly norm2: LayerNorm;
  readonly attn2: Attention;
  readonly norm3: LayerNorm;
  readonly ff: FeedForward;

  constructor(o: BasicTransformerBlockOptions) {
    super();
    const dtype = o.dtype ?? 'float32';
    const common = { queryDim: o.dim, heads: o.heads, dimHead: o.dimHead, upcastAttention: o.upcastAttention ?? false, dtype, impl: o.impl ?? 'matmul' };
    this.norm1 = this.addModule('norm1', new LayerNorm(o.dim, 1e-5, dtype));
    this.attn1 = this.addModule('attn1', new Attention(common));
    this.norm2 = this.addModule('norm2', new LayerNorm(o.dim, 1e-5, dtype));
    this.attn2 = this.addModule('attn2', new Attention({ ...common, crossAttentionDim: o.crossAttentionDim }));
    this.norm3 = this.addModule('norm3', new LayerNorm(o.dim, 1e-5, dtype));
    this.ff = this.addModule('ff', new FeedForward(o.dim, 4, dtype));
  }

  forward(x: Value, context: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      const plus = (a: Value, b: Value): Value => g.node1('Add', [a, b], {}, spec(a.dtype, a.shape));
      let h = plus(this.attn1.forward(this.norm1.forward(x)), x);
      h = plus(this.attn2.forward(this.norm2.forward(h), context), h);
      return plus(this.ff.forward(this.norm3.forward(h)), h);
    });
  }
}
