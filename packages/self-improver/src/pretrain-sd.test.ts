import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AutoencoderKL, UNet2DConditionModel, fixtureDir, loadStableDiffusion, openSdFolder } from '@diff2in1/backbone-sd';
import { openFolder } from '@diff2in1/datasets';
import { loadStateDict } from '@diff2in1/graph';
import { TrainStepSession } from '@diff2in1/runtime';
import { Rng, Tensor, randn, readSafetensors } from '@diff2in1/tensor';
import { latentStd, pretrainTinySd, unetTrainProgram, vaeTrainProgram } from './pretrain-sd.js';
import { tmp, toyFolder } from './testing/fixtures.js';

const session = { device: 'cpu' as const, intraOpThreads: 1 };
const folder = openSdFolder(fixtureDir('tiny'));
const weights = (c: 'vae' | 'unet') => {
  const w = folder.weights(c);
  return Object.fromEntries([...w.names].map(([n, s]) => [n, w.source.get(s)]));
};

describe('toy-pretrained tiny SD', () => {
  test('the VAE and UNet training steps (through backbone-sd modules) fit a fixed batch', async () => {
    const rng = new Rng(2);
    const vae = new AutoencoderKL(folder.configs.vae);
    loadStateDict(vae, weights('vae'), { strict: true });
    const x = new Tensor('float32', [2, 3, 32, 32], Float32Array.from({ length: 6144 }, (_, i) => Math.sin(i / 50) * 0.8 + 0.1 * rng.normal()));
    const eps = new Tensor('float32', [2, 4, 4, 4]); // ε = 0: the deterministic path
    const s1 = await TrainStepSession.create(vaeTrainProgram(vae, 2, [32, 32], 0.01), { ...session, lr: 1e-3 });
    const l1: number[] = [];
    for (let i = 0; i < 10; i++) l1.push(await s1.step({ x, eps }));
    await s1.release();
    expect(l1[9]!).toBeLessThan(l1[0]! * 0.85);

    const unet = new UNet2DConditionModel(folder.configs.unet);
    loadStateDict(unet, weights('unet'), { strict: true });
    const batch = { sample: randn(rng, [2, 4, 4, 4]), timestep: new Tensor('float32', [2], Float32Array.of(10, 500)), context: randn(rng, [2, 77, 32]), target: randn(rng, [2, 4, 4, 4]) };
    const s2 = await TrainStepSession.create(unetTrainProgram(unet, 2, [4, 4], [77, 32]), { ...session, lr: 1e-3 });
    const l2: number[] = [];
    for (let i = 0; i < 6; i++) l2.push(await s2.step(batch));
    await s2.release();
    expect(l2[5]!).toBeLessThan(l2[0]! * 0.95);
  }, 120_000);

  test('pretrainTinySd writes a diffusers folder with the new VAE weights, reused when the settings match', async () => {
    const root = await toyFolder(32, 4, 0, 3);
    const images = await openFolder(root, { split: 'train', tasks: [] });
    const out = join(tmp('pre'), 'sd');
    // The UNet phase's step is checked above; here it is skipped (steps 0) to keep the test short.
    // 16×16 crops of the 32×32 images: the VAE trains on crops and is used on whole images.
    const o = { images, out, vae: { steps: 3, batchSize: 2, crop: 16 }, unet: { steps: 0 }, session, quiet: true };
    const r = await pretrainTinySd(o);
    expect(r.cached).toBe(false);
    expect(r.vaeLoss.every(Number.isFinite) && r.unetLoss.length === 0).toBe(true);
    const trained = readSafetensors(join(out, 'vae', 'diffusion_pytorch_model.safetensors'));
    const base = weights('vae');
    expect(Object.keys(trained).sort()).toEqual(Object.keys(base).sort());
    expect(Array.from(trained['encoder.conv_in.weight']!.data as Float32Array)).not.toEqual(Array.from(base['encoder.conv_in.weight']!.data as Float32Array));
    const reopened = openSdFolder(out);
    expect(reopened.configs.unet.block_out_channels).toEqual(folder.configs.unet.block_out_channels);
    expect(reopened.weights('unet').names.size).toBe(folder.weights('unet').names.size);
    // The measured scaling_factor gives the images' latent means unit variance (SD's 1/std rule).
    const sd = await loadStableDiffusion(out, { device: 'cpu', threads: 1 });
    const latents: Tensor<'float32'>[] = [];
    for (let i = 0; i < images.length; i++) latents.push(await sd.encodeImage(new Tensor('float32', [1, 3, 32, 32], (await images.get(i)).image.data.map((v) => v * 2 - 1)), { mode: 'mean' }));
    await sd.dispose();
    expect(sd.configs.vae.scaling_factor).not.toBe(folder.configs.vae.scaling_factor);
    expect(latentStd(latents)).toBeCloseTo(1, 4);
    expect((await pretrainTinySd(o)).cached).toBe(true);
    await expect(pretrainTinySd({ ...o, seed: 1 })).rejects.toThrow(/other settings/);
    await expect(pretrainTinySd({ ...o, out: join(tmp('pre'), 'sd'), vae: { steps: 1, crop: 12 } })).rejects.toThrow(/vae.crop 12 must be a multiple of the VAE's downsampling factor 8/);
  }, 300_000);

  test('latentStd: the population standard deviation over every element', () => {
    const t = (xs: number[]) => new Tensor('float32', [xs.length], Float32Array.from(xs));
    expect(latentStd([t([1, 3]), t([5, 7])])).toBeCloseTo(Math.sqrt(5), 12);
    expect(() => latentStd([t([2, 2])])).toThrow(/variance 0/);
  });
});
