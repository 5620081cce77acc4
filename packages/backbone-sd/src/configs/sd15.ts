// Stable Diffusion v1-5: the config files of its diffusers folder, as published in the Hugging Face repository
// runwayml/stable-diffusion-v1-5 (now stable-diffusion-v1-5/stable-diffusion-v1-5, same files):
//   https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5/blob/main/unet/config.json
//   .../vae/config.json, .../text_encoder/config.json, .../scheduler/scheduler_config.json,
//   .../tokenizer/tokenizer_config.json, .../tokenizer/special_tokens_map.json, .../model_index.json
// Key for key as in those files (written by diffusers 0.6.0 and transformers 4.22), so parsing them exercises
// the same defaults a real download does: e.g. the VAE file has no `scaling_factor` (diffusers' default 0.18215
// applies) and the text encoder file keeps the legacy `bos_token_id` 0 / `eos_token_id` 2.

import type { SdConfigFiles, SdConfigs } from './sd-configs.js';
import { parseSdConfigs } from './sd-configs.js';

/** Hugging Face repository id of SD v1-5 (the old `runwayml/stable-diffusion-v1-5` id no longer resolves). */
export const SD15_HF_ID = 'stable-diffusion-v1-5/stable-diffusion-v1-5';

const addedToken = (content: string) => ({
  __type: 'AddedToken', content, lstrip: false, normalized: true, rstrip: false, single_word: false,
});
const specialToken = (content: string) => ({ content, lstrip: false, normalized: true, rstrip: false, single_word: false });

/** The JSON files of SD v1-5's diffusers folder. */
export const SD15_FILES: SdConfigFiles = {
  model_index: {
    _class_name: 'StableDiffusionPipeline',
    _diffusers_version: '0.6.0',
    feature_extractor: ['transformers', 'CLIPImageProcessor'],
    safety_checker: ['stable_diffusion', 'StableDiffusionSafetyChecker'],
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['transformers', 'CLIPTextModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
  },
  unet: {
    _class_name: 'UNet2DConditionModel',
    _diffusers_version: '0.6.0',
    act_fn: 'silu',
    attention_head_dim: 8,
    block_out_channels: [320, 640, 1280, 1280],
    center_input_sample: false,
    cross_attention_dim: 768,
    down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
    downsample_padding: 1,
    flip_sin_to_cos: true,
    freq_shift: 0,
    in_channels: 4,
    layers_per_block: 2,
    mid_block_scale_factor: 1,
    norm_eps: 1e-5,
    norm_num_groups: 32,
    out_channels: 4,
    sample_size: 64,
    up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  },
  vae: {
    _class_name: 'AutoencoderKL',
    _diffusers_version: '0.6.0',
    act_fn: 'silu',
    block_out_channels: [128, 256, 512, 512],
    down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D'],
    in_channels: 3,
    latent_channels: 4,
    layers_per_block: 2,
    norm_num_groups: 32,
    out_channels: 3,
    sample_size: 512,
    up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'],
  },
  text_encoder: {
    _name_or_path: 'openai/clip-vit-large-patch14',
    architectures: ['CLIPTextModel'],
    attention_dropout: 0.0,
    bos_token_id: 0,
    dropout: 0.0,
    eos_token_id: 2,
    hidden_act: 'quick_gelu',
    hidden_size: 768,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    intermediate_size: 3072,
    layer_norm_eps: 1e-5,
    max_position_embeddings: 77,
    model_type: 'clip_text_model',
    num_attention_heads: 12,
    num_hidden_layers: 12,
    pad_token_id: 1,
    projection_dim: 768,
    torch_dtype: 'float32',
    transformers_version: '4.22.0.dev0',
    vocab_size: 49408,
  },
  scheduler: {
    _class_name: 'PNDMScheduler',
    _diffusers_version: '0.6.0',
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    num_train_timesteps: 1000,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    trained_betas: null,
    clip_sample: false,
  },
  tokenizer_config: {
    add_prefix_space: false,
    bos_token: addedToken('<|startoftext|>'),
    do_lower_case: true,
    eos_token: addedToken('<|endoftext|>'),
    errors: 'replace',
    model_max_length: 77,
    name_or_path: 'openai/clip-vit-large-patch14',
    pad_token: '<|endoftext|>',
    special_tokens_map_file: './special_tokens_map.json',
    tokenizer_class: 'CLIPTokenizer',
    unk_token: addedToken('<|endoftext|>'),
  },
  special_tokens_map: {
    bos_token: specialToken('<|startoftext|>'),
    eos_token: specialToken('<|endoftext|>'),
    pad_token: '<|endoftext|>',
    unk_token: specialToken('<|endoftext|>'),
  },
};

/** SD v1-5's configs, parsed and validated. */
export const sd15: SdConfigs = parseSdConfigs(SD15_FILES, 'sd15');
