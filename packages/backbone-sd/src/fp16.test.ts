// The float16 variant: weights and activations in float16, GroupNorm statistics and the VAE's softmax in float32
// (as diffusers' mixed precision); it runs on ORT's CPU EP and stays within float16 rounding of the float32
// goldens.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '@diff2in1/graph';
import { loadStableDiffusion } from './load-stable-diffusion.js';
import type { StableDiffusion } from './stable-diffusion.js';
import { f32, golden, maxAbsDiff, tempCache, timesteps } from './testing/golden.js';

interface NodeP { opType: string; input: string[]; output: string[]; attribute?: { name: string; i?: number }[] }
interface ModelP { graph: { node: NodeP[]; initializer: { name: string; dataType: number }[] } }

describe('float16 graphs', () => {
  let sd: StableDiffusion;
  const cache = tempCache('fp16');
  beforeAll(async () => {
    sd = await loadStableDiffusion('tiny', { fp16: true, cacheDir: cache, device: 'cpu' });
  });
  afterAll(async () => {
    await sd.dispose();
    rmSync(cache, { recursive: true, force: true });
  });

  it('run on the CPU EP within float16 rounding of the float32 goldens', async () => {
    const u = golden('unet');
    const v = golden('vae');
    const noise = await sd.predictNoise(f32(u['a.sample']), timesteps(u['a.timestep']!), f32(u['a.encoder_hidden_states']));
    expect(maxAbsDiff(noise, u['a.out_sample']!)).toBeLessThan(1e-2);
    expect(maxAbsDiff(await sd.decodeLatents(f32(v['decode_latents_scaled'])), v['decoded']!)).toBeLessThan(2e-2);
  });

  it('keep conv / linear weights in float16 and GroupNorm (and the VAE softmax) in float32', () => {
    const dirs = readdirSync(cache);
    const model = (prefix: string, variant: string): ModelP => {
      const dir = join(cache, dirs.find((d) => d.startsWith(prefix))!);
      const file = readdirSync(dir).find((f) => f.startsWith(variant) && f.endsWith('.onnx'))!;
      return decodeModel(readFileSync(join(dir, file))) as unknown as ModelP;
    };
    for (const m of [model('unet-', 'unet-noise'), model('vae-', 'vae-decoder')]) {
      const dtype = new Map(m.graph.initializer.map((t) => [t.name, t.dataType]));
      const producer = new Map(m.graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
      const convs = m.graph.node.filter((n) => n.opType === 'Conv');
      expect(convs.length).toBeGreaterThan(10);
      for (const c of convs) expect(dtype.get(c.input[1]!)).toBe(10);
      for (const gemm of m.graph.node.filter((n) => n.opType === 'Gemm')) expect(dtype.get(gemm.input[1]!)).toBe(10);
      const norms = m.graph.node.filter((n) => n.opType === 'InstanceNormalization');
      expect(norms.length).toBeGreaterThan(5);
      for (const n of norms) {
        // InstanceNormalization ← Reshape ← Cast(to = FLOAT): statistics in float32
        const reshape = producer.get(n.input[0]!)!;
        const castUp = producer.get(reshape.input[0]!)!;
        expect(castUp.opType).toBe('Cast');
        expect(castUp.attribute?.find((a) => a.name === 'to')?.i).toBe(1);
      }
      for (const [name, t] of dtype) if (/norm\d?\.weight$|norm_out\.weight$|group_norm\.weight$/.test(name) && !/transformer_blocks/.test(name)) expect(t, name).toBe(1);
    }
    const vae = model('vae-', 'vae-decoder');
    const producer = new Map(vae.graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
    for (const s of vae.graph.node.filter((n) => n.opType === 'Softmax')) expect(producer.get(s.input[0]!)!.opType).toBe('Cast');
  });
});
