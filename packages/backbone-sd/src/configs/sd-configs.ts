// The configs of a whole SD folder as one value: the raw JSON of each file and the parsed, validated configs.

import type { JsonObject } from '../config.js';
import type { AutoencoderKLConfig } from './autoencoder-kl.js';
import { parseAutoencoderKLConfig } from './autoencoder-kl.js';
import type { CLIPTextConfig } from './clip-text.js';
import { parseCLIPTextConfig } from './clip-text.js';
import type { CLIPTokenizerSettings } from './clip-tokenizer.js';
import { parseCLIPTokenizerSettings } from './clip-tokenizer.js';
import type { ModelIndex } from './model-index.js';
import { parseModelIndex, validateSdModelIndex } from './model-index.js';
import type { UNet2DConditionConfig } from './unet-2d-condition.js';
import { parseUNet2DConditionConfig } from './unet-2d-condition.js';
import { configError } from '../config.js';

/** The JSON files of a diffusers SD folder, keyed by their role. */
export interface SdConfigFiles {
  model_index: JsonObject;
  unet: JsonObject;
  vae: JsonObject;
  text_encoder: JsonObject;
  /** `scheduler/scheduler_config.json`, read by @diff2in1/schedulers. */
  scheduler: JsonObject;
  tokenizer_config: JsonObject;
  special_tokens_map: JsonObject;
}

export interface SdConfigs {
  model_index: ModelIndex;
  unet: UNet2DConditionConfig;
  vae: AutoencoderKLConfig;
  text_encoder: CLIPTextConfig;
  scheduler: JsonObject;
  tokenizer: CLIPTokenizerSettings;
  /** Keys present in the unet / vae / text_encoder configs that are not read (diffusers ignores them too), as "file: key". */
  ignoredKeys: string[];
}

/** Relative file names inside a diffusers folder, used in error messages and by the folder reader. */
export const SD_CONFIG_PATHS: Readonly<Record<keyof SdConfigFiles, string>> = {
  model_index: 'model_index.json',
  unet: 'unet/config.json',
  vae: 'vae/config.json',
  text_encoder: 'text_encoder/config.json',
  scheduler: 'scheduler/scheduler_config.json',
  tokenizer_config: 'tokenizer/tokenizer_config.json',
  special_tokens_map: 'tokenizer/special_tokens_map.json',
};

/**
 * Parses and validates every config of an SD folder, including the checks that span files: the UNet's
 * `cross_attention_dim` must equal the text encoder's `hidden_size`, the UNet's `in_channels` and `out_channels` the VAE's
 * `latent_channels`, and the tokenizer's length must fit the text encoder's positions.
 * `prefix` (a folder path or a label such as "sd15") is put before each file name in errors.
 */
export function parseSdConfigs(files: SdConfigFiles, prefix = ''): SdConfigs {
  const p = (k: keyof SdConfigFiles): string => (prefix ? `${prefix}/${SD_CONFIG_PATHS[k]}` : SD_CONFIG_PATHS[k]);
  const model_index = parseModelIndex(files.model_index, p('model_index'));
  validateSdModelIndex(model_index, p('model_index'));
  const ignoredKeys: string[] = [];
  const note = (file: string) => (keys: string[]) => ignoredKeys.push(...keys.map((k) => `${file}: ${k}`));
  const unet = parseUNet2DConditionConfig(files.unet, p('unet'), note(p('unet')));
  const vae = parseAutoencoderKLConfig(files.vae, p('vae'), note(p('vae')));
  const text_encoder = parseCLIPTextConfig(files.text_encoder, p('text_encoder'), note(p('text_encoder')));
  const tokenizer = parseCLIPTokenizerSettings(files.tokenizer_config, files.special_tokens_map, p('tokenizer_config'));
  const cad = Array.isArray(unet.cross_attention_dim) ? unet.cross_attention_dim : [unet.cross_attention_dim];
  cad.forEach((d, i) => {
    if (d !== text_encoder.hidden_size) {
      configError(p('unet'), Array.isArray(unet.cross_attention_dim) ? `cross_attention_dim[${i}]` : 'cross_attention_dim',
        `${d} differs from the text encoder's "hidden_size" = ${text_encoder.hidden_size} (${p('text_encoder')})`);
    }
  });
  for (const k of ['in_channels', 'out_channels'] as const) {
    if (unet[k] !== vae.latent_channels) {
      configError(p('unet'), k, `${unet[k]} differs from the VAE's "latent_channels" = ${vae.latent_channels} (${p('vae')})`);
    }
  }
  if (tokenizer.model_max_length > text_encoder.max_position_embeddings) {
    configError(p('tokenizer_config'), 'model_max_length',
      `${tokenizer.model_max_length} exceeds the text encoder's "max_position_embeddings" = ${text_encoder.max_position_embeddings}`);
  }
  return { model_index, unet, vae, text_encoder, scheduler: files.scheduler, tokenizer, ignoredKeys };
}
