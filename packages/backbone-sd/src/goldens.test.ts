// The golden files hang together: what the model-building step will compare against is internally consistent
// and agrees with the configs and the tokenizer of this package.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TensorSource } from '@diff2in1/tensor';
import { SafetensorsFile } from '@diff2in1/tensor';
import { vaeScaleFactor } from './configs/autoencoder-kl.js';
import { tinySd } from './configs/tiny.js';
import { loadClipTokenizer } from './tokenizer.js';

const fixture = (rel: string): string => fileURLToPath(new URL(`./fixtures/${rel}`, import.meta.url));
const open = (rel: string): TensorSource => SafetensorsFile.open(fixture(rel));

describe('golden files', () => {
  it('CLIP: the stored ids are this tokenizer\'s ids of the stored prompts', () => {
    const f = open('golden/clip-text.safetensors');
    const prompts = JSON.parse(f.metadata()['prompts'] as string) as string[];
    const ids = loadClipTokenizer(fixture('tiny-sd/tokenizer')).encodePromptIds(prompts);
    expect([...f.get('input_ids').data]).toEqual([...ids.data]);
    expect(f.info('last_hidden_state').shape).toEqual([prompts.length, 77, tinySd.text_encoder.hidden_size]);
    f.close();
  });

  it('UNet: case b is conditioned on the empty prompt\'s CLIP embedding at t = 0', () => {
    const u = open('golden/unet.safetensors');
    const c = open('golden/clip-text.safetensors');
    const hidden = c.get('last_hidden_state').data as Float32Array;
    expect([...u.get('b.encoder_hidden_states').data]).toEqual([...hidden.subarray(0, 77 * 32)]);
    expect([...u.get('b.timestep').data]).toEqual([0n]);
    expect([...u.get('a.timestep').data]).toEqual([1n, 601n]);
    expect(u.info('a.out_sample').shape).toEqual(u.info('a.sample').shape);
    u.close();
    c.close();
  });

  it('VAE: latents are 1/8 of the image size with the config\'s channels', () => {
    const v = open('golden/vae.safetensors');
    const [b, , h, w] = v.info('image').shape as [number, number, number, number];
    const s = vaeScaleFactor(tinySd.vae);
    expect(v.info('latent_mean_scaled').shape).toEqual([b, tinySd.vae.latent_channels, h / s, w / s]);
    expect(v.info('moments').shape).toEqual([b, 2 * tinySd.vae.latent_channels, h / s, w / s]);
    expect(v.info('decoded').shape).toEqual([1, 3, 8 * (v.info('decode_latents_scaled').shape[2] as number), 8 * (v.info('decode_latents_scaled').shape[3] as number)]);
    expect(Number(v.metadata()['scaling_factor'])).toBe(tinySd.vae.scaling_factor);
    // mean × scaling_factor is the first half of the moments times the factor.
    const m = v.get('moments').data as Float32Array;
    const mean = v.get('latent_mean_scaled').data as Float32Array;
    const half = mean.length;
    let worst = 0;
    for (let i = 0; i < half; i++) worst = Math.max(worst, Math.abs((m[i] as number) * 0.18215 - (mean[i] as number)));
    expect(worst).toBeLessThan(1e-6);
    v.close();
  });
});
