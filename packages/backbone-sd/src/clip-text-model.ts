// transformers models/clip/modeling_clip.py CLIPTextModel (text_model = CLIPTextTransformer), as SD uses it:
// token + position embeddings, pre-LN encoder layers with causal self-attention (q scaled by head_dim^-0.5,
// additive −∞ above the diagonal) and a quick_gelu (SD 1.x) or gelu (SD 2.x) MLP, final LayerNorm →
// last_hidden_state [B, S, hidden]. The pooled output (projection input) is not built: SD does not use it.
import { Module, ModuleList, type Value, causalMask, gelu, reshape, slice, spec, transpose } from '@diff2in1/graph';
import type { CLIPTextConfig } from './configs/clip-text.js';
import { Embedding, LayerNorm, Linear, type SdDType, castTo, scalarOf } from './layers.js';

export class CLIPTextEmbeddings extends Module {
  readonly token_embedding: Embedding;
  readonly position_embedding: Embedding;
  constructor(c: CLIPTextConfig, dtype: SdDType) {
    super();
    this.token_embedding = this.addModule('token_embedding', new Embedding(c.vocab_size, c.hidden_size, dtype));
    this.position_embedding = this.addModule('position_embedding', new Embedding(c.max_position_embeddings, c.hidden_size, dtype));
  }

  /** ids int64 [B, S] → [B, S, hidden]. */
  forward(ids: Value): Value {
    return this.scoped(ids, () => {
      const tok = this.token_embedding.forward(ids);
      const seq = ids.shape[1] as number;
      const table = ids.graph.param(this.position_embedding.weight);
      const pos = seq === table.shape[0] ? table : slice(table, { starts: [0], ends: [seq], axes: [0] });
      return tok.graph.node1('Add', [tok, pos], {}, spec(tok.dtype, tok.shape));
    });
  }
}

export class CLIPAttention extends Module {
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly q_proj: Linear;
  readonly out_proj: Linear;
  readonly headDim: number;
  constructor(readonly dim: number, readonly heads: number, dtype: SdDType) {
    super();
    this.headDim = dim / heads;
    this.k_proj = this.addModule('k_proj', new Linear(dim, dim, { dtype }));
    this.v_proj = this.addModule('v_proj', new Linear(dim, dim, { dtype }));
    this.q_proj = this.addModule('q_proj', new Linear(dim, dim, { dtype }));
    this.out_proj = this.addModule('out_proj', new Linear(dim, dim, { dtype }));
  }

  forward(x: Value, mask: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      const [b, s] = x.shape as [number | string, number];
      const { heads, headDim } = this;
      const split = (v: Value, perm: number[]): Value => transpose(reshape(v, [b, s, heads, headDim]), perm);
      const q = this.q_proj.forward(x);
      const qs = g.node1('Mul', [q, scalarOf(q, headDim ** -0.5)], {}, spec(q.dtype, q.shape));
      const scores = g.node1('MatMul', [split(qs, [0, 2, 1, 3]), split(this.k_proj.forward(x), [0, 2, 3, 1])], {}, spec(x.dtype, [b, heads, s, s]));
      const masked = g.node1('Add', [scores, castTo(mask, x.dtype)], {}, spec(x.dtype, scores.shape));
      const probs = g.node1('Softmax', [masked], { axis: { kind: 'int', value: -1 } }, spec(x.dtype, scores.shape));
      const o = g.node1('MatMul', [probs, split(this.v_proj.forward(x), [0, 2, 1, 3])], {}, spec(x.dtype, [b, heads, s, headDim]));
      return this.out_proj.forward(reshape(transpose(o, [0, 2, 1, 3]), [b, s, this.dim]));
    });
  }
}

export class CLIPMLP extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(dim: number, inner: number, readonly act: string, dtype: SdDType) {
    super();
    this.fc1 = this.addModule('fc1', new Linear(dim, inner, { dtype }));
    this.fc2 = this.addModule('fc2', new Linear(inner, dim, { dtype }));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const h = this.fc1.forward(x);
      const g = h.graph;
      let a: Value;
      if (this.act === 'quick_gelu') {
        // x · sigmoid(1.702 x)
        const sig = g.node1('Sigmoid', [g.node1('Mul', [h, scalarOf(h, 1.702)], {}, spec(h.dtype, h.shape))], {}, spec(h.dtype, h.shape));
        a = g.node1('Mul', [h, sig], {}, spec(h.dtype, h.shape));
      } else a = gelu(h);
      return this.fc2.forward(a);
    });
  }
}

export class CLIPEncoderLayer extends Module {
  readonly self_attn: CLIPAttention;
  readonly layer_norm1: LayerNorm;
  readonly mlp: CLIPMLP;
  readonly layer_norm2: LayerNorm;
  constructor(c: CLIPTextConfig, dtype: SdDType) {
    super();
    this.self_attn = this.addModule('self_attn', new CLIPAttention(c.hidden_size, c.num_attention_heads, dtype));
    this.layer_norm1 = this.addModule('layer_norm1', new LayerNorm(c.hidden_size, c.layer_norm_eps, dtype));
    this.mlp = this.addModule('mlp', new CLIPMLP(c.hidden_size, c.intermediate_size, c.hidden_act, dtype));
    this.layer_norm2 = this.addModule('layer_norm2', new LayerNorm(c.hidden_size, c.layer_norm_eps, dtype));
  }

  forward(x: Value, mask: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      const plus = (a: Value, b: Value): Value => g.node1('Add', [a, b], {}, spec(a.dtype, a.shape));
      const h = plus(x, this.self_attn.forward(this.layer_norm1.forward(x), mask));
      return plus(h, this.mlp.forward(this.layer_norm2.forward(h)));
    });
  }
}

export class CLIPEncoder extends Module {
  readonly layers: ModuleList<CLIPEncoderLayer>;
  constructor(c: CLIPTextConfig, dtype: SdDType) {
    super();
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: c.num_hidden_layers }, () => new CLIPEncoderLayer(c, dtype))));
  }
}

export class CLIPTextTransformer extends Module {
  readonly embeddings: CLIPTextEmbeddings;
  readonly encoder: CLIPEncoder;
  readonly final_layer_norm: LayerNorm;
  constructor(c: CLIPTextConfig, dtype: SdDType) {
    super();
    this.embeddings = this.addModule('embeddings', new CLIPTextEmbeddings(c, dtype));
    this.encoder = this.addModule('encoder', new CLIPEncoder(c, dtype));
    this.final_layer_norm = this.addModule('final_layer_norm', new LayerNorm(c.hidden_size, c.layer_norm_eps, dtype));
  }

  forward(ids: Value): Value {
    let h = this.embeddings.forward(ids);
    const mask = causalMask(ids.graph, ids.shape[1]!, 'float32');
    for (const layer of this.encoder.layers) h = layer.forward(h, mask);
    return this.final_layer_norm.forward(h);
  }
}

/** CLIPTextModel: ids int64 [B, S] → last_hidden_state [B, S, hidden]. */
export class CLIPTextModel extends Module {
  readonly text_model: CLIPTextTransformer;
  readonly dtype: SdDType;
  constructor(readonly config: CLIPTextConfig, o: { dtype?: SdDType } = {}) {
    super();
    this.dtype = o.dtype ?? 'float32';
    this.text_model = this.addModule('text_model', new CLIPTextTransformer(config, this.dtype));
  }

  forward(ids: Value): Value {
    return this.text_model.forward(ids);
  }
}
