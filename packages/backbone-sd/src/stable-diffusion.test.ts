// Bad input gets errors that name the problem; the API's basic contract (shapes, scheduler, scale factor); the
// graph package's addModelOutputs (used for ONNX-export taps) keeps a model intact and exposes the tensors.
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModelOutputs } from '@diff2in1/graph';
import { Tensor } from '@diff2in1/tensor';
import { loadStableDiffusion } from './load-stable-diffusion.js';
import { readOnnxGraph } from './onnx-nodes.js';
import type { StableDiffusion } from './stable-diffusion.js';
import { f32, fixture, golden, maxAbsDiff, tempCache } from './testing/golden.js';

describe('StableDiffusion API', () => {
  let sd: StableDiffusion;
  const cache = tempCache('api');
  beforeAll(async () => {
    sd = await loadStableDiffusion('tiny', { cacheDir: cache, device: 'cpu', worker: true });
  });
  afterAll(async () => {
    await sd.dispose();
    rmSync(cache, { recursive: true, force: true });
  });

  it('exposes configs, the scheduler and the VAE scale factor', () => {
    expect(sd.vaeScaleFactor).toBe(8);
    expect(sd.source).toBe('tiny');
    expect(sd.scheduler.constructor.name).toBe('PNDMScheduler');
    expect(sd.configs.unet.block_out_channels).toEqual([8, 12, 16, 16]);
  });

  it('refuses image sizes that are not multiples of 8, naming the size and a fix', async () => {
    await expect(sd.encodeImage(new Tensor('float32', [1, 3, 50, 64]))).rejects.toThrow(/50×64 is not a multiple of 8.*48×64/);
    await expect(sd.encodeImage(new Tensor('float32', [1, 4, 48, 64]))).rejects.toThrow(/\[B, 3, H, W\]/);
    await expect(sd.encodeImage(new Tensor('float32', [1, 3, 48, 64]), { mode: 'median' as 'mean' })).rejects.toThrow(/mode 'median'/);
  });

  it('checks timesteps and context against the latents', async () => {
    const x = new Tensor('float32', [2, 4, 8, 8]);
    const ctx = new Tensor('float32', [1, 77, 32]);
    await expect(sd.predictNoise(x, [1, 2, 3], ctx)).rejects.toThrow(/one timestep or one per sample \(2\), got 3/);
    await expect(sd.predictNoise(x, 1, new Tensor('float32', [1, 77, 768]))).rejects.toThrow(/context must be float32 \[2 or 1, 77, 32\]/);
    await expect(sd.features(x, 1, ctx, 'some' as 'vpd')).rejects.toThrow(/taps 'some'/);
  });

  it('runs in worker sessions and broadcasts a batch-1 context (same result as the repeated context)', async () => {
    const g = golden('unet');
    const one = f32(g['b.encoder_hidden_states']);
    const x = new Tensor('float32', [2, 4, 16, 24], f32(g['a.sample']).data);
    const twice = new Tensor('float32', [2, 77, 32]);
    twice.data.set(one.data, 0);
    twice.data.set(one.data, one.size);
    const a = await sd.predictNoise(x, 601, one);
    const b = await sd.predictNoise(x, [601, 601], twice);
    expect(maxAbsDiff(a, b)).toBe(0);
  });

  it('a missing file names the file and how to get SD v1-5', async () => {
    await expect(loadStableDiffusion('/nonexistent/sd-folder')).rejects.toThrow(/stable-diffusion-v1-5/);
  });
});

describe('addModelOutputs (graph package) on the torch.onnx UNet export', () => {
  it('adds intermediate tensors as outputs (skipping existing ones) and keeps nodes and inputs', () => {
    const file = fixture('tiny-sd-onnx/unet/model.onnx');
    const bytes = readFileSync(file);
    const before = readOnnxGraph(bytes, file);
    const tensor = '/unet/up_blocks.1/attentions.1/Add_output_0';
    const edited = addModelOutputs(bytes, [{ name: tensor, elemType: 1 }, { name: 'out_sample', elemType: 1 }], file);
    const after = readOnnxGraph(edited, file);
    expect(after.outputs).toEqual([...before.outputs, tensor]);
    expect(after.nodes).toEqual(before.nodes);
    expect(after.inputs).toEqual(before.inputs);
    // the rest of the model is untouched: the bytes before the graph and every original graph field are kept
    expect(edited.length).toBeGreaterThan(bytes.length);
  });
});
