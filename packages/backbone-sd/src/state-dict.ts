// The parameter names and shapes each model's state_dict has for a given config, derived from the diffusers v0.25
// / transformers module structure (unet_2d_condition.py, unet_2d_blocks.py, resnet.py, transformer_2d.py,
// attention.py, autoencoders/vae.py, modeling_clip.py). This is the loader's checklist: weights are checked
// against it (missing / unexpected / mis-shaped names) before any graph is built.

import { Diff2in1Error } from '@diff2in1/tensor';
import type { AutoencoderKLConfig } from './configs/autoencoder-kl.js';
import type { CLIPTextConfig } from './configs/clip-text.js';
import type { UNet2DConditionConfig } from './configs/unet-2d-condition.js';
import { unetBlockPlan } from './configs/unet-2d-condition.js';

/** name → shape, in module-registration order (the order PyTorch's state_dict() lists them). */
export type ShapeMap = Map<string, readonly number[]>;

export interface ExpectedStateDict {
  /** Parameters the model needs. */
  required: ShapeMap;
  /** Entries a checkpoint may carry that the model does not need (e.g. CLIP's `position_ids` buffer). */
  optional: ShapeMap;
}

class Shapes {
  readonly map: ShapeMap = new Map();
  add(name: string, shape: readonly number[]): void {
    this.map.set(name, shape);
  }
  conv(p: string, out: number, inp: number, k: number, bias = true): void {
    this.add(`${p}.weight`, [out, inp, k, k]);
    if (bias) this.add(`${p}.bias`, [out]);
  }
  linear(p: string, out: number, inp: number, bias = true): void {
    this.add(`${p}.weight`, [out, inp]);
    if (bias) this.add(`${p}.bias`, [out]);
  }
  norm(p: string, c: number): void {
    this.add(`${p}.weight`, [c]);
    this.add(`${p}.bias`, [c]);
  }
  /** resnet.py ResnetBlock2D: norm1, conv1, time_emb_proj (when there is a time embedding), norm2, conv2, conv_shortcut (in ≠ out). */
  resnet(p: string, inp: number, out: number, temb: number | null): void {
    this.norm(`${p}.norm1`, inp);
    this.conv(`${p}.conv1`, out, inp, 3);
    if (temb !== null) this.linear(`${p}.time_emb_proj`, out, temb);
    this.norm(`${p}.norm2`, out);
    this.conv(`${p}.conv2`, out, out, 3);
    if (inp !== out) this.conv(`${p}.conv_shortcut`, out, inp, 1);
  }
  /** attention_processor.py Attention without bias on q/k/v (BasicTransformerBlock's attn1 / attn2). */
  crossAttention(p: string, queryDim: number, inner: number, contextDim: number): void {
    this.linear(`${p}.to_q`, inner, queryDim, false);
    this.linear(`${p}.to_k`, inner, contextDim, false);
    this.linear(`${p}.to_v`, inner, contextDim, false);
    this.linear(`${p}.to_out.0`, queryDim, inner);
  }
  /**
   * transformer_2d.py Transformer2DModel (continuous input): GroupNorm, proj_in (1×1 conv, or Linear with
   * use_linear_projection), BasicTransformerBlocks (LayerNorm + self-attn, LayerNorm + cross-attn,
   * LayerNorm + GEGLU feed-forward with inner size 4·dim), proj_out.
   */
  transformer2d(p: string, heads: number, inCh: number, layers: number, crossDim: number, linearProj: boolean): void {
    const headDim = Math.floor(inCh / heads);
    const inner = heads * headDim;
    this.norm(`${p}.norm`, inCh);
    if (linearProj) this.linear(`${p}.proj_in`, inner, inCh);
    else this.conv(`${p}.proj_in`, inner, inCh, 1);
    for (let i = 0; i < layers; i++) {
      const b = `${p}.transformer_blocks.${i}`;
      this.norm(`${b}.norm1`, inner);
      this.crossAttention(`${b}.attn1`, inner, inner, inner);
      this.norm(`${b}.norm2`, inner);
      this.crossAttention(`${b}.attn2`, inner, inner, crossDim);
      this.norm(`${b}.norm3`, inner);
      this.linear(`${b}.ff.net.0.proj`, inner * 4 * 2, inner);
      this.linear(`${b}.ff.net.2`, inner, inner * 4);
    }
    if (linearProj) this.linear(`${p}.proj_out`, inCh, inner);
    else this.conv(`${p}.proj_out`, inCh, inner, 1);
  }
  /** The VAE mid-block's single-head Attention (`_from_deprecated_attn_block`): group_norm, biased q/k/v/out. */
  vaeAttention(p: string, c: number): void {
    this.norm(`${p}.group_norm`, c);
    this.linear(`${p}.to_q`, c, c);
    this.linear(`${p}.to_k`, c, c);
    this.linear(`${p}.to_v`, c, c);
    this.linear(`${p}.to_out.0`, c, c);
  }
}

/**
 * UNet2DConditionModel's state_dict names and shapes for `c`, in PyTorch's registration order: conv_in,
 * time_embedding, down_blocks, up_blocks, mid_block (both ModuleLists are created before the mid block is
 * assigned), conv_norm_out, conv_out; inside a block `attentions` come before `resnets`, then the resamplers.
 */
export function expectedUNetStateDict(c: UNet2DConditionConfig): ExpectedStateDict {
  const s = new Shapes();
  const boc = c.block_out_channels;
  const n = boc.length;
  const plan = unetBlockPlan(c);
  const temb = plan.timeEmbedDim;
  const c0 = boc[0] as number;
  const lin = c.use_linear_projection;
  s.conv('conv_in', c0, c.in_channels, c.conv_in_kernel);
  s.linear('time_embedding.linear_1', temb, c0);
  s.linear('time_embedding.linear_2', temb, temb);

  let out = c0;
  c.down_block_types.forEach((type, i) => {
    const inp = out;
    out = boc[i] as number;
    const p = `down_blocks.${i}`;
    const layers = plan.layersPerBlock[i] as number;
    if (type === 'CrossAttnDownBlock2D') {
      for (let j = 0; j < layers; j++) {
        s.transformer2d(`${p}.attentions.${j}`, plan.heads[i] as number, out, plan.transformerLayers[i] as number, plan.crossAttentionDim[i] as number, lin);
      }
    }
    for (let j = 0; j < layers; j++) s.resnet(`${p}.resnets.${j}`, j === 0 ? inp : out, out, temb);
    if (i < n - 1) s.conv(`${p}.downsamplers.0.conv`, out, out, 3);
  });

  const rev = [...boc].reverse();
  const revHeads = [...plan.heads].reverse();
  const revLayers = [...plan.layersPerBlock].reverse();
  const revTransformer = [...plan.transformerLayers].reverse();
  const revCross = [...plan.crossAttentionDim].reverse();
  out = rev[0] as number;
  c.up_block_types.forEach((type, i) => {
    const prev = out;
    out = rev[i] as number;
    const inp = rev[Math.min(i + 1, n - 1)] as number;
    const layers = (revLayers[i] as number) + 1;
    const p = `up_blocks.${i}`;
    if (type === 'CrossAttnUpBlock2D') {
      for (let j = 0; j < layers; j++) {
        s.transformer2d(`${p}.attentions.${j}`, revHeads[i] as number, out, revTransformer[i] as number, revCross[i] as number, lin);
      }
    }
    for (let j = 0; j < layers; j++) {
      // unet_2d_blocks.py: the skip joining resnet j has `in_channels` for the last resnet, `out_channels` otherwise.
      const skip = j === layers - 1 ? inp : out;
      s.resnet(`${p}.resnets.${j}`, (j === 0 ? prev : out) + skip, out, temb);
    }
    if (i < n - 1) s.conv(`${p}.upsamplers.0.conv`, out, out, 3);
  });

  // UNetMidBlock2DCrossAttn: resnets[0], then (attentions[k], resnets[k + 1]); one transformer stack.
  const last = boc[n - 1] as number;
  s.transformer2d('mid_block.attentions.0', plan.heads[n - 1] as number, last, plan.transformerLayers[n - 1] as number, plan.crossAttentionDim[n - 1] as number, lin);
  s.resnet('mid_block.resnets.0', last, last, temb);
  s.resnet('mid_block.resnets.1', last, last, temb);

  s.norm('conv_norm_out', c0);
  s.conv('conv_out', c.out_channels, c0, c.conv_out_kernel);
  return { required: s.map, optional: new Map() };
}

/**
 * AutoencoderKL's state_dict names and shapes for `c`, in registration order: encoder (conv_in, down_blocks,
 * mid_block, conv_norm_out, conv_out), decoder (conv_in, up_blocks, mid_block, ...), quant_conv, post_quant_conv.
 */
export function expectedVaeStateDict(c: AutoencoderKLConfig): ExpectedStateDict {
  const s = new Shapes();
  const boc = c.block_out_channels;
  const n = boc.length;
  const last = boc[n - 1] as number;
  const midBlock = (p: string): void => {
    s.vaeAttention(`${p}.attentions.0`, last);
    s.resnet(`${p}.resnets.0`, last, last, null);
    s.resnet(`${p}.resnets.1`, last, last, null);
  };
  // Encoder: conv_in, DownEncoderBlock2D × n (downsample conv except the last), mid block, norm, conv_out → 2·latent.
  s.conv('encoder.conv_in', boc[0] as number, c.in_channels, 3);
  let out = boc[0] as number;
  for (let i = 0; i < n; i++) {
    const inp = out;
    out = boc[i] as number;
    for (let j = 0; j < c.layers_per_block; j++) s.resnet(`encoder.down_blocks.${i}.resnets.${j}`, j === 0 ? inp : out, out, null);
    if (i < n - 1) s.conv(`encoder.down_blocks.${i}.downsamplers.0.conv`, out, out, 3);
  }
  midBlock('encoder.mid_block');
  s.norm('encoder.conv_norm_out', last);
  s.conv('encoder.conv_out', 2 * c.latent_channels, last, 3);
  // Decoder: conv_in from latents, UpDecoderBlock2D × n (layers_per_block + 1 resnets), mid block, norm, conv_out.
  s.conv('decoder.conv_in', last, c.latent_channels, 3);
  const rev = [...boc].reverse();
  out = rev[0] as number;
  for (let i = 0; i < n; i++) {
    const prev = out;
    out = rev[i] as number;
    for (let j = 0; j <= c.layers_per_block; j++) s.resnet(`decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? prev : out, out, null);
    if (i < n - 1) s.conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, out, out, 3);
  }
  midBlock('decoder.mid_block');
  s.norm('decoder.conv_norm_out', boc[0] as number);
  s.conv('decoder.conv_out', c.out_channels, boc[0] as number, 3);
  s.conv('quant_conv', 2 * c.latent_channels, 2 * c.latent_channels, 1);
  s.conv('post_quant_conv', c.latent_channels, c.latent_channels, 1);
  return { required: s.map, optional: new Map() };
}

/** transformers CLIPTextModel's state_dict names and shapes for `c`. */
export function expectedClipTextStateDict(c: CLIPTextConfig): ExpectedStateDict {
  const s = new Shapes();
  const d = c.hidden_size;
  s.add('text_model.embeddings.token_embedding.weight', [c.vocab_size, d]);
  s.add('text_model.embeddings.position_embedding.weight', [c.max_position_embeddings, d]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `text_model.encoder.layers.${i}`;
    s.linear(`${p}.self_attn.k_proj`, d, d);
    s.linear(`${p}.self_attn.v_proj`, d, d);
    s.linear(`${p}.self_attn.q_proj`, d, d);
    s.linear(`${p}.self_attn.out_proj`, d, d);
    s.norm(`${p}.layer_norm1`, d);
    s.linear(`${p}.mlp.fc1`, c.intermediate_size, d);
    s.linear(`${p}.mlp.fc2`, d, c.intermediate_size);
    s.norm(`${p}.layer_norm2`, d);
  }
  s.norm('text_model.final_layer_norm', d);
  // transformers < 4.31 saved the position ids buffer (int64 [1, max_positions]); SD v1-5's checkpoint has it.
  const optional: ShapeMap = new Map([['text_model.embeddings.position_ids', [1, c.max_position_embeddings]]]);
  return { required: s.map, optional };
}

export type SdComponent = 'unet' | 'vae' | 'text_encoder';

/** The expected state_dict of one SD component for its config. */
export function expectedStateDictShapes(component: 'unet', config: UNet2DConditionConfig): ExpectedStateDict;
export function expectedStateDictShapes(component: 'vae', config: AutoencoderKLConfig): ExpectedStateDict;
export function expectedStateDictShapes(component: 'text_encoder', config: CLIPTextConfig): ExpectedStateDict;
export function expectedStateDictShapes(
  component: SdComponent,
  config: UNet2DConditionConfig | AutoencoderKLConfig | CLIPTextConfig,
): ExpectedStateDict {
  switch (component) {
    case 'unet':
      return expectedUNetStateDict(config as UNet2DConditionConfig);
    case 'vae':
      return expectedVaeStateDict(config as AutoencoderKLConfig);
    case 'text_encoder':
      return expectedClipTextStateDict(config as CLIPTextConfig);
  }
}

/** What a checkpoint's names/shapes look like against an expected state_dict. */
export interface StateDictReport {
  missing: string[];
  unexpected: string[];
  misshaped: { name: string; expected: readonly number[]; got: readonly number[] }[];
}

/** Compares `actual` (name → shape) with `expected`; optional entries may be present or absent. */
export function compareStateDict(expected: ExpectedStateDict, actual: ReadonlyMap<string, readonly number[]>): StateDictReport {
  const report: StateDictReport = { missing: [], unexpected: [], misshaped: [] };
  const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  for (const [name, shape] of expected.required) {
    const got = actual.get(name);
    if (got === undefined) report.missing.push(name);
    else if (!same(shape, got)) report.misshaped.push({ name, expected: shape, got });
  }
  for (const [name, got] of actual) {
    if (expected.required.has(name)) continue;
    const opt = expected.optional.get(name);
    if (opt === undefined) report.unexpected.push(name);
    else if (!same(opt, got)) report.misshaped.push({ name, expected: opt, got });
  }
  return report;
}

/**
 * Throws a Diff2in1Error('weights', ...) naming `file` and listing missing, unexpected and mis-shaped names
 * (the first `limit` of each) unless the checkpoint matches the config.
 */
export function assertStateDictMatches(
  expected: ExpectedStateDict,
  actual: ReadonlyMap<string, readonly number[]>,
  file: string,
  configFile: string,
  limit = 12,
): void {
  const r = compareStateDict(expected, actual);
  if (r.missing.length + r.unexpected.length + r.misshaped.length === 0) return;
  const list = (xs: string[]): string => xs.slice(0, limit).join(', ') + (xs.length > limit ? `, … (${xs.length - limit} more)` : '');
  const parts: string[] = [];
  if (r.missing.length) parts.push(`missing ${r.missing.length}: ${list(r.missing)}`);
  if (r.unexpected.length) parts.push(`unexpected ${r.unexpected.length}: ${list(r.unexpected)}`);
  if (r.misshaped.length) {
    parts.push(`mis-shaped ${r.misshaped.length}: ${list(r.misshaped.map((m) => `${m.name} [${m.got.join(', ')}] (config implies [${m.expected.join(', ')}])`))}`);
  }
  throw new Diff2in1Error('weights', `weights do not match ${configFile}: ${parts.join('; ')}`, { file });
}
