// transformers' CLIPTextConfig (models/clip/configuration_clip.py) as stored in `text_encoder/config.json`,
// with transformers' current defaults. Files written by older transformers carry a few more keys
// (`dropout`, `architectures`, `torch_dtype`, `transformers_version`, ...); they are read and kept.

import type { JsonObject } from '../config.js';
import { ConfigReader, configError, requireOneOf } from '../config.js';

/** Activations of the CLIP text MLP this project builds: SD 1.x (OpenAI CLIP) uses quick_gelu, SD 2.x (OpenCLIP) gelu. */
export const CLIP_HIDDEN_ACTS = ['quick_gelu', 'gelu'] as const;

export interface CLIPTextConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  projection_dim: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  max_position_embeddings: number;
  hidden_act: string;
  layer_norm_eps: number;
  attention_dropout: number;
  dropout: number;
  initializer_range: number;
  initializer_factor: number;
  /** Not used by the text model's hidden states; SD v1-5's file has the legacy values 1 / 0 / 2. */
  pad_token_id: number | null;
  bos_token_id: number | null;
  eos_token_id: number | null;
  model_type?: string;
  architectures?: string[];
  torch_dtype?: string;
  transformers_version?: string;
  _name_or_path?: string;
}

export function parseCLIPTextConfig(
  json: JsonObject,
  file = 'text_encoder/config.json',
  onIgnoredKeys?: (keys: string[]) => void,
): CLIPTextConfig {
  const r = new ConfigReader(json, file);
  const c: CLIPTextConfig = {
    vocab_size: r.int('vocab_size', 49408, 1),
    hidden_size: r.int('hidden_size', 512, 1),
    intermediate_size: r.int('intermediate_size', 2048, 1),
    projection_dim: r.int('projection_dim', 512, 1),
    num_hidden_layers: r.int('num_hidden_layers', 12, 1),
    num_attention_heads: r.int('num_attention_heads', 8, 1),
    max_position_embeddings: r.int('max_position_embeddings', 77, 1),
    hidden_act: r.str('hidden_act', 'quick_gelu'),
    layer_norm_eps: r.num('layer_norm_eps', 1e-5),
    attention_dropout: r.num('attention_dropout', 0.0),
    dropout: r.num('dropout', 0.0),
    initializer_range: r.num('initializer_range', 0.02),
    initializer_factor: r.num('initializer_factor', 1.0),
    pad_token_id: r.intOrNull('pad_token_id', 1),
    bos_token_id: r.intOrNull('bos_token_id', 49406),
    eos_token_id: r.intOrNull('eos_token_id', 49407),
  };
  const mt = r.optionalStr('model_type');
  if (mt !== undefined) c.model_type = mt;
  const arch = r.any('architectures');
  if (arch !== undefined && arch !== null) c.architectures = r.strList('architectures', []);
  const dt = r.optionalStr('torch_dtype');
  if (dt !== undefined) c.torch_dtype = dt;
  const tv = r.optionalStr('transformers_version');
  if (tv !== undefined) c.transformers_version = tv;
  const np = r.optionalStr('_name_or_path');
  if (np !== undefined) c._name_or_path = np;
  validateCLIPTextConfig(c, file);
  onIgnoredKeys?.(r.unknownKeys());
  return c;
}

export function validateCLIPTextConfig(c: CLIPTextConfig, file = 'text_encoder/config.json'): void {
  requireOneOf(file, 'hidden_act', c.hidden_act, CLIP_HIDDEN_ACTS);
  if (c.hidden_size % c.num_attention_heads !== 0) {
    configError(file, 'num_attention_heads', `${c.num_attention_heads} does not divide "hidden_size" = ${c.hidden_size}`);
  }
  if (c.model_type !== undefined) requireOneOf(file, 'model_type', c.model_type, ['clip_text_model']);
  if (c.architectures !== undefined) {
    c.architectures.forEach((a, i) => requireOneOf(file, `architectures[${i}]`, a, ['CLIPTextModel']));
  }
}
