// BlipImageProcessor (transformers image_processing_blip.py), as Blip2Processor uses it for
// Salesforce/blip2-opt-2.7b (preprocessor_config.json: size 224×224, resample 3 = PIL BICUBIC, rescale 1/255,
// normalize with OPENAI_CLIP_MEAN / OPENAI_CLIP_STD, do_convert_rgb).
// The steps, with transformers' arithmetic:
//   convert_rgb (PIL convert("RGB"): grey replicated, alpha dropped) → uint8 numpy → resize through PIL
//   (`Image.resize((w, h), resample)`, reproduced bit-exactly by pilResize) → rescale: (x as float64 × 1/255)
//   stored as float32 → normalize in float32: (x − mean) / std, each op rounded to float32 → CHW.
// Every float32 op is reproduced with Math.fround over exact double arithmetic (a single +, −, ×, ÷ of float32
// values computed in float64 and rounded once equals the float32 result), so pixel_values match numpy's bit for bit.
import { readFileSync } from 'node:fs';
import { Diff2in1Error, Tensor, choices } from '@diff2in1/tensor';
import type { RawImage } from '@diff2in1/tensor';
import type { ImageInput } from '../captioner.js';
import { loadRgb8 } from '../captioner.js';
import { pilResize } from './pil-resample.js';

/** open_clip / transformers OPENAI_CLIP_MEAN and OPENAI_CLIP_STD. */
export const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export interface BlipImageProcessorConfig {
  do_resize: boolean;
  size: { height: number; width: number };
  /** PIL filter code: 2 bilinear, 3 bicubic, 1 lanczos, 4 box, 5 hamming. */
  resample: number;
  do_rescale: boolean;
  rescale_factor: number;
  do_normalize: boolean;
  image_mean: readonly number[];
  image_std: readonly number[];
  do_convert_rgb: boolean;
}

/** Salesforce/blip2-opt-2.7b preprocessor_config.json. */
export const BLIP2_IMAGE_PROCESSOR: BlipImageProcessorConfig = {
  do_resize: true, size: { height: 224, width: 224 }, resample: 3, do_rescale: true, rescale_factor: 1 / 255,
  do_normalize: true, image_mean: OPENAI_CLIP_MEAN, image_std: OPENAI_CLIP_STD, do_convert_rgb: true,
};

/** BlipImageProcessor defaults for keys a preprocessor_config.json leaves out (size 384 is the class default). */
const DEFAULTS: BlipImageProcessorConfig = { ...BLIP2_IMAGE_PROCESSOR, size: { height: 384, width: 384 } };

/** Reads preprocessor_config.json (image_processor_type must be BlipImageProcessor). */
export function readBlipImageProcessorConfig(path: string): BlipImageProcessorConfig {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Diff2in1Error('config', `cannot read preprocessor config: ${(e as Error).message}`, { file: path, cause: e });
  }
  const type = j.image_processor_type ?? j.feature_extractor_type;
  if (type !== undefined && type !== 'BlipImageProcessor' && type !== 'BlipImageProcessorFast') {
    throw new Diff2in1Error('config', `image_processor_type is ${JSON.stringify(type)}; expected BlipImageProcessor`, { file: path });
  }
  const out: BlipImageProcessorConfig = { ...DEFAULTS };
  for (const k of ['do_resize', 'do_rescale', 'do_normalize', 'do_convert_rgb'] as const) if (typeof j[k] === 'boolean') out[k] = j[k] as boolean;
  if (typeof j.resample === 'number') out.resample = j.resample;
  if (typeof j.rescale_factor === 'number') out.rescale_factor = j.rescale_factor;
  if (Array.isArray(j.image_mean)) out.image_mean = j.image_mean as number[];
  if (Array.isArray(j.image_std)) out.image_std = j.image_std as number[];
  const size = j.size;
  if (typeof size === 'number') out.size = { height: size, width: size };
  else if (size && typeof size === 'object' && typeof (size as { height?: unknown }).height === 'number') out.size = size as { height: number; width: number };
  else if (size !== undefined) throw new Diff2in1Error('config', `size must be a number or {"height", "width"}, got ${JSON.stringify(size)}; ${choices(['224', '{"height": 224, "width": 224}'])}`, { file: path });
  return out;
}

/** One decoded RGB image → float32 [3, H, W] pixel_values. */
export function blipPixelValues(rgb: RawImage, cfg: BlipImageProcessorConfig = BLIP2_IMAGE_PROCESSOR): Tensor<'float32'> {
  if (rgb.bitDepth !== 8 || rgb.channels !== 3) throw new Diff2in1Error('image', 'blipPixelValues needs 8-bit RGB pixels (use loadRgb8 / convertChannels)');
  const img = cfg.do_resize ? pilResize(rgb, cfg.size.width, cfg.size.height, cfg.resample) : rgb;
  const { width: w, height: h } = img;
  const hw = w * h;
  const out = new Float32Array(3 * hw);
  const f = Math.fround;
  const mean = cfg.image_mean.map(f);
  const std = cfg.image_std.map(f);
  if (mean.length !== 3 || std.length !== 3) throw new Diff2in1Error('config', 'image_mean and image_std need 3 values (RGB)');
  for (let c = 0; c < 3; c++) {
    const m = mean[c] as number;
    const s = std[c] as number;
    for (let p = 0; p < hw; p++) {
      let x = img.data[p * 3 + c] as number;
      if (cfg.do_rescale) x = f(x * cfg.rescale_factor);
      if (cfg.do_normalize) x = f(f(x - m) / s);
      out[c * hw + p] = x;
    }
  }
  return new Tensor('float32', [3, h, w], out);
}

/** Images → pixel_values [N, 3, H, W], as Blip2Processor(images=...) returns them. */
export async function blipPreprocess(images: readonly ImageInput[], cfg: BlipImageProcessorConfig = BLIP2_IMAGE_PROCESSOR): Promise<Tensor<'float32'>> {
  const parts: Tensor<'float32'>[] = [];
  for (const image of images) parts.push(blipPixelValues(await loadRgb8(image), cfg));
  const first = parts[0];
  if (!first) return new Tensor('float32', [0, 3, cfg.size.height, cfg.size.width]);
  const size = first.size;
  const data = new Float32Array(size * parts.length);
  parts.forEach((t, i) => {
    if (t.size !== size) throw new Diff2in1Error('image', 'blipPreprocess: images resized to different sizes (do_resize is off?)');
    data.set(t.data, i * size);
  });
  return new Tensor('float32', [parts.length, ...first.shape], data);
}
