// UNet2DConditionModel's config.json, field for field, with diffusers v0.25.0's defaults
// (diffusers/models/unet_2d_condition.py, `UNet2DConditionModel.__init__`), plus the checks diffusers makes and
// the subset of values this project builds (the SD 1.x / 2.x family; everything else is refused by name).

import type { ConfigMeta, JsonObject } from '../config.js';
import { ConfigReader, configError, perBlock, requireOneOf } from '../config.js';

export const UNET_DOWN_BLOCK_TYPES = ['CrossAttnDownBlock2D', 'DownBlock2D'] as const;
export const UNET_UP_BLOCK_TYPES = ['UpBlock2D', 'CrossAttnUpBlock2D'] as const;
export const UNET_MID_BLOCK_TYPES = ['UNetMidBlock2DCrossAttn'] as const;
/** diffusers' `get_activation` maps both names to SiLU. */
export const ACT_FNS_SILU = ['silu', 'swish'] as const;

export type UNetDownBlockType = (typeof UNET_DOWN_BLOCK_TYPES)[number];
export type UNetUpBlockType = (typeof UNET_UP_BLOCK_TYPES)[number];

/** The keys of a diffusers `unet/config.json` (UNet2DConditionModel, diffusers v0.25.0). */
export interface UNet2DConditionConfig extends ConfigMeta {
  sample_size: number | [number, number] | null;
  in_channels: number;
  out_channels: number;
  center_input_sample: boolean;
  flip_sin_to_cos: boolean;
  freq_shift: number;
  down_block_types: string[];
  mid_block_type: string | null;
  up_block_types: string[];
  only_cross_attention: boolean | boolean[];
  block_out_channels: number[];
  layers_per_block: number | number[];
  downsample_padding: number;
  mid_block_scale_factor: number;
  dropout: number;
  act_fn: string;
  norm_num_groups: number | null;
  norm_eps: number;
  cross_attention_dim: number | number[];
  transformer_layers_per_block: number | number[];
  reverse_transformer_layers_per_block: number[] | null;
  encoder_hid_dim: number | null;
  encoder_hid_dim_type: string | null;
  /** Despite its name, diffusers uses this as the number of heads when `num_attention_heads` is null. */
  attention_head_dim: number | number[];
  num_attention_heads: number | number[] | null;
  dual_cross_attention: boolean;
  use_linear_projection: boolean;
  class_embed_type: string | null;
  addition_embed_type: string | null;
  addition_time_embed_dim: number | null;
  num_class_embeds: number | null;
  upcast_attention: boolean;
  resnet_time_scale_shift: string;
  resnet_skip_time_act: boolean;
  resnet_out_scale_factor: number;
  time_embedding_type: string;
  time_embedding_dim: number | null;
  time_embedding_act_fn: string | null;
  timestep_post_act: string | null;
  time_cond_proj_dim: number | null;
  conv_in_kernel: number;
  conv_out_kernel: number;
  projection_class_embeddings_input_dim: number | null;
  attention_type: string;
  class_embeddings_concat: boolean;
  mid_block_only_cross_attention: boolean | null;
  cross_attention_norm: string | null;
  addition_embed_type_num_heads: number;
}

/** Reads and validates a UNet config object; `file` is named in every error. */
export function parseUNet2DConditionConfig(
  json: JsonObject,
  file = 'unet/config.json',
  onIgnoredKeys?: (keys: string[]) => void,
): UNet2DConditionConfig {
  const r = new ConfigReader(json, file);
  const c: UNet2DConditionConfig = {
    ...r.meta(),
    sample_size: r.sizeOrNull('sample_size', null),
    in_channels: r.int('in_channels', 4, 1),
    out_channels: r.int('out_channels', 4, 1),
    center_input_sample: r.bool('center_input_sample', false),
    flip_sin_to_cos: r.bool('flip_sin_to_cos', true),
    freq_shift: r.num('freq_shift', 0),
    down_block_types: r.strList('down_block_types', ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D']),
    mid_block_type: r.strOrNull('mid_block_type', 'UNetMidBlock2DCrossAttn'),
    up_block_types: r.strList('up_block_types', ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D']),
    only_cross_attention: r.boolOrBoolList('only_cross_attention', false),
    block_out_channels: r.intList('block_out_channels', [320, 640, 1280, 1280], 1),
    layers_per_block: r.intOrIntList('layers_per_block', 2, 1),
    downsample_padding: r.int('downsample_padding', 1, 0),
    mid_block_scale_factor: r.num('mid_block_scale_factor', 1),
    dropout: r.num('dropout', 0),
    act_fn: r.str('act_fn', 'silu'),
    norm_num_groups: r.intOrNull('norm_num_groups', 32, 1),
    norm_eps: r.num('norm_eps', 1e-5),
    cross_attention_dim: r.intOrIntList('cross_attention_dim', 1280, 1),
    transformer_layers_per_block: transformerLayers(r),
    reverse_transformer_layers_per_block: reverseTransformerLayers(r),
    encoder_hid_dim: r.intOrNull('encoder_hid_dim', null, 1),
    encoder_hid_dim_type: r.strOrNull('encoder_hid_dim_type', null),
    attention_head_dim: r.intOrIntList('attention_head_dim', 8, 1),
    num_attention_heads: r.intOrIntListOrNull('num_attention_heads', null, 1),
    dual_cross_attention: r.bool('dual_cross_attention', false),
    use_linear_projection: r.bool('use_linear_projection', false),
    class_embed_type: r.strOrNull('class_embed_type', null),
    addition_embed_type: r.strOrNull('addition_embed_type', null),
    addition_time_embed_dim: r.intOrNull('addition_time_embed_dim', null, 1),
    num_class_embeds: r.intOrNull('num_class_embeds', null, 1),
    upcast_attention: r.bool('upcast_attention', false),
    resnet_time_scale_shift: r.str('resnet_time_scale_shift', 'default'),
    resnet_skip_time_act: r.bool('resnet_skip_time_act', false),
    resnet_out_scale_factor: r.num('resnet_out_scale_factor', 1.0),
    time_embedding_type: r.str('time_embedding_type', 'positional'),
    time_embedding_dim: r.intOrNull('time_embedding_dim', null, 1),
    time_embedding_act_fn: r.strOrNull('time_embedding_act_fn', null),
    timestep_post_act: r.strOrNull('timestep_post_act', null),
    time_cond_proj_dim: r.intOrNull('time_cond_proj_dim', null, 1),
    conv_in_kernel: r.int('conv_in_kernel', 3, 1),
    conv_out_kernel: r.int('conv_out_kernel', 3, 1),
    projection_class_embeddings_input_dim: r.intOrNull('projection_class_embeddings_input_dim', null, 1),
    attention_type: r.str('attention_type', 'default'),
    class_embeddings_concat: r.bool('class_embeddings_concat', false),
    mid_block_only_cross_attention: r.boolOrNull('mid_block_only_cross_attention', null),
    cross_attention_norm: r.strOrNull('cross_attention_norm', null),
    addition_embed_type_num_heads: r.int('addition_embed_type_num_heads', 64, 1),
  };
  validateUNet2DConditionConfig(c, file);
  onIgnoredKeys?.(r.unknownKeys());
  return c;
}

function transformerLayers(r: ConfigReader): number | number[] {
  const v = r.any('transformer_layers_per_block');
  if (Array.isArray(v) && v.some((x) => Array.isArray(x))) {
    r.fail('transformer_layers_per_block', 'an integer or one integer per block (per-layer nested lists, as in the SDXL refiner, are not supported)');
  }
  return r.intOrIntList('transformer_layers_per_block', 1, 1);
}

function reverseTransformerLayers(r: ConfigReader): number[] | null {
  const v = r.any('reverse_transformer_layers_per_block');
  if (v === undefined || v === null) return null;
  return r.fail('reverse_transformer_layers_per_block', 'null (asymmetric transformer depths are not supported)');
}

/**
 * The checks diffusers' constructor makes (list lengths), the ones PyTorch would make when it builds the layers
 * (GroupNorm divisibility), and the limits of what this project builds. Throws a Diff2in1Error naming the field.
 */
export function validateUNet2DConditionConfig(c: UNet2DConditionConfig, file = 'unet/config.json'): void {
  const n = c.down_block_types.length;
  if (n === 0) configError(file, 'down_block_types', 'must name at least one block');
  if (c.up_block_types.length !== n) {
    configError(file, 'up_block_types', `has ${c.up_block_types.length} entries but "down_block_types" has ${n}; they must match`);
  }
  if (c.block_out_channels.length !== n) {
    configError(file, 'block_out_channels', `has ${c.block_out_channels.length} entries but "down_block_types" has ${n}; they must match`);
  }
  c.down_block_types.forEach((t, i) => requireOneOf(file, `down_block_types[${i}]`, t, UNET_DOWN_BLOCK_TYPES));
  c.up_block_types.forEach((t, i) => requireOneOf(file, `up_block_types[${i}]`, t, UNET_UP_BLOCK_TYPES));
  requireOneOf(file, 'mid_block_type', c.mid_block_type, UNET_MID_BLOCK_TYPES);
  perBlock(file, 'only_cross_attention', c.only_cross_attention, n).forEach((v, i) =>
    requireOneOf(file, `only_cross_attention[${i}]`, v, [false], '(SD UNets use self- and cross-attention)'),
  );
  if (c.num_attention_heads !== null) {
    // diffusers v0.25 raises here too: the number of heads is given by `attention_head_dim` (see its issue #2011).
    configError(file, 'num_attention_heads', 'must be null in diffusers v0.25 configs; the head count is read from "attention_head_dim"');
  }
  perBlock(file, 'attention_head_dim', c.attention_head_dim, n);
  perBlock(file, 'cross_attention_dim', c.cross_attention_dim, n);
  perBlock(file, 'layers_per_block', c.layers_per_block, n);
  perBlock(file, 'transformer_layers_per_block', c.transformer_layers_per_block, n);
  requireOneOf(file, 'act_fn', c.act_fn, ACT_FNS_SILU);
  if (c.norm_num_groups === null) configError(file, 'norm_num_groups', 'null (no output GroupNorm) is not supported; give the group count, e.g. 32');
  const g = c.norm_num_groups;
  c.block_out_channels.forEach((ch, i) => {
    if (ch % g !== 0) {
      configError(file, `block_out_channels[${i}]`, `${ch} is not divisible by "norm_num_groups" = ${g} (GroupNorm needs whole groups)`);
    }
  });
  for (const k of ['conv_in_kernel', 'conv_out_kernel'] as const) {
    if (c[k] % 2 !== 1) configError(file, k, `${c[k]} must be odd (the convolution is padded to keep its size)`);
  }
  requireOneOf(file, 'time_embedding_type', c.time_embedding_type, ['positional']);
  requireOneOf(file, 'resnet_time_scale_shift', c.resnet_time_scale_shift, ['default']);
  requireOneOf(file, 'attention_type', c.attention_type, ['default']);
  requireOneOf(file, 'dual_cross_attention', c.dual_cross_attention, [false]);
  requireOneOf(file, 'resnet_skip_time_act', c.resnet_skip_time_act, [false]);
  requireOneOf(file, 'class_embeddings_concat', c.class_embeddings_concat, [false]);
  for (const k of [
    'class_embed_type', 'addition_embed_type', 'encoder_hid_dim_type', 'time_embedding_act_fn', 'timestep_post_act',
    'cross_attention_norm',
  ] as const) {
    requireOneOf(file, k, c[k], [null], '(not part of the SD 1.x / 2.x UNets this project builds)');
  }
  for (const k of ['encoder_hid_dim', 'num_class_embeds', 'time_cond_proj_dim', 'addition_time_embed_dim', 'projection_class_embeddings_input_dim'] as const) {
    requireOneOf(file, k, c[k], [null], '(not part of the SD 1.x / 2.x UNets this project builds)');
  }
  if (c.resnet_out_scale_factor !== 1) configError(file, 'resnet_out_scale_factor', `${c.resnet_out_scale_factor} is not supported; allowed: 1`);
}

/** Per-block values the structure is built from, resolved as diffusers' constructor resolves them. */
export interface UNetBlockPlan {
  /** Number of attention heads of each down block (diffusers: `num_attention_heads or attention_head_dim`). */
  heads: number[];
  crossAttentionDim: number[];
  layersPerBlock: number[];
  transformerLayers: number[];
  /** `time_embedding_dim or 4 * block_out_channels[0]`. */
  timeEmbedDim: number;
}

export function unetBlockPlan(c: UNet2DConditionConfig): UNetBlockPlan {
  const n = c.down_block_types.length;
  const file = 'unet config';
  return {
    heads: perBlock(file, 'attention_head_dim', c.num_attention_heads ?? c.attention_head_dim, n),
    crossAttentionDim: perBlock(file, 'cross_attention_dim', c.cross_attention_dim, n),
    layersPerBlock: perBlock(file, 'layers_per_block', c.layers_per_block, n),
    transformerLayers: perBlock(file, 'transformer_layers_per_block', c.transformer_layers_per_block, n),
    timeEmbedDim: c.time_embedding_dim ?? 4 * (c.block_out_channels[0] as number),
  };
}
