// BLIP-2 configuration with transformers' config.json keys (configuration_blip_2.py: Blip2VisionConfig,
// Blip2QFormerConfig, Blip2Config; configuration_opt.py: OPTConfig), the defaults transformers fills in for keys a
// config.json leaves out, named configs for Salesforce/blip2-opt-2.7b, and a tiny test config.
import { Diff2in1Error } from '@diff2in1/tensor';

/** Blip2VisionConfig (EVA ViT-g in BLIP-2). */
export interface Blip2VisionConfig {
  model_type: 'blip_2_vision_model';
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_channels: number;
  image_size: number;
  patch_size: number;
  /** 'gelu' = exact erf GELU. */
  hidden_act: string;
  layer_norm_eps: number;
  attention_dropout: number;
  initializer_range: number;
  /** q_bias and v_bias parameters (k has no bias). */
  qkv_bias: boolean;
}

/** Blip2QFormerConfig (a BERT encoder whose every `cross_attention_frequency`-th layer cross-attends to the image). */
export interface Blip2QFormerConfig {
  model_type: 'blip_2_qformer';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  initializer_range: number;
  layer_norm_eps: number;
  pad_token_id: number;
  position_embedding_type: 'absolute' | 'relative_key' | 'relative_key_query';
  cross_attention_frequency: number;
  /** Width of the image features cross-attended to; Blip2Config sets it to vision_config.hidden_size. */
  encoder_hidden_size: number;
  /** Newer transformers: text input to the Q-Former (adds `intermediate`/`output` FFNs); false for captioning. */
  use_qformer_text_input: boolean;
}

/** OPTConfig (the language model of the blip2-opt checkpoints). */
export interface OPTConfig {
  model_type: 'opt';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  ffn_dim: number;
  max_position_embeddings: number;
  /** Pre-LayerNorm blocks (true for every OPT size except 350m). */
  do_layer_norm_before: boolean;
  _remove_final_layer_norm: boolean;
  /** Token-embedding width; project_in/project_out exist when it differs from hidden_size (opt-350m). */
  word_embed_proj_dim: number;
  activation_function: string;
  enable_bias: boolean;
  layer_norm_elementwise_affine: boolean;
  dropout: number;
  attention_dropout: number;
  layerdrop: number;
  init_std: number;
  use_cache: boolean;
  pad_token_id: number;
  bos_token_id: number;
  eos_token_id: number;
  tie_word_embeddings: boolean;
}

export interface Blip2Config {
  model_type: 'blip-2';
  vision_config: Blip2VisionConfig;
  qformer_config: Blip2QFormerConfig;
  text_config: OPTConfig;
  num_query_tokens: number;
  /** Newer checkpoints: the `<image>` placeholder token the processor repeats num_query_tokens times. */
  image_token_index?: number;
  use_decoder_only_language_model: boolean;
  initializer_factor: number;
  initializer_range: number;
}

type Json = Record<string, unknown>;

/** Blip2VisionConfig.__init__ defaults (transformers ≥ 4.28: layer_norm_eps 1e-6, as EVA ViT-g). */
export const BLIP2_VISION_DEFAULTS: Blip2VisionConfig = {
  model_type: 'blip_2_vision_model', hidden_size: 1408, intermediate_size: 6144, num_hidden_layers: 39,
  num_attention_heads: 16, num_channels: 3, image_size: 224, patch_size: 14, hidden_act: 'gelu', layer_norm_eps: 1e-6,
  attention_dropout: 0, initializer_range: 1e-10, qkv_bias: true,
};

/** Blip2QFormerConfig.__init__ defaults. */
export const BLIP2_QFORMER_DEFAULTS: Blip2QFormerConfig = {
  model_type: 'blip_2_qformer', vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
  intermediate_size: 3072, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512, initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0,
  position_embedding_type: 'absolute', cross_attention_frequency: 2, encoder_hidden_size: 1408,
  use_qformer_text_input: false,
};

/** OPTConfig.__init__ defaults (word_embed_proj_dim defaults to hidden_size; tie_word_embeddings from PretrainedConfig). */
export const OPT_DEFAULTS: Omit<OPTConfig, 'word_embed_proj_dim'> = {
  model_type: 'opt', vocab_size: 50272, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
  ffn_dim: 3072, max_position_embeddings: 2048, do_layer_norm_before: true, _remove_final_layer_norm: false,
  activation_function: 'relu', enable_bias: true, layer_norm_elementwise_affine: true, dropout: 0.1,
  attention_dropout: 0, layerdrop: 0, init_std: 0.02, use_cache: true, pad_token_id: 1, bos_token_id: 2,
  eos_token_id: 2, tie_word_embeddings: true,
};

function pick<T extends object>(defaults: T, given: Json, where: string): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, d] of Object.entries(defaults)) {
    const v = given[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== typeof d) {
      throw new Diff2in1Error('config', `${where}.${k} must be a ${typeof d}, got ${JSON.stringify(v)}`);
    }
    out[k] = v;
  }
  return out as T;
}

function sub(json: Json, key: string): Json {
  const v = json[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Diff2in1Error('config', `${key} must be an object`);
  return v as Json;
}

/**
 * Fills a config.json object the way Blip2Config(**json) does: missing keys take transformers' defaults, and
 * qformer_config.encoder_hidden_size is set to vision_config.hidden_size. Only OPT language models are supported.
 */
export function parseBlip2Config(json: unknown, file?: string): Blip2Config {
  const where = (msg: string): Diff2in1Error => new Diff2in1Error('config', msg, file === undefined ? {} : { file });
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw where('config.json must be a JSON object');
  const j = json as Json;
  if (j.model_type !== 'blip-2') throw where(`model_type is ${JSON.stringify(j.model_type)}; this reader handles 'blip-2' (Blip2ForConditionalGeneration)`);
  try {
    const textJson = sub(j, 'text_config');
    const textType = textJson.model_type ?? 'opt';
    if (textType !== 'opt') throw where(`text_config.model_type is ${JSON.stringify(textType)}; supported: 'opt' (blip2-opt-*); the flan-t5 variants are encoder-decoder models and are not supported`);
    const vision = pick(BLIP2_VISION_DEFAULTS, sub(j, 'vision_config'), 'vision_config');
    const qformer = pick(BLIP2_QFORMER_DEFAULTS, sub(j, 'qformer_config'), 'qformer_config');
    qformer.encoder_hidden_size = vision.hidden_size;
    const optBase = pick(OPT_DEFAULTS, textJson, 'text_config');
    const wepd = textJson.word_embed_proj_dim;
    const text: OPTConfig = { ...optBase, word_embed_proj_dim: typeof wepd === 'number' ? wepd : optBase.hidden_size };
    const config: Blip2Config = {
      model_type: 'blip-2', vision_config: vision, qformer_config: qformer, text_config: text,
      num_query_tokens: typeof j.num_query_tokens === 'number' ? j.num_query_tokens : 32,
      use_decoder_only_language_model: true,
      initializer_factor: typeof j.initializer_factor === 'number' ? j.initializer_factor : 1,
      initializer_range: typeof j.initializer_range === 'number' ? j.initializer_range : 0.02,
    };
    if (typeof j.image_token_index === 'number') config.image_token_index = j.image_token_index;
    checkBlip2Config(config);
    return config;
  } catch (e) {
    if (e instanceof Diff2in1Error && file !== undefined && e.file === undefined) throw where(e.message);
    throw e;
  }
}

/** Divisibility and range checks transformers would hit at model construction. */
export function checkBlip2Config(c: Blip2Config): void {
  const v = c.vision_config, q = c.qformer_config, t = c.text_config;
  const problems: string[] = [];
  if (v.hidden_size % v.num_attention_heads) problems.push(`vision_config.hidden_size ${v.hidden_size} is not divisible by num_attention_heads ${v.num_attention_heads}`);
  if (v.image_size % v.patch_size) problems.push(`vision_config.image_size ${v.image_size} is not divisible by patch_size ${v.patch_size}`);
  if (q.hidden_size % q.num_attention_heads) problems.push(`qformer_config.hidden_size ${q.hidden_size} is not divisible by num_attention_heads ${q.num_attention_heads}`);
  if (q.cross_attention_frequency < 1) problems.push('qformer_config.cross_attention_frequency must be ≥ 1');
  if (q.position_embedding_type !== 'absolute') problems.push(`qformer_config.position_embedding_type '${q.position_embedding_type}' is not supported; one of: absolute`);
  if (t.hidden_size % t.num_attention_heads) problems.push(`text_config.hidden_size ${t.hidden_size} is not divisible by num_attention_heads ${t.num_attention_heads}`);
  if (t.activation_function !== 'relu') problems.push(`text_config.activation_function '${t.activation_function}' is not supported; one of: relu`);
  if (!Number.isSafeInteger(c.num_query_tokens) || c.num_query_tokens < 1) problems.push('num_query_tokens must be a positive integer');
  if (problems.length) throw new Diff2in1Error('config', problems.join('; '));
}

/**
 * Salesforce/blip2-opt-2.7b as its config.json describes it today (revision with `image_token_index` 50265 and
 * text_config.vocab_size 50304, saved by transformers 4.46; the `<image>` token was added and the embeddings
 * padded to 50304). Values not in that file are the class defaults above: vision 1408 wide, 39 layers, 16 heads,
 * patch 14, image 224, MLP 6144, eps 1e-6; Q-Former 768 wide, 12 layers, 12 heads, MLP 3072, cross-attention
 * every 2nd layer, encoder_hidden_size 1408; 32 query tokens; OPT-2.7b: 2560 wide, 32 layers, 32 heads, ffn
 * 10240, word_embed_proj_dim 2560, eos 50118 ("\n"), 2048 positions.
 * Source: https://huggingface.co/Salesforce/blip2-opt-2.7b/blob/main/config.json (values cross-checked against
 * copies of it on the Hub, e.g. qcee/wd, phucd/blip-gqa-ft).
 */
export const BLIP2_OPT_2_7B: Blip2Config = parseBlip2Config({
  model_type: 'blip-2', num_query_tokens: 32, image_token_index: 50265, initializer_factor: 1, initializer_range: 0.02,
  vision_config: { model_type: 'blip_2_vision_model', dropout: 0, initializer_factor: 1, num_channels: 3 },
  qformer_config: { model_type: 'blip_2_qformer' },
  text_config: {
    model_type: 'opt', eos_token_id: 50118, ffn_dim: 10240, hidden_size: 2560, num_attention_heads: 32,
    num_hidden_layers: 32, vocab_size: 50304, word_embed_proj_dim: 2560, activation_dropout: 0,
  },
});

/** The original (2023) revision of Salesforce/blip2-opt-2.7b: no `<image>` token, OPT's 50272-token vocabulary. */
export const BLIP2_OPT_2_7B_ORIGINAL: Blip2Config = parseBlip2Config({
  model_type: 'blip-2', num_query_tokens: 32,
  text_config: { model_type: 'opt', eos_token_id: 50118, ffn_dim: 10240, hidden_size: 2560, num_attention_heads: 32, num_hidden_layers: 32, word_embed_proj_dim: 2560 },
});
