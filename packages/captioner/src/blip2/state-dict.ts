// The parameters of transformers' Blip2ForConditionalGeneration (modeling_blip_2.py) with an OPT language model
// (modeling_opt.py): names and shapes as its state_dict has them, in module registration order. Loading weights
// is then a name lookup in the safetensors shards.
import type { Blip2Config } from './configuration-blip-2.js';

export interface ExpectedParam {
  name: string;
  shape: number[];
  /** Tied to another parameter (saved once): safetensors checkpoints may omit this name. */
  tiedTo?: string;
}

function linear(out: ExpectedParam[], prefix: string, inF: number, outF: number, bias = true): void {
  out.push({ name: `${prefix}.weight`, shape: [outF, inF] });
  if (bias) out.push({ name: `${prefix}.bias`, shape: [outF] });
}

function layerNorm(out: ExpectedParam[], prefix: string, n: number): void {
  out.push({ name: `${prefix}.weight`, shape: [n] }, { name: `${prefix}.bias`, shape: [n] });
}

/** Blip2VisionModel: patch conv + [CLS] + learned positions, pre-LN encoder layers, post_layernorm. */
function visionModel(out: ExpectedParam[], c: Blip2Config): void {
  const v = c.vision_config;
  const h = v.hidden_size;
  const positions = (v.image_size / v.patch_size) ** 2 + 1;
  out.push(
    { name: 'vision_model.embeddings.class_embedding', shape: [1, 1, h] },
    { name: 'vision_model.embeddings.patch_embedding.weight', shape: [h, v.num_channels, v.patch_size, v.patch_size] },
    { name: 'vision_model.embeddings.patch_embedding.bias', shape: [h] },
    { name: 'vision_model.embeddings.position_embedding', shape: [1, positions, h] },
  );
  for (let i = 0; i < v.num_hidden_layers; i++) {
    const p = `vision_model.encoder.layers.${i}`;
    out.push({ name: `${p}.self_attn.qkv.weight`, shape: [3 * h, h] }); // Linear without bias
    if (v.qkv_bias) out.push({ name: `${p}.self_attn.q_bias`, shape: [h] }, { name: `${p}.self_attn.v_bias`, shape: [h] });
    linear(out, `${p}.self_attn.projection`, h, h);
    layerNorm(out, `${p}.layer_norm1`, h);
    linear(out, `${p}.mlp.fc1`, h, v.intermediate_size);
    linear(out, `${p}.mlp.fc2`, v.intermediate_size, h);
    layerNorm(out, `${p}.layer_norm2`, h);
  }
  layerNorm(out, 'vision_model.post_layernorm', h);
}

function qformerAttention(out: ExpectedParam[], p: string, h: number, kvIn: number): void {
  linear(out, `${p}.attention.query`, h, h);
  linear(out, `${p}.attention.key`, kvIn, h);
  linear(out, `${p}.attention.value`, kvIn, h);
  linear(out, `${p}.output.dense`, h, h);
  layerNorm(out, `${p}.output.LayerNorm`, h);
}

/** Blip2QFormerModel: layernorm on the query embeddings, BERT layers with cross-attention every n-th layer. */
function qformer(out: ExpectedParam[], c: Blip2Config): void {
  const q = c.qformer_config;
  const h = q.hidden_size;
  layerNorm(out, 'qformer.layernorm', h);
  for (let i = 0; i < q.num_hidden_layers; i++) {
    const p = `qformer.encoder.layer.${i}`;
    qformerAttention(out, `${p}.attention`, h, h);
    if (i % q.cross_attention_frequency === 0) qformerAttention(out, `${p}.crossattention`, h, q.encoder_hidden_size);
    if (q.use_qformer_text_input) {
      linear(out, `${p}.intermediate.dense`, h, q.intermediate_size);
      linear(out, `${p}.output.dense`, q.intermediate_size, h);
      layerNorm(out, `${p}.output.LayerNorm`, h);
    }
    linear(out, `${p}.intermediate_query.dense`, h, q.intermediate_size);
    linear(out, `${p}.output_query.dense`, q.intermediate_size, h);
    layerNorm(out, `${p}.output_query.LayerNorm`, h);
  }
}

/** OPTForCausalLM: learned positions (offset 2), pre- or post-LN decoder layers, lm_head tied to embed_tokens. */
function optForCausalLM(out: ExpectedParam[], c: Blip2Config): void {
  const t = c.text_config;
  const h = t.hidden_size;
  const d = 'language_model.model.decoder';
  const ln = (prefix: string): void => {
    if (t.layer_norm_elementwise_affine) layerNorm(out, prefix, h);
  };
  out.push(
    { name: `${d}.embed_tokens.weight`, shape: [t.vocab_size, t.word_embed_proj_dim] },
    // OPTLearnedPositionalEmbedding(num_embeddings + offset 2, ...)
    { name: `${d}.embed_positions.weight`, shape: [t.max_position_embeddings + 2, h] },
  );
  if (t.word_embed_proj_dim !== h) {
    linear(out, `${d}.project_out`, h, t.word_embed_proj_dim, false);
    linear(out, `${d}.project_in`, t.word_embed_proj_dim, h, false);
  }
  if (t.do_layer_norm_before && !t._remove_final_layer_norm) ln(`${d}.final_layer_norm`);
  for (let i = 0; i < t.num_hidden_layers; i++) {
    const p = `${d}.layers.${i}`;
    for (const proj of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) linear(out, `${p}.self_attn.${proj}`, h, h, t.enable_bias);
    ln(`${p}.self_attn_layer_norm`);
    linear(out, `${p}.fc1`, h, t.ffn_dim, t.enable_bias);
    linear(out, `${p}.fc2`, t.ffn_dim, h, t.enable_bias);
    ln(`${p}.final_layer_norm`);
  }
  const head: ExpectedParam = { name: 'language_model.lm_head.weight', shape: [t.vocab_size, t.word_embed_proj_dim] };
  if (t.tie_word_embeddings) head.tiedTo = `${d}.embed_tokens.weight`;
  out.push(head);
}

/** Every parameter of Blip2ForConditionalGeneration for `config`, in registration order. */
export function expectedBlip2StateDict(config: Blip2Config): ExpectedParam[] {
  const out: ExpectedParam[] = [];
  visionModel(out, config);
  out.push({ name: 'query_tokens', shape: [1, config.num_query_tokens, config.qformer_config.hidden_size] });
  qformer(out, config);
  linear(out, 'language_projection', config.qformer_config.hidden_size, config.text_config.hidden_size);
  optForCausalLM(out, config);
  return out;
}

/** Number of parameters (tied ones counted once). */
export function countParameters(params: readonly ExpectedParam[]): number {
  let n = 0;
  for (const p of params) if (p.tiedTo === undefined) n += p.shape.reduce((a, b) => a * b, 1);
  return n;
}
