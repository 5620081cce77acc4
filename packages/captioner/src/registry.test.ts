import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawImage } from '@diff2in1/tensor';
import { CAPTIONER_KINDS, createCaptioner } from './registry.js';

const pixel: RawImage = { width: 1, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array([1, 2, 3]) };

describe('createCaptioner', () => {
  it("'none' gives empty prompts, one per image", async () => {
    const c = await createCaptioner('none');
    expect(c.id).toBe('none');
    expect(await c.caption([pixel, 'x.png', pixel])).toEqual(['', '', '']);
  });

  it("'template:<text>' repeats the text, colons included", async () => {
    const c = await createCaptioner('template:a photo: indoors');
    expect(c.id).toBe('template:a photo: indoors');
    expect(await c.caption([pixel, pixel])).toEqual(['a photo: indoors', 'a photo: indoors']);
  });

  it("'scene' looks captions up by id (from the file name or opts.ids) and names a missing id", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cap-scene-'));
    writeFileSync(join(dir, 'captions.json'), JSON.stringify({ '0001': 'a room with a red box', '0002': 'a room with a blue cone' }));
    const c = await createCaptioner(`scene:${dir}`);
    expect(await c.caption(['/any/where/0002.png', pixel], { ids: ['0002', '0001'] })).toEqual(['a room with a blue cone', 'a room with a red box']);
    expect(await c.caption(['/data/images/0001.jpg'])).toEqual(['a room with a red box']);
    await expect(c.caption([pixel], { ids: ['0003'] })).rejects.toThrow(/no caption for id "0003"/);
    await expect(c.caption([pixel])).rejects.toThrow(/raw pixels without an id/);
    const bare = await createCaptioner('scene', { datasetDir: dir });
    expect(await bare.caption([pixel], { ids: ['0001'] })).toEqual(['a room with a red box']);
  });

  it('scene captioner rejects a captions.json whose values are not strings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cap-scene-bad-'));
    writeFileSync(join(dir, 'captions.json'), JSON.stringify({ a: 3 }));
    const c = await createCaptioner(`scene:${join(dir, 'captions.json')}`);
    await expect(c.caption([pixel], { ids: ['a'] })).rejects.toThrow(/caption of id "a" is a number/);
  });

  it('rejects unknown kinds and malformed specs, listing the valid kinds', async () => {
    await expect(createCaptioner('clipcap:x')).rejects.toThrow(/unknown captioner kind 'clipcap'.*'none'.*'template:<text>'.*'blip2:/);
    await expect(createCaptioner('')).rejects.toThrow(/valid kinds/);
    await expect(createCaptioner('none:x')).rejects.toThrow(/takes no argument/);
    await expect(createCaptioner('template')).rejects.toThrow(/needs a text/);
    await expect(createCaptioner('scene')).rejects.toThrow(/needs the dataset/);
    await expect(createCaptioner('transformers:')).rejects.toThrow(/local model folder/);
    expect(CAPTIONER_KINDS.length).toBe(5);
  });

  it("'transformers:<dir>' names what is missing in the folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cap-tjs-'));
    await expect(createCaptioner(`transformers:${join(dir, 'nope')}`)).rejects.toThrow(/model folder not found/);
    await expect(createCaptioner(`transformers:${dir}`)).rejects.toThrow(/config.json is missing/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'florence2' }));
    await expect(createCaptioner(`transformers:${dir}`)).rejects.toThrow(/Florence-2 is not supported yet.*supported: one of: vision-encoder-decoder/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'vision-encoder-decoder' }));
    for (const f of ['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(dir, f), '{}');
    mkdirSync(join(dir, 'onnx'));
    writeFileSync(join(dir, 'onnx', 'encoder_model.onnx'), '');
    writeFileSync(join(dir, 'onnx', 'decoder_model.onnx'), '');
    await expect(createCaptioner(`transformers:${dir}`)).rejects.toThrow(/decoder_model_merged.onnx is missing; this folder has a split decoder/);
    await expect(createCaptioner(`transformers:${dir}`, { dtype: 'q8' })).rejects.toThrow(/encoder_model_quantized.onnx is missing; dtype 'q8' selects the file suffix '_quantized'/);
  });

  it("'blip2:<dir>' validates the folder first, with a download command", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cap-blip2-'));
    await expect(createCaptioner(`blip2:${dir}`)).rejects.toThrow(/config.json is missing.*huggingface-cli download Salesforce\/blip2-opt-2.7b/s);
    await expect(createCaptioner('blip2:')).rejects.toThrow(/needs a local transformers folder/);
  });
});
