import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile } from '@diff2in1/tensor';
import { sd15 } from './configs/sd15.js';
import { tinySd } from './configs/tiny.js';
import { canonicalName, canonicalNames } from './name-map.js';
import type { ExpectedStateDict } from './state-dict.js';
import { assertStateDictMatches, compareStateDict, expectedStateDictShapes } from './state-dict.js';

const fixture = (rel: string): string => fileURLToPath(new URL(`./fixtures/${rel}`, import.meta.url));
type Listing = [string, number[]][];
// diffusers v0.25.0's own state_dict() listings (tools/golden/backbone: models built from the same configs).
const golden = JSON.parse(readFileSync(fixture('golden/state-dict-shapes.json'), 'utf8')) as Record<'tiny' | 'sd15', { unet: Listing; vae: Listing }>;

const entries = (e: ExpectedStateDict): Listing => [...e.required].map(([k, v]) => [k, [...v]]);
const count = (e: ExpectedStateDict): number => [...e.required.values()].reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);

function fileShapes(rel: string): Map<string, readonly number[]> {
  const f = SafetensorsFile.open(fixture(rel));
  try {
    return new Map(f.names().map((n) => [n, f.info(n).shape]));
  } finally {
    f.close();
  }
}

describe('expectedStateDictShapes', () => {
  it('lists the UNet and VAE parameters exactly as diffusers v0.25.0 does, in order (tiny and sd15)', () => {
    for (const [name, cfg] of [['tiny', tinySd], ['sd15', sd15]] as const) {
      expect(entries(expectedStateDictShapes('unet', cfg.unet)), `${name} unet`).toEqual(golden[name].unet);
      expect(entries(expectedStateDictShapes('vae', cfg.vae)), `${name} vae`).toEqual(golden[name].vae);
    }
  });

  it('gives the published parameter counts of SD v1-5', () => {
    // UNet 859.52 M, VAE 83.65 M, CLIP ViT-L/14 text tower 123.06 M (as reported for SD v1 / CLIP).
    expect(count(expectedStateDictShapes('unet', sd15.unet))).toBe(859_520_964);
    expect(count(expectedStateDictShapes('vae', sd15.vae))).toBe(83_653_863);
    expect(count(expectedStateDictShapes('text_encoder', sd15.text_encoder))).toBe(123_060_480);
  });

  it('matches the tiny fixture weights name for name and shape for shape', () => {
    for (const [component, rel] of [
      ['unet', 'tiny-sd/unet/diffusion_pytorch_model.safetensors'],
      ['vae', 'tiny-sd/vae/diffusion_pytorch_model.safetensors'],
      ['text_encoder', 'tiny-sd/text_encoder/model.safetensors'],
    ] as const) {
      const expected = component === 'unet' ? expectedStateDictShapes('unet', tinySd.unet)
        : component === 'vae' ? expectedStateDictShapes('vae', tinySd.vae) : expectedStateDictShapes('text_encoder', tinySd.text_encoder);
      expect(compareStateDict(expected, fileShapes(rel)), component).toEqual({ missing: [], unexpected: [], misshaped: [] });
    }
  });

  it('follows use_linear_projection and transformer depth (SD 2.x style)', () => {
    const e = expectedStateDictShapes('unet', { ...sd15.unet, use_linear_projection: true, transformer_layers_per_block: 2, attention_head_dim: [5, 10, 20, 20] });
    expect(e.required.get('down_blocks.0.attentions.0.proj_in.weight')).toEqual([320, 320]);
    expect(e.required.has('down_blocks.0.attentions.0.transformer_blocks.1.attn2.to_k.weight')).toBe(true);
    expect(e.required.has('down_blocks.0.attentions.0.transformer_blocks.2.norm1.weight')).toBe(false);
  });
});

describe('checking a checkpoint against its config', () => {
  const expected = expectedStateDictShapes('text_encoder', tinySd.text_encoder);
  const good = new Map<string, readonly number[]>(expected.required);

  it('accepts the optional position_ids buffer of older transformers checkpoints', () => {
    const withIds = new Map(good).set('text_model.embeddings.position_ids', [1, 77]);
    expect(compareStateDict(expected, withIds)).toEqual({ missing: [], unexpected: [], misshaped: [] });
  });

  it('lists missing, unexpected and mis-shaped names', () => {
    const bad = new Map(good);
    bad.delete('text_model.final_layer_norm.bias');
    bad.set('text_model.encoder.layers.0.mlp.fc1.weight', [32, 128]);
    bad.set('text_projection.weight', [32, 32]);
    expect(compareStateDict(expected, bad)).toEqual({
      missing: ['text_model.final_layer_norm.bias'],
      unexpected: ['text_projection.weight'],
      misshaped: [{ name: 'text_model.encoder.layers.0.mlp.fc1.weight', expected: [128, 32], got: [32, 128] }],
    });
    expect(() => assertStateDictMatches(expected, bad, 'te/model.safetensors', 'te/config.json')).toThrow(
      /te\/model\.safetensors: weights do not match te\/config\.json: missing 1: text_model\.final_layer_norm\.bias; unexpected 1: text_projection\.weight; mis-shaped 1: text_model\.encoder\.layers\.0\.mlp\.fc1\.weight \[32, 128\] \(config implies \[128, 32\]\)/,
    );
  });

  it('maps the legacy VAE attention names as diffusers does, and only those', () => {
    expect(canonicalName('vae', 'encoder.mid_block.attentions.0.query.weight')).toBe('encoder.mid_block.attentions.0.to_q.weight');
    expect(canonicalName('vae', 'decoder.mid_block.attentions.0.proj_attn.bias')).toBe('decoder.mid_block.attentions.0.to_out.0.bias');
    expect(canonicalName('vae', 'decoder.mid_block.attentions.0.group_norm.weight')).toBe('decoder.mid_block.attentions.0.group_norm.weight');
    expect(canonicalName('unet', 'mid_block.attentions.0.query.weight')).toBe('mid_block.attentions.0.query.weight');
    expect(() => canonicalNames('vae', ['encoder.mid_block.attentions.0.key.bias', 'encoder.mid_block.attentions.0.to_k.bias'], 'v.safetensors')).toThrow(/both load into "encoder\.mid_block\.attentions\.0\.to_k\.bias"/);
  });
});
