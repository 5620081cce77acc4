import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { JsonObject } from './config.js';
import { parseAutoencoderKLConfig, vaeScaleFactor } from './configs/autoencoder-kl.js';
import { parseCLIPTextConfig } from './configs/clip-text.js';
import { parseCLIPTokenizerSettings } from './configs/clip-tokenizer.js';
import { parseModelIndex, validateSdModelIndex } from './configs/model-index.js';
import { SD_CONFIG_PATHS, parseSdConfigs } from './configs/sd-configs.js';
import type { SdConfigFiles } from './configs/sd-configs.js';
import { SD15_FILES, sd15 } from './configs/sd15.js';
import { TINY_SD_FILES, TINY_VOCAB_SIZE, tinySd } from './configs/tiny.js';
import { parseUNet2DConditionConfig, unetBlockPlan } from './configs/unet-2d-condition.js';

const fixture = (rel: string): string => fileURLToPath(new URL(`./fixtures/${rel}`, import.meta.url));
const readJson = (rel: string): JsonObject => JSON.parse(readFileSync(fixture(rel), 'utf8')) as JsonObject;

function expectConfigError(fn: () => unknown, ...parts: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(Diff2in1Error);
  for (const p of parts) expect((err as Error).message).toContain(p);
}

describe('sd15 named config', () => {
  it('reads SD v1-5 files with diffusers defaults for the keys they omit', () => {
    const u = sd15.unet;
    expect(u.block_out_channels).toEqual([320, 640, 1280, 1280]);
    expect(u.cross_attention_dim).toBe(768);
    expect(u.use_linear_projection).toBe(false); // default
    expect(u.transformer_layers_per_block).toBe(1); // default
    expect(u.upcast_attention).toBe(false);
    // attention_head_dim 8 is the head COUNT in diffusers (issue #2011): head size 40 / 80 / 160.
    expect(unetBlockPlan(u).heads).toEqual([8, 8, 8, 8]);
    expect(unetBlockPlan(u).timeEmbedDim).toBe(1280);
    expect(sd15.vae.scaling_factor).toBe(0.18215); // absent from the file → diffusers' default
    expect(vaeScaleFactor(sd15.vae)).toBe(8);
    expect(sd15.text_encoder).toMatchObject({ hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 77, hidden_act: 'quick_gelu', vocab_size: 49408, bos_token_id: 0, eos_token_id: 2 });
    expect(sd15.tokenizer).toEqual({
      model_max_length: 77, bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', pad_token: '<|endoftext|>',
      unk_token: '<|endoftext|>', do_lower_case: true, tokenizer_class: 'CLIPTokenizer',
    });
    expect(sd15.scheduler['_class_name']).toBe('PNDMScheduler');
    expect(sd15.model_index.components['safety_checker']).toEqual(['stable_diffusion', 'StableDiffusionSafetyChecker']);
    expect(sd15.ignoredKeys).toEqual([]);
  });

  it('has exactly the constructor arguments of diffusers v0.25.0, with their defaults', () => {
    // golden/config-defaults.json: inspect.signature of UNet2DConditionModel.__init__ / AutoencoderKL.__init__.
    const upstream = readJson('golden/config-defaults.json') as { unet: JsonObject; vae: JsonObject };
    expect(parseUNet2DConditionConfig({})).toEqual(upstream.unet);
    const vae: Record<string, unknown> = { ...parseAutoencoderKLConfig({}) };
    // Keys of later diffusers versions, read so that newer files are not misread; v0.25 behaves as these values.
    expect(vae).toMatchObject({ shift_factor: null, latents_mean: null, latents_std: null, use_quant_conv: true, use_post_quant_conv: true, mid_block_add_attention: true });
    for (const k of ['shift_factor', 'latents_mean', 'latents_std', 'use_quant_conv', 'use_post_quant_conv', 'mid_block_add_attention']) delete vae[k];
    expect(vae).toEqual(upstream.vae);
    // transformers' CLIPTextConfig defaults (configuration_clip.py), plus `dropout` of older files.
    expect(parseCLIPTextConfig({})).toEqual({
      vocab_size: 49408, hidden_size: 512, intermediate_size: 2048, projection_dim: 512, num_hidden_layers: 12,
      num_attention_heads: 8, max_position_embeddings: 77, hidden_act: 'quick_gelu', layer_norm_eps: 1e-5,
      attention_dropout: 0, dropout: 0, initializer_range: 0.02, initializer_factor: 1, pad_token_id: 1,
      bos_token_id: 49406, eos_token_id: 49407,
    });
  });
});

describe('tiny configs', () => {
  it('are exactly the JSON files of the tiny-sd fixture folder', () => {
    for (const key of Object.keys(SD_CONFIG_PATHS) as (keyof SdConfigFiles)[]) {
      expect(readJson(`tiny-sd/${SD_CONFIG_PATHS[key]}`), key).toEqual(TINY_SD_FILES[key]);
    }
    expect(readJson('tiny-sd-onnx/unet/config.json')).toEqual(TINY_SD_FILES.unet);
  });

  it('have SD v1-5 block layout with small channels and a per-block head list', () => {
    expect(tinySd.unet.down_block_types).toEqual(sd15.unet.down_block_types);
    expect(tinySd.unet.up_block_types).toEqual(sd15.unet.up_block_types);
    expect(tinySd.unet.layers_per_block).toBe(2);
    expect(unetBlockPlan(tinySd.unet).heads).toEqual([2, 2, 4, 4]);
    expect(tinySd.vae.scaling_factor).toBe(0.18215);
    expect(tinySd.text_encoder.vocab_size).toBe(TINY_VOCAB_SIZE);
    const vocab = readJson('tiny-sd/tokenizer/vocab.json');
    expect(Object.keys(vocab).length).toBe(TINY_VOCAB_SIZE);
  });
});

describe('config validation names the field and the allowed values', () => {
  it('rejects wrong types', () => {
    expectConfigError(() => parseUNet2DConditionConfig({ layers_per_block: 'two' }, 'x/unet/config.json'), 'x/unet/config.json', 'field "layers_per_block"', 'integer', '"two"');
    expectConfigError(() => parseUNet2DConditionConfig({ block_out_channels: [320, -1] }), 'block_out_channels', '>= 1');
    expectConfigError(() => parseCLIPTextConfig({ hidden_size: 7.5 }), 'hidden_size');
    expectConfigError(() => parseAutoencoderKLConfig({ sample_size: [1, 2, 3] }), 'sample_size', '[height, width]');
  });

  it('rejects block types and options outside SD 1.x / 2.x, listing the supported ones', () => {
    expectConfigError(
      () => parseUNet2DConditionConfig({ ...SD15_FILES.unet, down_block_types: ['CrossAttnDownBlock2D', 'AttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'] }),
      'down_block_types[1]', '"AttnDownBlock2D"', '"CrossAttnDownBlock2D", "DownBlock2D"');
    expectConfigError(() => parseUNet2DConditionConfig({ ...SD15_FILES.unet, mid_block_type: 'UNetMidBlock2DSimpleCrossAttn' }), 'mid_block_type', 'UNetMidBlock2DCrossAttn');
    expectConfigError(() => parseUNet2DConditionConfig({ ...SD15_FILES.unet, act_fn: 'gelu' }), 'act_fn', '"silu", "swish"');
    expectConfigError(() => parseUNet2DConditionConfig({ ...SD15_FILES.unet, addition_embed_type: 'text_time' }), 'addition_embed_type', 'null');
    expectConfigError(() => parseUNet2DConditionConfig({ ...SD15_FILES.unet, num_attention_heads: 8 }), 'num_attention_heads', 'attention_head_dim');
    expectConfigError(() => parseAutoencoderKLConfig({ ...SD15_FILES.vae, use_quant_conv: false }), 'use_quant_conv', 'true');
    expectConfigError(() => parseCLIPTextConfig({ ...SD15_FILES.text_encoder, hidden_act: 'relu' }), 'hidden_act', '"quick_gelu", "gelu"');
  });

  it('checks list lengths and divisibility as diffusers / PyTorch would', () => {
    expectConfigError(() => parseUNet2DConditionConfig({ ...SD15_FILES.unet, up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D'] }), 'up_block_types', '2 entries', '4');
    expectConfigError(() => parseUNet2DConditionConfig({ ...SD15_FILES.unet, attention_head_dim: [8, 8] }), 'attention_head_dim', '2 entries');
    expectConfigError(() => parseUNet2DConditionConfig({ ...SD15_FILES.unet, norm_num_groups: 48 }), 'block_out_channels[0]', '320', '48');
    expectConfigError(() => parseCLIPTextConfig({ ...SD15_FILES.text_encoder, num_attention_heads: 5 }), 'num_attention_heads', '768');
  });

  it('cross-checks the files of a folder', () => {
    expectConfigError(() => parseSdConfigs({ ...SD15_FILES, text_encoder: { ...SD15_FILES.text_encoder, hidden_size: 1024, num_attention_heads: 16 } }, 'f'),
      'f/unet/config.json', 'cross_attention_dim', '768', '1024', 'f/text_encoder/config.json');
    expectConfigError(() => parseSdConfigs({ ...SD15_FILES, vae: { ...SD15_FILES.vae, latent_channels: 16 } }), 'in_channels', 'latent_channels');
    expectConfigError(() => parseSdConfigs({ ...SD15_FILES, tokenizer_config: { ...SD15_FILES.tokenizer_config, model_max_length: 100 } }), 'model_max_length', 'max_position_embeddings');
    expectConfigError(() => validateSdModelIndex(parseModelIndex({ ...SD15_FILES.model_index, unet: ['diffusers', 'UNet2DModel'] })), 'unet', 'UNet2DConditionModel');
    expectConfigError(() => parseModelIndex({ unet: ['diffusers', 'UNet2DConditionModel'] }), '_class_name');
  });

  it('reports keys it does not read, like diffusers does', () => {
    const c = parseSdConfigs({ ...SD15_FILES, unet: { ...SD15_FILES.unet, some_future_key: 1 } });
    expect(c.ignoredKeys).toEqual(['unet/config.json: some_future_key']);
  });

  it('reads special tokens from either file, strings or AddedToken objects', () => {
    const s = parseCLIPTokenizerSettings({ pad_token: '<|endoftext|>', model_max_length: 77 }, { pad_token: { content: '!' } });
    expect(s.pad_token).toBe('!'); // special_tokens_map.json wins (SD 2.x pads with "!")
    expect(parseCLIPTokenizerSettings({}).bos_token).toBe('<|startoftext|>');
    expectConfigError(() => parseCLIPTokenizerSettings({ eos_token: 5 }), 'eos_token');
  });
});
