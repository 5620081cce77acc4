// Feature taps of the UNet: which module outputs become extra graph outputs, as named sets.
//
// `vpd` — the outputs of up_blocks[0].resnets[1], up_blocks[1].attentions[1], up_blocks[2].attentions[1] and the
// last up block (VPD's choice; for SD v1-5 on a 512² image: 1280@8, 1280@16, 640@32, 320@64).
//
// `all` — what the official Diff-2-in-1 code collects (github.com/zsh2000/diff-2-in-1,
// ldm/modules/diffusionmodules/openaimodel.py, UNetModel.forward at t ∈ {0, 1}): the output of every LDM
// `input_blocks[k]` (12 for SD), of `middle_block`, and of every `output_blocks[k]` (12), appended in execution
// order to the groups "low" / "mid" / "high" / "highest" by spatial size 8 / 16 / 32 / 64 — the latent size
// divided by 8 / 4 / 2 / 1. Its adapter (ldm/models/sn_module.py, SNmodule._prepare_features) resizes every
// tensor of a group to one size and concatenates them on channels in that order (1280·6, 1280·5 + 640,
// 1280 + 640·4 + 320, 640 + 320·6 channels for SD). In diffusers terms an LDM input block is conv_in, one
// (resnet[, transformer]) layer of a down block, or a down block's downsampler — the tensors diffusers keeps as
// skip connections — and an LDM output block is one (resnet[, transformer]) layer of an up block, the last layer
// of each up block followed by the block's upsampler.

import { Diff2in1Error, choices } from '@diff2in1/tensor';
import type { UNet2DConditionConfig } from './configs/unet-2d-condition.js';
import { unetBlockPlan } from './configs/unet-2d-condition.js';

export const TAP_SETS = ['vpd', 'all'] as const;
export type TapSetName = (typeof TAP_SETS)[number];

/** Group names of the official code, by downsampling factor relative to the latent. */
export const RESOLUTION_GROUPS: Readonly<Record<number, string>> = { 1: 'highest', 2: 'high', 4: 'mid', 8: 'low' };

export interface Tap {
  /** The diffusers module whose forward output is tapped, e.g. 'up_blocks.1.attentions.1' or 'up_blocks.3'. */
  module: string;
  channels: number;
  /** Latent size / feature size (1, 2, 4, 8 for SD). */
  stride: number;
  /** 'highest' | 'high' | 'mid' | 'low' (stride 1 / 2 / 4 / 8); `s<stride>` beyond. */
  group: string;
}

function groupOf(stride: number): string {
  return RESOLUTION_GROUPS[stride] ?? `s${stride}`;
}

/** The taps of a named set for a UNet config, in execution order. */
export function unetTaps(config: UNet2DConditionConfig, set: TapSetName): Tap[] {
  if (!(TAP_SETS as readonly string[]).includes(set)) {
    throw new Diff2in1Error('taps', `unknown tap set "${String(set)}"; ${choices(TAP_SETS)}`);
  }
  const boc = config.block_out_channels;
  const n = boc.length;
  const plan = unetBlockPlan(config);
  const rev = [...boc].reverse();
  const revLayers = [...plan.layersPerBlock].reverse();
  const tap = (module: string, channels: number, level: number): Tap => ({ module, channels, stride: 2 ** level, group: groupOf(2 ** level) });
  const layerName = (side: 'down_blocks' | 'up_blocks', i: number, type: string, j: number): string =>
    `${side}.${i}.${type.startsWith('CrossAttn') ? 'attentions' : 'resnets'}.${j}`;

  if (set === 'vpd') {
    const out: Tap[] = [];
    config.up_block_types.forEach((type, i) => {
      if (i === n - 1) out.push(tap(`up_blocks.${i}`, rev[i] as number, 0));
      else out.push(tap(layerName('up_blocks', i, type, 1), rev[i] as number, n - 1 - i));
    });
    return out;
  }

  const out: Tap[] = [tap('conv_in', boc[0] as number, 0)];
  config.down_block_types.forEach((type, i) => {
    for (let j = 0; j < (plan.layersPerBlock[i] as number); j++) out.push(tap(layerName('down_blocks', i, type, j), boc[i] as number, i));
    if (i < n - 1) out.push(tap(`down_blocks.${i}.downsamplers.0`, boc[i] as number, i + 1));
  });
  out.push(tap('mid_block', boc[n - 1] as number, n - 1));
  config.up_block_types.forEach((type, i) => {
    const layers = (revLayers[i] as number) + 1;
    for (let j = 0; j < layers; j++) {
      const last = j === layers - 1;
      if (last && i < n - 1) out.push(tap(`up_blocks.${i}.upsamplers.0`, rev[i] as number, n - 2 - i));
      else out.push(tap(layerName('up_blocks', i, type, j), rev[i] as number, n - 1 - i));
    }
  });
  return out;
}

/** Taps grouped by resolution in the official code's order of groups (low, mid, high, highest) and of tensors. */
export function groupTaps(taps: readonly Tap[]): Map<string, Tap[]> {
  const groups = new Map<string, Tap[]>();
  const strides = [...new Set(taps.map((t) => t.stride))].sort((a, b) => b - a);
  for (const s of strides) groups.set(groupOf(s), taps.filter((t) => t.stride === s));
  return groups;
}

/**
 * torch.onnx (torch 1.13) names nodes by module scope: "/<wrapper>/up_blocks.0/resnets.1/Div". The module's
 * output is the first output of the LAST node in that scope in graph order. Returns the scope prefix of a module
 * path ('up_blocks.0.resnets.1' → '/up_blocks.0/resnets.1/'), to be searched after any wrapper prefix.
 */
export function onnxScopeOf(module: string): string {
  const parts = module.split('.');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const next = parts[i + 1];
    if (next !== undefined && /^\d+$/.test(next)) {
      out.push(`${parts[i]}.${next}`);
      i++;
    } else {
      out.push(parts[i] as string);
    }
  }
  return `/${out.join('/')}/`;
}

/**
 * Finds each tap's tensor in an exported graph: for each module, the first output of the last node (in graph
 * order) whose name contains the module's scope. `nodes` are the graph's nodes in order.
 */
export function findOnnxTaps(
  nodes: readonly { name: string; outputs: readonly string[] }[],
  modules: readonly string[],
): Map<string, { node: string; tensor: string }> {
  const scopes = modules.map((m) => [m, onnxScopeOf(m)] as const);
  const found = new Map<string, { node: string; tensor: string }>();
  for (const node of nodes) {
    for (const [m, scope] of scopes) {
      const at = node.name.indexOf(scope);
      // Only a scope directly under the root or under a wrapper's single scope ("/unet/up_blocks.0/...").
      if (at >= 0 && node.outputs[0] !== undefined && node.name.lastIndexOf('/', at - 1) <= 0) found.set(m, { node: node.name, tensor: node.outputs[0] });
    }
  }
  const missingTaps = modules.filter((m) => !found.has(m));
  if (missingTaps.length) {
    throw new Diff2in1Error('taps', `no node of the exported graph lies in the scope of ${missingTaps.join(', ')} (looked for names containing ${missingTaps.map(onnxScopeOf).join(', ')})`);
  }
  return found;
}
