// pilResize against Pillow 9.4's own Image.resize output, and blipPixelValues against transformers'
// BlipImageProcessor arithmetic done in numpy (tools/golden/captioner/make_pil_resize_golden.py, make_tiny_blip2.py).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readRawImage, readSafetensors } from '@diff2in1/tensor';
import { loadRgb8 } from '../captioner.js';
import { BLIP2_IMAGE_PROCESSOR, blipPixelValues, blipPreprocess, readBlipImageProcessorConfig } from './image-processing-blip.js';
import type { PilFilter } from './pil-resample.js';
import { pilResize } from './pil-resample.js';

const PIL_DIR = fileURLToPath(new URL('../fixtures/pil-resize', import.meta.url));
const BLIP_DIR = fileURLToPath(new URL('../fixtures/tiny-blip2', import.meta.url));

const sha256 = (b: ArrayBufferView): string => createHash('sha256').update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).digest('hex');

describe('pilResize equals Pillow byte for byte', () => {
  const { cases } = JSON.parse(readFileSync(join(PIL_DIR, 'cases.json'), 'utf8')) as {
    cases: { source: string; width: number; height: number; filter: PilFilter; sha256: string; first: number[] }[];
  };
  for (const c of cases) {
    it(`${c.source} → ${c.width}×${c.height} ${c.filter}`, async () => {
      const src = await readRawImage(join(PIL_DIR, c.source));
      const out = pilResize(src, c.width, c.height, c.filter);
      expect([out.width, out.height, out.channels]).toEqual([c.width, c.height, src.channels]);
      expect(Array.from(out.data.subarray(0, c.first.length))).toEqual(c.first);
      expect(sha256(out.data)).toBe(c.sha256);
    });
  }

  it('accepts PIL integer filter codes and refuses nearest, alpha and bad sizes', async () => {
    const src = await readRawImage(join(PIL_DIR, 'small.png'));
    expect(sha256(pilResize(src, 20, 12, 3).data)).toBe(cases[0]!.sha256);
    expect(() => pilResize(src, 4, 4, 0)).toThrow(/resample filter 0 is not supported; one of: box \(4\), bilinear \(2\)/);
    expect(() => pilResize({ ...src, channels: 4, data: new Uint8Array(src.width * src.height * 4) }, 4, 4)).toThrow(/grey or RGB/);
    expect(() => pilResize(src, 0, 4)).toThrow(/positive integers/);
  });
});

describe('BlipImageProcessor', () => {
  it('pixel_values of a 300×200 image at 224×224 equal transformers\' float32 arithmetic bit for bit', async () => {
    const golden = JSON.parse(readFileSync(join(PIL_DIR, 'blip.json'), 'utf8')) as { shape: number[]; sha256_float32: string; first: number[] };
    const t = blipPixelValues(await loadRgb8(join(PIL_DIR, 'big.png')), BLIP2_IMAGE_PROCESSOR);
    expect(t.shape).toEqual(golden.shape);
    expect(Array.from(t.data.subarray(0, 8))).toEqual(golden.first.map(Math.fround));
    expect(sha256(t.data)).toBe(golden.sha256_float32);
  });

  it('the tiny fixture: preprocessor_config.json read from disk, pixel_values equal the reference exactly', async () => {
    const cfg = readBlipImageProcessorConfig(join(BLIP_DIR, 'preprocessor_config.json'));
    expect(cfg).toEqual({ ...BLIP2_IMAGE_PROCESSOR, size: { height: 32, width: 32 } });
    const ref = readSafetensors(join(BLIP_DIR, 'reference.safetensors'));
    const pv = await blipPreprocess([join(BLIP_DIR, 'image.png')], cfg);
    expect(pv.shape).toEqual(ref.pixel_values!.shape);
    expect(sha256(pv.data)).toBe(sha256(ref.pixel_values!.data));
  });

  it('size as a number and unknown processor types', () => {
    const dir = fileURLToPath(new URL('../fixtures/tiny-vit-gpt2', import.meta.url));
    expect(() => readBlipImageProcessorConfig(join(dir, 'preprocessor_config.json'))).toThrow(/image_processor_type is "ViTFeatureExtractor"; expected BlipImageProcessor/);
  });
});
