import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor as T, readSafetensors, toFloat16, writeSafetensors } from '@diff2in1/tensor';
import { tinySd } from './configs/tiny.js';
import { SD_FOLDER_LAYOUT, openSdFolder, sd15DownloadCommand } from './folder.js';

const TINY = fileURLToPath(new URL('./fixtures/tiny-sd', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'backbone-sd-folder-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
/** A fresh copy of the tiny folder to damage. */
function copy(): string {
  const dir = join(scratch, `sd${n++}`);
  cpSync(TINY, dir, { recursive: true });
  return dir;
}

function caught(fn: () => unknown): Diff2in1Error {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Diff2in1Error);
    return e as Diff2in1Error;
  }
  throw new Error('expected an error');
}

describe('openSdFolder on the tiny fixture', () => {
  it('reads and cross-checks every config', () => {
    const f = openSdFolder(TINY);
    expect(f.configs.unet).toEqual(tinySd.unet);
    expect(f.configs.vae).toEqual(tinySd.vae);
    expect(f.configs.text_encoder).toEqual(tinySd.text_encoder);
    expect(f.configs.tokenizer).toEqual(tinySd.tokenizer);
    expect(f.configs.scheduler['_class_name']).toBe('PNDMScheduler');
    expect(f.configs.ignoredKeys).toEqual([]);
  });

  it('opens each component and checks its weights against the config', () => {
    const f = openSdFolder(TINY);
    for (const c of ['unet', 'vae', 'text_encoder'] as const) {
      const w = f.weights(c);
      expect(w.names.size).toBe(w.expected.required.size);
      const name = [...w.names.keys()][0] as string;
      expect(w.source.get(w.names.get(name) as string).shape).toEqual(w.expected.required.get(name));
      w.source.close();
    }
    expect(f.tokenizer().vocabSize).toBe(tinySd.text_encoder.vocab_size);
  });
});

describe('bad folders', () => {
  it('names a missing config, the layout, and how to download SD v1-5', () => {
    const dir = copy();
    unlinkSync(join(dir, 'unet', 'config.json'));
    const e = caught(() => openSdFolder(dir));
    expect(e.code).toBe('sd-folder');
    expect(e.file).toBe(join(dir, 'unet', 'config.json'));
    expect(e.message).toContain('missing the UNet config');
    for (const f of SD_FOLDER_LAYOUT) expect(e.message).toContain(f);
    expect(e.message).toContain('stable-diffusion-v1-5/stable-diffusion-v1-5');
    expect(e.message).toContain(`huggingface-cli download stable-diffusion-v1-5/stable-diffusion-v1-5 "model_index.json" "unet/config.json"`);
    expect(e.message).toContain(`--local-dir "${dir}"`);
  });

  it('names missing tokenizer files and missing weights', () => {
    const a = copy();
    unlinkSync(join(a, 'tokenizer', 'merges.txt'));
    expect(caught(() => openSdFolder(a)).file).toBe(join(a, 'tokenizer', 'merges.txt'));
    const b = copy();
    unlinkSync(join(b, 'vae', 'diffusion_pytorch_model.safetensors'));
    const f = openSdFolder(b); // configs alone are fine
    const e = caught(() => f.weights('vae'));
    expect(e.file).toBe(join(b, 'vae', 'diffusion_pytorch_model.safetensors'));
    expect(e.message).toContain('vae/diffusion_pytorch_model.safetensors.index.json');
    expect(caught(() => openSdFolder(join(b, 'nope'))).message).toContain('missing the folder itself');
  });

  it('refuses pickle weights with the tensor package message', () => {
    const dir = copy();
    unlinkSync(join(dir, 'unet', 'diffusion_pytorch_model.safetensors'));
    writeFileSync(join(dir, 'unet', 'diffusion_pytorch_model.bin'), new Uint8Array([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]));
    const e = caught(() => openSdFolder(dir).weights('unet'));
    expect(e.code).toBe('pickle');
    expect(e.file).toBe(join(dir, 'unet', 'diffusion_pytorch_model.bin'));
    expect(e.message).toMatch(/pickle/);
    expect(e.message).toMatch(/safetensors/);
  });

  it('lists weights that do not match the config', () => {
    const dir = copy();
    const file = join(dir, 'vae', 'diffusion_pytorch_model.safetensors');
    const w = readSafetensors(file);
    delete w['decoder.conv_out.bias'];
    w['quant_conv.weight'] = new T('float32', [8, 8, 3, 3]);
    writeSafetensors(file, w);
    const e = caught(() => openSdFolder(dir).weights('vae'));
    expect(e.code).toBe('weights');
    expect(e.message).toContain('missing 1: decoder.conv_out.bias');
    expect(e.message).toContain('mis-shaped 1: quant_conv.weight [8, 8, 3, 3] (config implies [8, 8, 1, 1])');
    expect(e.message).toContain(join(dir, 'vae', 'config.json'));
  });
});

describe('weight file variants', () => {
  it('reads `.fp16.safetensors` when asked for the fp16 variant', () => {
    const dir = copy();
    const plain = join(dir, 'unet', 'diffusion_pytorch_model.safetensors');
    const half: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(readSafetensors(plain))) half[k] = toFloat16(v);
    writeSafetensors(join(dir, 'unet', 'diffusion_pytorch_model.fp16.safetensors'), half);
    const f = openSdFolder(dir, { variant: 'fp16' });
    expect(f.weightFile('unet')).toBe(join(dir, 'unet', 'diffusion_pytorch_model.fp16.safetensors'));
    const w = f.weights('unet');
    expect(w.source.info('conv_in.weight').dtype).toBe('F16');
    w.source.close();
    expect(openSdFolder(dir).weightFile('unet')).toBe(plain); // no variant: the plain file
    // A variant that is absent is named, with the download command for that variant.
    const e = caught(() => f.weights('vae'));
    expect(e.file).toBe(join(dir, 'vae', 'diffusion_pytorch_model.fp16.safetensors'));
    expect(e.message).toContain('"vae/diffusion_pytorch_model.fp16.safetensors"');
    expect(sd15DownloadCommand('/x', 'fp16')).toContain('"text_encoder/model.fp16.safetensors"');
  });

  it('reads a sharded checkpoint through its index', () => {
    const dir = copy();
    const file = join(dir, 'unet', 'diffusion_pytorch_model.safetensors');
    const all = readSafetensors(file);
    const names = Object.keys(all).sort();
    const shards = [names.slice(0, 300), names.slice(300)];
    const weightMap: Record<string, string> = {};
    shards.forEach((part, i) => {
      const shard = `diffusion_pytorch_model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(join(dir, 'unet', shard), Object.fromEntries(part.map((k) => [k, all[k] as Tensor])));
      for (const k of part) weightMap[k] = shard;
    });
    unlinkSync(file);
    writeFileSync(join(dir, 'unet', 'diffusion_pytorch_model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const w = openSdFolder(dir).weights('unet');
    expect(w.file.endsWith('.safetensors.index.json')).toBe(true);
    expect(w.names.size).toBe(names.length);
    expect([...w.source.get('conv_out.bias').data]).toEqual([...(all['conv_out.bias'] as Tensor).data]);
    w.source.close();
  });

  it('loads VAE weights saved with the legacy attention names', () => {
    const dir = copy();
    const file = join(dir, 'vae', 'diffusion_pytorch_model.safetensors');
    const w = readSafetensors(file);
    const renamed: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(w)) {
      renamed[k.replace(/(mid_block\.attentions\.0)\.to_q\./, '$1.query.').replace(/(mid_block\.attentions\.0)\.to_out\.0\./, '$1.proj_attn.')] = v;
    }
    writeSafetensors(file, renamed);
    const got = openSdFolder(dir).weights('vae');
    expect(got.names.get('encoder.mid_block.attentions.0.to_q.weight')).toBe('encoder.mid_block.attentions.0.query.weight');
    expect(got.names.get('decoder.mid_block.attentions.0.to_out.0.bias')).toBe('decoder.mid_block.attentions.0.proj_attn.bias');
    got.source.close();
  });
});
