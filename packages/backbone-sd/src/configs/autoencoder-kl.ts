// AutoencoderKL's config.json with diffusers v0.25.0's defaults
// (diffusers/models/autoencoders/autoencoder_kl.py, `AutoencoderKL.__init__`).
// Keys that later diffusers versions added (`shift_factor`, `latents_mean`, `latents_std`, `use_quant_conv`,
// `use_post_quant_conv`, `mid_block_add_attention`) are read too, so a folder saved by a newer diffusers is
// understood rather than silently misread; only the values that mean v0.25's behaviour are accepted.

import type { ConfigMeta, JsonObject } from '../config.js';
import { ConfigReader, configError, requireOneOf } from '../config.js';
import { ACT_FNS_SILU } from './unet-2d-condition.js';

export const VAE_DOWN_BLOCK_TYPES = ['DownEncoderBlock2D'] as const;
export const VAE_UP_BLOCK_TYPES = ['UpDecoderBlock2D'] as const;

/** The keys of a diffusers `vae/config.json` (AutoencoderKL). */
export interface AutoencoderKLConfig extends ConfigMeta {
  in_channels: number;
  out_channels: number;
  down_block_types: string[];
  up_block_types: string[];
  block_out_channels: number[];
  layers_per_block: number;
  act_fn: string;
  latent_channels: number;
  norm_num_groups: number;
  sample_size: number | [number, number];
  /** Latents are `mean × scaling_factor` (SD v1: 0.18215, the default, absent from SD v1-5's file). */
  scaling_factor: number;
  force_upcast: boolean;
  /** Later diffusers: latents are `(z − shift_factor) × scaling_factor`; null = no shift. */
  shift_factor: number | null;
  latents_mean: null;
  latents_std: null;
  use_quant_conv: boolean;
  use_post_quant_conv: boolean;
  mid_block_add_attention: boolean;
}

export function parseAutoencoderKLConfig(
  json: JsonObject,
  file = 'vae/config.json',
  onIgnoredKeys?: (keys: string[]) => void,
): AutoencoderKLConfig {
  const r = new ConfigReader(json, file);
  const sample = r.sizeOrNull('sample_size', 32);
  const c: AutoencoderKLConfig = {
    ...r.meta(),
    in_channels: r.int('in_channels', 3, 1),
    out_channels: r.int('out_channels', 3, 1),
    down_block_types: r.strList('down_block_types', ['DownEncoderBlock2D']),
    up_block_types: r.strList('up_block_types', ['UpDecoderBlock2D']),
    block_out_channels: r.intList('block_out_channels', [64], 1),
    layers_per_block: r.int('layers_per_block', 1, 1),
    act_fn: r.str('act_fn', 'silu'),
    latent_channels: r.int('latent_channels', 4, 1),
    norm_num_groups: r.int('norm_num_groups', 32, 1),
    sample_size: sample ?? r.fail('sample_size', 'a positive integer or a [height, width] pair'),
    scaling_factor: r.num('scaling_factor', 0.18215),
    force_upcast: r.bool('force_upcast', true),
    shift_factor: r.numOrNull('shift_factor', null),
    latents_mean: nullOnly(r, 'latents_mean'),
    latents_std: nullOnly(r, 'latents_std'),
    use_quant_conv: r.bool('use_quant_conv', true),
    use_post_quant_conv: r.bool('use_post_quant_conv', true),
    mid_block_add_attention: r.bool('mid_block_add_attention', true),
  };
  validateAutoencoderKLConfig(c, file);
  onIgnoredKeys?.(r.unknownKeys());
  return c;
}

function nullOnly(r: ConfigReader, key: string): null {
  const v = r.any(key);
  if (v !== undefined && v !== null) r.fail(key, 'null (per-channel latent statistics are not supported)');
  return null;
}

export function validateAutoencoderKLConfig(c: AutoencoderKLConfig, file = 'vae/config.json'): void {
  const n = c.block_out_channels.length;
  if (n === 0) configError(file, 'block_out_channels', 'must have at least one entry');
  if (c.down_block_types.length !== n) {
    configError(file, 'down_block_types', `has ${c.down_block_types.length} entries but "block_out_channels" has ${n}; they must match`);
  }
  if (c.up_block_types.length !== n) {
    configError(file, 'up_block_types', `has ${c.up_block_types.length} entries but "block_out_channels" has ${n}; they must match`);
  }
  c.down_block_types.forEach((t, i) => requireOneOf(file, `down_block_types[${i}]`, t, VAE_DOWN_BLOCK_TYPES));
  c.up_block_types.forEach((t, i) => requireOneOf(file, `up_block_types[${i}]`, t, VAE_UP_BLOCK_TYPES));
  requireOneOf(file, 'act_fn', c.act_fn, ACT_FNS_SILU);
  c.block_out_channels.forEach((ch, i) => {
    if (ch % c.norm_num_groups !== 0) {
      configError(file, `block_out_channels[${i}]`, `${ch} is not divisible by "norm_num_groups" = ${c.norm_num_groups} (GroupNorm needs whole groups)`);
    }
  });
  if (!(c.scaling_factor > 0)) configError(file, 'scaling_factor', `${c.scaling_factor} must be > 0`);
  requireOneOf(file, 'use_quant_conv', c.use_quant_conv, [true]);
  requireOneOf(file, 'use_post_quant_conv', c.use_post_quant_conv, [true]);
  requireOneOf(file, 'mid_block_add_attention', c.mid_block_add_attention, [true]);
}

/** Spatial downsampling factor of the encoder: 2^(blocks − 1) (8 for SD's four blocks). */
export function vaeScaleFactor(c: AutoencoderKLConfig): number {
  return 2 ** (c.block_out_channels.length - 1);
}
