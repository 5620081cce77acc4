// Tiny SD configs for tests: the same block layout as SD v1-5 (four levels: CrossAttnDownBlock2D ×3, DownBlock2D;
// UNetMidBlock2DCrossAttn; UpBlock2D, CrossAttnUpBlock2D ×3; layers_per_block 2, so every up block has three
// resnets and the `vpd` taps up_blocks[0].resnets[1], up_blocks[1].attentions[1], up_blocks[2].attentions[1] and
// the last up block all exist) with a few channels, so the seeded fixture weights stay small.
// Choices that make mistakes visible: channels differ between levels (8, 12, 16) so a wrong skip / shortcut
// channel count changes a shape; `attention_head_dim` (= heads, see diffusers issue #2011) is a per-block list
// [2, 2, 4, 4], which gives head sizes 4 / 6 / 4 and tests that up blocks take the heads reversed; the VAE omits
// `scaling_factor`, like SD v1-5's, so the default 0.18215 is exercised.
// These objects are exactly the JSON files of src/fixtures/tiny-sd/ (written by tools/golden/backbone/make_tiny_sd.py);
// a test checks the two agree.

import type { SdConfigFiles, SdConfigs } from './sd-configs.js';
import { parseSdConfigs } from './sd-configs.js';
import { SD15_FILES } from './sd15.js';

/** Merges kept from CLIP's BPE list for the tiny tokenizer: vocab = 256 bytes + 256 bytes</w> + merges + 2 specials. */
export const TINY_BPE_MERGES = 1000;
export const TINY_VOCAB_SIZE = 512 + TINY_BPE_MERGES + 2;

export const TINY_SD_FILES: SdConfigFiles = {
  model_index: {
    _class_name: 'StableDiffusionPipeline',
    _diffusers_version: '0.25.0',
    feature_extractor: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['transformers', 'CLIPTextModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
  },
  unet: {
    _class_name: 'UNet2DConditionModel',
    _diffusers_version: '0.25.0',
    act_fn: 'silu',
    attention_head_dim: [2, 2, 4, 4],
    block_out_channels: [8, 12, 16, 16],
    center_input_sample: false,
    cross_attention_dim: 32,
    down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
    downsample_padding: 1,
    flip_sin_to_cos: true,
    freq_shift: 0,
    in_channels: 4,
    layers_per_block: 2,
    mid_block_scale_factor: 1,
    norm_eps: 1e-5,
    norm_num_groups: 4,
    out_channels: 4,
    sample_size: 16,
    up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  },
  vae: {
    _class_name: 'AutoencoderKL',
    _diffusers_version: '0.25.0',
    act_fn: 'silu',
    block_out_channels: [8, 16, 16, 16],
    down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D'],
    in_channels: 3,
    latent_channels: 4,
    layers_per_block: 1,
    norm_num_groups: 4,
    out_channels: 3,
    sample_size: 128,
    up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'],
  },
  text_encoder: {
    _name_or_path: 'diff2in1/tiny-clip-text',
    architectures: ['CLIPTextModel'],
    attention_dropout: 0.0,
    bos_token_id: TINY_VOCAB_SIZE - 2,
    dropout: 0.0,
    eos_token_id: TINY_VOCAB_SIZE - 1,
    hidden_act: 'quick_gelu',
    hidden_size: 32,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    intermediate_size: 128,
    layer_norm_eps: 1e-5,
    max_position_embeddings: 77,
    model_type: 'clip_text_model',
    num_attention_heads: 4,
    num_hidden_layers: 2,
    pad_token_id: 1,
    projection_dim: 32,
    torch_dtype: 'float32',
    vocab_size: TINY_VOCAB_SIZE,
  },
  scheduler: SD15_FILES.scheduler,
  tokenizer_config: { ...SD15_FILES.tokenizer_config, name_or_path: 'diff2in1/tiny-clip-bpe' },
  special_tokens_map: SD15_FILES.special_tokens_map,
};

/** The tiny configs, parsed and validated. */
export const tinySd: SdConfigs = parseSdConfigs(TINY_SD_FILES, 'tinySd');
