// The official golden (tools/golden/heads/make_golden.py): metadata, tensors, and our modules configured and
// loaded exactly like the upstream ones it was made with.
import { readFileSync } from 'node:fs';
import { loadStateDict } from '@diff2in1/graph';
import { SNModule, type TapSpec, loadSNModuleState, tapInputName } from '@diff2in1/feature-pyramid';
import { Tensor } from '@diff2in1/tensor';
import type { BaeChannels } from '../decoder.js';
import { type BaeNetwork, createBae } from '../plugin.js';
import { loadFixture, splitChannels, withPrefix } from './golden.js';

export interface GoldenMeta {
  batch: number;
  image: number;
  groups: Record<string, { tensors: number[]; size: number }>;
  sn_channels: { low: number; mid: number; high: number; highest: number; up1: number; up2: number };
  decoder: { d0: number; d1: number; d2: number; d3: number; d4: number; hidden: number };
  loss: number;
  loss_terms: number[];
  no_grad_parameters: string[];
  nearest_pairs: [number, number, number, number][];
  adam: { lr: number };
}

export const meta = JSON.parse(readFileSync(new URL('../fixtures/official-golden.json', import.meta.url), 'utf8')) as GoldenMeta;
export const gold = loadFixture(new URL('../fixtures/official-golden.safetensors', import.meta.url));
export const GROUPS = ['low', 'mid', 'high', 'highest'] as const;
export const IMAGE: [number, number] = [meta.image, meta.image];

export const taps: TapSpec[] = GROUPS.flatMap((grp) => meta.groups[grp]!.tensors.map((c, i) => ({ name: `${grp}.${i}`, channels: c, stride: meta.image / meta.groups[grp]!.size })));
const s = meta.sn_channels;
const d = meta.decoder;
export const channels: BaeChannels = { inputs: [s.low, s.mid, s.high, s.up1, s.up2], widths: [d.d0, d.d1, d.d2, d.d3, d.d4], hidden: d.hidden };

export function tapFeeds(): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const grp of GROUPS) splitChannels(gold[`in.${grp}`]!, meta.groups[grp]!.tensors).forEach((t, i) => (feeds[tapInputName(`${grp}.${i}`)] = t));
  return feeds;
}

/** target.normals and valid.normals (the uint8 mask as float 0/1). */
export function targetFeeds(): Record<string, Tensor> {
  const m = gold['in.gt_mask']!;
  return { 'target.normals': gold['in.gt_norm']!, 'valid.normals': new Tensor('float32', m.shape, Float32Array.from(m.data as Uint8Array)) };
}

/** The golden's recorded random draws, fed as the head's perm inputs. */
export function permFeeds(): Record<string, Tensor> {
  return Object.fromEntries(['res4', 'res2', 'res1'].map((l) => [`bae.perm_${l}`, gold[`train.perm_${l}`]!]));
}

export function snModule(): SNModule {
  const m = new SNModule({ taps, channels: { ...meta.sn_channels } });
  loadSNModuleState(m, withPrefix(gold, 'state.sn.'));
  return m;
}

export function baeNet(): BaeNetwork {
  const net = createBae({ channels });
  loadStateDict(net.module, withPrefix(gold, 'state.bae.'), { strict: true });
  return net;
}
