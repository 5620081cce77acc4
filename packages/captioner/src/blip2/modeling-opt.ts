// OPT as @diff2in1/graph modules (transformers modeling_opt.py: OPTAttention, OPTDecoderLayer, OPTDecoder, OPTModel,
// OPTForCausalLM), for decoding with a key/value cache. Member names are the state_dict keys.
//
// The graph (see Blip2Graphs) takes the new positions' embeddings, their position ids, an additive attention bias
// [B, 1, T, P+T] (causal + padding, 0 or float32-min, what transformers' 4-D mask holds) and the past keys/values
// [B, heads, P, d] of every layer; it returns logits [B, T, vocab] and the presents [B, heads, P+T, d].
// Positions use OPT's learned table with its offset of 2 rows (OPTLearnedPositionalEmbedding).
import { Diff2in1Error } from '@diff2in1/tensor';
import {
  Embedding, LayerNorm, Linear, Module, ModuleList, add, attr, gather, matmul, mul, relu, softmax, spec, transpose,
} from '@diff2in1/graph';
import type { Value } from '@diff2in1/graph';
import { mergeHeads, splitHeads } from './modeling-blip-2.js';
import type { OPTConfig } from './configuration-blip-2.js';

/** Symbols of the decoder graph's dynamic axes. */
export const OPT_DIMS = { batch: 'batch_size', seq: 'sequence_length', past: 'past_sequence_length', total: 'total_sequence_length' } as const;

export interface KV {
  key: Value;
  value: Value;
}

/** Concatenates along axis 2 where both lengths are symbolic (past ++ new = total). */
function concatTime(past: Value, now: Value): Value {
  const shape = [now.shape[0]!, now.shape[1]!, OPT_DIMS.total, now.shape[3]!];
  return past.graph.node1('Concat', [past, now], { axis: attr.int(2) }, spec(now.dtype, shape));
}

export class OPTAttention extends Module {
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly q_proj: Linear;
  readonly out_proj: Linear;

  constructor(readonly c: OPTConfig) {
    super();
    const h = c.hidden_size;
    const bias = { bias: c.enable_bias };
    this.k_proj = this.addModule('k_proj', new Linear(h, h, bias));
    this.v_proj = this.addModule('v_proj', new Linear(h, h, bias));
    this.q_proj = this.addModule('q_proj', new Linear(h, h, bias));
    this.out_proj = this.addModule('out_proj', new Linear(h, h, bias));
  }

  /** Returns the output and the present key/value (past ++ new). */
  forward(x: Value, bias: Value, past: KV): { out: Value; present: KV } {
    return this.scoped(x, () => {
      const heads = this.c.num_attention_heads;
      const d = this.c.hidden_size / heads;
      const q = splitHeads(mul(this.q_proj.forward(x), d ** -0.5), heads); // queries scaled before Q·Kᵀ, as OPT does
      const key = concatTime(past.key, splitHeads(this.k_proj.forward(x), heads));
      const value = concatTime(past.value, splitHeads(this.v_proj.forward(x), heads));
      const probs = softmax(add(matmul(q, transpose(key, [0, 1, 3, 2])), bias), -1);
      return { out: this.out_proj.forward(mergeHeads(matmul(probs, value))), present: { key, value } };
    });
  }
}

export class OPTDecoderLayer extends Module {
  readonly self_attn: OPTAttention;
  readonly self_attn_layer_norm: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly final_layer_norm: LayerNorm;

  constructor(readonly c: OPTConfig) {
    super();
    const ln = { elementwiseAffine: c.layer_norm_elementwise_affine };
    this.self_attn = this.addModule('self_attn', new OPTAttention(c));
    this.self_attn_layer_norm = this.addModule('self_attn_layer_norm', new LayerNorm(c.hidden_size, ln));
    this.fc1 = this.addModule('fc1', new Linear(c.hidden_size, c.ffn_dim, { bias: c.enable_bias }));
    this.fc2 = this.addModule('fc2', new Linear(c.ffn_dim, c.hidden_size, { bias: c.enable_bias }));
    this.final_layer_norm = this.addModule('final_layer_norm', new LayerNorm(c.hidden_size, ln));
  }

  forward(x: Value, bias: Value, past: KV): { out: Value; present: KV } {
    return this.scoped(x, () => {
      const pre = this.c.do_layer_norm_before;
      const a = this.self_attn.forward(pre ? this.self_attn_layer_norm.forward(x) : x, bias, past);
      let h = add(x, a.out);
      if (!pre) h = this.self_attn_layer_norm.forward(h);
      const f = this.fc2.forward(relu(this.fc1.forward(pre ? this.final_layer_norm.forward(h) : h)));
      let out = add(h, f);
      if (!pre) out = this.final_layer_norm.forward(out);
      return { out, present: a.present };
    });
  }
}

export class OPTDecoder extends Module {
  readonly embed_tokens: Embedding;
  readonly embed_positions: Embedding;
  readonly final_layer_norm: LayerNorm | undefined;
  readonly layers: ModuleList<OPTDecoderLayer>;

  constructor(readonly c: OPTConfig) {
    super();
    if (c.word_embed_proj_dim !== c.hidden_size) {
      // BLIP-2 concatenates language_projection outputs (hidden_size wide) with token embeddings, so they must match.
      throw new Diff2in1Error('config', `text_config.word_embed_proj_dim ${c.word_embed_proj_dim} differs from hidden_size ${c.hidden_size}; BLIP-2 needs them equal (project_in/project_out are not supported)`);
    }
    this.embed_tokens = this.addModule('embed_tokens', new Embedding(c.vocab_size, c.word_embed_proj_dim, { paddingIdx: c.pad_token_id }));
    this.embed_positions = this.addModule('embed_positions', new Embedding(c.max_position_embeddings + 2, c.hidden_size));
    this.final_layer_norm = c.do_layer_norm_before && !c._remove_final_layer_norm
      ? this.addModule('final_layer_norm', new LayerNorm(c.hidden_size, { elementwiseAffine: c.layer_norm_elementwise_affine }))
      : undefined;
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: c.num_hidden_layers }, () => new OPTDecoderLayer(c))));
  }

  /** Token ids → embeddings [B, T, wepd]. */
  embed(ids: Value): Value {
    return this.embed_tokens.forward(ids);
  }

  /** Embeddings [B, T, h] at `positionIds` [B, T] → final hidden states and the presents of every layer. */
  forward(inputsEmbeds: Value, positionIds: Value, bias: Value, pasts: readonly KV[]): { hidden: Value; presents: KV[] } {
    return this.scoped(inputsEmbeds, () => {
      const g = inputsEmbeds.graph;
      const pos = gather(g.param(this.embed_positions.weight), add(positionIds, g.scalar(2, 'int64')), 0);
      let h = add(inputsEmbeds, pos);
      const presents: KV[] = [];
      let i = 0;
      for (const layer of this.layers) {
        const r = layer.forward(h, bias, pasts[i++]!);
        h = r.out;
        presents.push(r.present);
      }
      if (this.final_layer_norm) h = this.final_layer_norm.forward(h);
      return { hidden: h, presents };
    });
  }
}

export class OPTModel extends Module {
  readonly decoder: OPTDecoder;

  constructor(c: OPTConfig) {
    super();
    this.decoder = this.addModule('decoder', new OPTDecoder(c));
  }
}

/** lm_head is tied to embed_tokens (tie_word_embeddings), so logits = hidden · embed_tokensᵀ. */
export class OPTForCausalLM extends Module {
  readonly model: OPTModel;

  constructor(readonly c: OPTConfig) {
    super();
    if (!c.tie_word_embeddings) throw new Diff2in1Error('config', 'text_config.tie_word_embeddings is false; only the tied lm_head of the blip2-opt checkpoints is supported');
    this.model = this.addModule('model', new OPTModel(c));
  }

  logits(hidden: Value): Value {
    return this.scoped(hidden, () => matmul(hidden, transpose(hidden.graph.param(this.model.decoder.embed_tokens.weight), [1, 0])));
  }
}
