// BLIP-2's vision transformer and Q-Former as @diff2in1/graph modules (transformers modeling_blip_2.py:
// Blip2VisionEmbeddings, Blip2Attention, Blip2MLP, Blip2EncoderLayer, Blip2VisionModel, Blip2QFormerMultiHeadAttention,
// Blip2QFormerSelfOutput, Blip2QFormerAttention, Blip2QFormerIntermediate, Blip2QFormerOutput, Blip2QFormerLayer,
// Blip2QFormerModel). Member names are the state_dict keys; inference only (dropout is the identity).
import { Tensor } from '@diff2in1/tensor';
import {
  Conv2d, LayerNorm, Linear, Module, ModuleList, add, concat, div, expand, gelu, matmul, mul, reshape, softmax, split,
  squeeze, transpose, zerosInit,
} from '@diff2in1/graph';
import type { Param, Value } from '@diff2in1/graph';
import type { Blip2QFormerConfig, Blip2VisionConfig } from './configuration-blip-2.js';

/** [B, L, heads·d] → [B, heads, L, d]. */
export function splitHeads(x: Value, heads: number): Value {
  const d = (x.shape[2] as number) / heads;
  return transpose(reshape(x, [x.shape[0]!, x.shape[1]!, heads, d]), [0, 2, 1, 3]);
}

/** [B, heads, L, d] → [B, L, heads·d]. */
export function mergeHeads(x: Value): Value {
  const t = transpose(x, [0, 2, 1, 3]);
  return reshape(t, [t.shape[0]!, t.shape[1]!, (t.shape[2] as number) * (t.shape[3] as number)]);
}

/** Patch conv, [CLS] prepended, learned positions added. */
export class Blip2VisionEmbeddings extends Module {
  readonly class_embedding: Param;
  readonly patch_embedding: Conv2d;
  readonly position_embedding: Param;

  constructor(readonly c: Blip2VisionConfig) {
    super();
    const h = c.hidden_size;
    const n = (c.image_size / c.patch_size) ** 2;
    this.class_embedding = this.registerParameter('class_embedding', [1, 1, h], zerosInit());
    this.patch_embedding = this.addModule('patch_embedding', new Conv2d(c.num_channels, h, c.patch_size, { stride: c.patch_size }));
    this.position_embedding = this.registerParameter('position_embedding', [1, n + 1, h], zerosInit());
  }

  forward(pixelValues: Value): Value {
    return this.scoped(pixelValues, () => {
      const g = pixelValues.graph;
      const p = this.patch_embedding.forward(pixelValues); // [B, h, g, g]
      const b = p.shape[0]!;
      const flat = transpose(reshape(p, [b, this.c.hidden_size, -1]), [0, 2, 1]); // [B, N, h]
      const cls = expand(g.param(this.class_embedding), [b, 1, this.c.hidden_size]);
      return add(concat([cls, flat], 1), g.param(this.position_embedding));
    });
  }
}

/** Multi-head self-attention with one bias-free qkv Linear plus a bias cat(q_bias, 0, v_bias). */
export class Blip2Attention extends Module {
  readonly qkv: Linear;
  readonly q_bias: Param | undefined;
  readonly v_bias: Param | undefined;
  readonly projection: Linear;

  constructor(readonly c: Blip2VisionConfig) {
    super();
    const h = c.hidden_size;
    this.qkv = this.addModule('qkv', new Linear(h, 3 * h, { bias: false }));
    this.q_bias = c.qkv_bias ? this.registerParameter('q_bias', [h], zerosInit()) : undefined;
    this.v_bias = c.qkv_bias ? this.registerParameter('v_bias', [h], zerosInit()) : undefined;
    this.projection = this.addModule('projection', new Linear(h, h));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      const h = this.c.hidden_size;
      const heads = this.c.num_attention_heads;
      const d = h / heads;
      let mixed = matmul(x, transpose(g.param(this.qkv.weight), [1, 0]));
      if (this.q_bias && this.v_bias) mixed = add(mixed, concat([g.param(this.q_bias), g.constant(new Tensor('float32', [h])), g.param(this.v_bias)], 0));
      const [b, l] = [x.shape[0]!, x.shape[1]!];
      const qkv = transpose(reshape(mixed, [b, l, 3, heads, d]), [2, 0, 3, 1, 4]); // [3, B, heads, L, d]
      const [q, k, v] = split(qkv, [1, 1, 1], 0).map((t) => squeeze(t, 0)) as [Value, Value, Value];
      const probs = softmax(mul(matmul(q, transpose(k, [0, 1, 3, 2])), d ** -0.5), -1);
      return this.projection.forward(mergeHeads(matmul(probs, v)));
    });
  }
}

export class Blip2MLP extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(c: Blip2VisionConfig) {
    super();
    this.fc1 = this.addModule('fc1', new Linear(c.hidden_size, c.intermediate_size));
    this.fc2 = this.addModule('fc2', new Linear(c.intermediate_size, c.hidden_size));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => this.fc2.forward(gelu(this.fc1.forward(x))));
  }
}

/** Pre-LayerNorm block: x + attn(LN1(x)), then + mlp(LN2(·)). */
export class Blip2EncoderLayer extends Module {
  readonly self_attn: Blip2Attention;
  readonly layer_norm1: LayerNorm;
  readonly mlp: Blip2MLP;
  readonly layer_norm2: LayerNorm;

  constructor(c: Blip2VisionConfig) {
    super();
    this.self_attn = this.addModule('self_attn', new Blip2Attention(c));
    this.layer_norm1 = this.addModule('layer_norm1', new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps }));
    this.mlp = this.addModule('mlp', new Blip2MLP(c));
    this.layer_norm2 = this.addModule('layer_norm2', new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps }));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const h = add(x, this.self_attn.forward(this.layer_norm1.forward(x)));
      return add(h, this.mlp.forward(this.layer_norm2.forward(h)));
    });
  }
}

class Blip2Encoder extends Module {
  readonly layers: ModuleList<Blip2EncoderLayer>;

  constructor(c: Blip2VisionConfig) {
    super();
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: c.num_hidden_layers }, () => new Blip2EncoderLayer(c))));
  }
}

/** pixel_values [B, 3, S, S] → last_hidden_state [B, N+1, hidden] (post_layernorm applied, as BLIP-2 uses it). */
export class Blip2VisionModel extends Module {
  readonly embeddings: Blip2VisionEmbeddings;
  readonly encoder: Blip2Encoder;
  readonly post_layernorm: LayerNorm;

  constructor(c: Blip2VisionConfig) {
    super();
    this.embeddings = this.addModule('embeddings', new Blip2VisionEmbeddings(c));
    this.encoder = this.addModule('encoder', new Blip2Encoder(c));
    this.post_layernorm = this.addModule('post_layernorm', new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps }));
  }

  forward(pixelValues: Value): Value {
    return this.scoped(pixelValues, () => {
      let x = this.embeddings.forward(pixelValues);
      for (const layer of this.encoder.layers) x = layer.forward(x);
      return this.post_layernorm.forward(x);
    });
  }
}

/** BERT attention scores: (Q·Kᵀ)/√d, softmax, ·V; keys/values from `source` (the image for cross-attention). */
export class Blip2QFormerMultiHeadAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;

  constructor(readonly c: Blip2QFormerConfig, kvIn: number) {
    super();
    this.query = this.addModule('query', new Linear(c.hidden_size, c.hidden_size));
    this.key = this.addModule('key', new Linear(kvIn, c.hidden_size));
    this.value = this.addModule('value', new Linear(kvIn, c.hidden_size));
  }

  forward(x: Value, source: Value): Value {
    return this.scoped(x, () => {
      const heads = this.c.num_attention_heads;
      const q = splitHeads(this.query.forward(x), heads);
      const k = splitHeads(this.key.forward(source), heads);
      const v = splitHeads(this.value.forward(source), heads);
      const scores = div(matmul(q, transpose(k, [0, 1, 3, 2])), Math.sqrt(this.c.hidden_size / heads));
      return mergeHeads(matmul(softmax(scores, -1), v));
    });
  }
}

/** dense, then LayerNorm(· + residual) (post-LN). Also Blip2QFormerOutput (the FFN output). */
export class Blip2QFormerSelfOutput extends Module {
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;

  constructor(c: Blip2QFormerConfig, inFeatures: number) {
    super();
    this.dense = this.addModule('dense', new Linear(inFeatures, c.hidden_size));
    this.LayerNorm = this.addModule('LayerNorm', new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps }));
  }

  forward(x: Value, residual: Value): Value {
    return this.scoped(x, () => this.LayerNorm.forward(add(this.dense.forward(x), residual)));
  }
}

export class Blip2QFormerAttention extends Module {
  readonly attention: Blip2QFormerMultiHeadAttention;
  readonly output: Blip2QFormerSelfOutput;

  constructor(c: Blip2QFormerConfig, kvIn: number) {
    super();
    this.attention = this.addModule('attention', new Blip2QFormerMultiHeadAttention(c, kvIn));
    this.output = this.addModule('output', new Blip2QFormerSelfOutput(c, c.hidden_size));
  }

  forward(x: Value, source: Value = x): Value {
    return this.scoped(x, () => this.output.forward(this.attention.forward(x, source), x));
  }
}

class Blip2QFormerIntermediate extends Module {
  readonly dense: Linear;

  constructor(c: Blip2QFormerConfig) {
    super();
    this.dense = this.addModule('dense', new Linear(c.hidden_size, c.intermediate_size));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => gelu(this.dense.forward(x)));
  }
}

/** Self-attention over the queries, cross-attention to the image every n-th layer, then the query FFN. */
export class Blip2QFormerLayer extends Module {
  readonly attention: Blip2QFormerAttention;
  readonly crossattention: Blip2QFormerAttention | undefined;
  readonly intermediate_query: Blip2QFormerIntermediate;
  readonly output_query: Blip2QFormerSelfOutput;

  constructor(c: Blip2QFormerConfig, layerIdx: number) {
    super();
    this.attention = this.addModule('attention', new Blip2QFormerAttention(c, c.hidden_size));
    this.crossattention = layerIdx % c.cross_attention_frequency === 0
      ? this.addModule('crossattention', new Blip2QFormerAttention(c, c.encoder_hidden_size))
      : undefined;
    this.intermediate_query = this.addModule('intermediate_query', new Blip2QFormerIntermediate(c));
    this.output_query = this.addModule('output_query', new Blip2QFormerSelfOutput(c, c.intermediate_size));
  }

  forward(x: Value, imageEmbeds: Value): Value {
    return this.scoped(x, () => {
      let h = this.attention.forward(x);
      if (this.crossattention) h = this.crossattention.forward(h, imageEmbeds);
      return this.output_query.forward(this.intermediate_query.forward(h), h);
    });
  }
}

class Blip2QFormerEncoder extends Module {
  readonly layer: ModuleList<Blip2QFormerLayer>;

  constructor(c: Blip2QFormerConfig) {
    super();
    this.layer = this.addModule('layer', new ModuleList(Array.from({ length: c.num_hidden_layers }, (_, i) => new Blip2QFormerLayer(c, i))));
  }
}

/** query embeddings [B, Q, h] + image features [B, N, enc] → last_hidden_state [B, Q, h]. */
export class Blip2QFormerModel extends Module {
  readonly layernorm: LayerNorm;
  readonly encoder: Blip2QFormerEncoder;

  constructor(c: Blip2QFormerConfig) {
    super();
    this.layernorm = this.addModule('layernorm', new LayerNorm(c.hidden_size, { eps: c.layer_norm_eps }));
    this.encoder = this.addModule('encoder', new Blip2QFormerEncoder(c));
  }

  forward(queryEmbeds: Value, imageEmbeds: Value): Value {
    return this.scoped(queryEmbeds, () => {
      let x = this.layernorm.forward(queryEmbeds);
      for (const layer of this.encoder.layer) x = layer.forward(x, imageEmbeds);
      return x;
    });
  }
}
