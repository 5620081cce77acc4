// Image files <-> interleaved raw pixels <-> float tensors, on sharp (libvips).
//
// sharp converts everything to sRGB 8-bit unless told otherwise, which would silently turn a 16-bit depth
// PNG (millimetres) into 8 bits and a grey label map into RGB. So each read picks the libvips colour space
// from the file's own channel count and depth:
//   16-bit: 'grey16' (1–2 channels) or 'rgb16' (3–4 channels), read back with raw({ depth: 'ushort' });
//   8-bit:  'b-w' (1 channel), 'grey16' then ÷257 (grey+alpha: 'b-w' would drop the alpha, and libvips
//           widens 8→16 bits as v·257 exactly), 'srgb' (3–4 channels; CMYK JPEGs become RGB).
// Writes mirror that. EXIF orientation is NOT applied: pixels come back in stored order, as PIL's
// Image.open does, so labels and images of a dataset stay aligned.
import sharp from 'sharp';
import { readFile } from 'node:fs/promises';
import { Diff2in1Error } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { decodePng, isPalettePng } from './png.js';
import { Tensor } from './tensor.js';

/** Interleaved (HWC, row-major) pixels. 8-bit data is a Uint8Array, 16-bit a Uint16Array. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  data: Uint8Array | Uint16Array;
}

/** Value range of float tensors made from / turned into images. 'raw' keeps stored integers (e.g. depth in mm). */
export type ImageRange = '0-1' | '-1-1' | '0-255' | 'raw';
const RANGES: readonly ImageRange[] = ['0-1', '-1-1', '0-255', 'raw'];

/** Checks a RawImage's fields against each other; throws a Diff2in1Error naming what is wrong. */
export function checkRawImage(raw: RawImage, what = 'image'): void {
  const { width, height, channels, bitDepth, data } = raw;
  if (!Number.isSafeInteger(width) || width <= 0 || !Number.isSafeInteger(height) || height <= 0) {
    throw new Diff2in1Error('image', `${what}: width and height must be positive integers, got ${width}×${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new Diff2in1Error('image', `${what}: channels must be one of: 1, 2, 3, 4; got ${channels}`);
  if (bitDepth !== 8 && bitDepth !== 16) throw new Diff2in1Error('image', `${what}: bitDepth must be one of: 8, 16; got ${String(bitDepth)}`);
  if (bitDepth === 8 && !(data instanceof Uint8Array)) throw new Diff2in1Error('image', `${what}: 8-bit data must be a Uint8Array`);
  if (bitDepth === 16 && !(data instanceof Uint16Array)) throw new Diff2in1Error('image', `${what}: 16-bit data must be a Uint16Array`);
  if (data.length !== width * height * channels) {
    throw new Diff2in1Error('image', `${what}: ${width}×${height}×${channels} needs ${width * height * channels} values, data has ${data.length}`);
  }
}

export interface ReadImageOptions {
  /**
   * Palette PNGs: 'rgb' (default) expands colours like any viewer; 'indices' returns the palette index per
   * pixel as one 8-bit channel (PIL mode 'P' — how VOC-style label maps store class ids). No effect on
   * non-palette files.
   */
  palette?: 'rgb' | 'indices';
}

/** Decodes a PNG (1/2/4/8/16-bit, any channel count) or JPEG (or anything else sharp reads) to raw pixels. */
export async function readRawImage(path: string, opts: ReadImageOptions = {}): Promise<RawImage> {
  let bytes: Buffer;
  try {
    // Read the bytes ourselves: clean "missing file" errors, and no stale libvips file cache after a rewrite.
    bytes = await readFile(path);
  } catch (e) {
    throw new Diff2in1Error('image', `cannot read image file: ${(e as Error).message}`, { file: path, cause: e });
  }
  return decodeImage(bytes, path, opts);
}

/** Decodes encoded image bytes (PNG, JPEG, ...); `name` is used in error messages. */
export async function decodeImage(bytes: Uint8Array, name = '<buffer>', opts: ReadImageOptions = {}): Promise<RawImage> {
  if (opts.palette === 'indices' && isPalettePng(bytes)) return decodePng(bytes, name);
  try {
    const meta = await sharp(bytes).metadata();
    const fileChannels = meta.channels ?? 3;
    const sixteen = meta.depth === 'ushort';
    const grey = fileChannels <= 2 && meta.space !== 'cmyk';
    if (sixteen || (grey && fileChannels === 2)) {
      const { data, info } = await sharp(bytes).toColourspace(grey ? 'grey16' : 'rgb16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
      const u16 = new Uint16Array(data.length / 2);
      new Uint8Array(u16.buffer).set(data);
      const channels = asChannels(info.channels, name);
      if (sixteen) return { width: info.width, height: info.height, channels, bitDepth: 16, data: u16 };
      const u8 = new Uint8Array(u16.length);
      for (let i = 0; i < u16.length; i++) u8[i] = Math.round((u16[i] as number) / 257);
      return { width: info.width, height: info.height, channels, bitDepth: 8, data: u8 };
    }
    const { data, info } = await sharp(bytes).toColourspace(grey ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: asChannels(info.channels, name), bitDepth: 8, data: new Uint8Array(data) };
  } catch (e) {
    if (e instanceof Diff2in1Error) throw e;
    throw new Diff2in1Error('image', `cannot decode image (corrupt or unsupported format; PNG and JPEG are supported): ${(e as Error).message}`, { file: name, cause: e });
  }
}

function asChannels(n: number, name: string): 1 | 2 | 3 | 4 {
  if (n === 1 || n === 2 || n === 3 || n === 4) return n;
  throw new Diff2in1Error('image', `decoded image has ${n} channels; supported: 1, 2, 3, 4`, { file: name });
}

/** Encodes raw pixels as PNG bytes, keeping the bit depth and channel count. */
export async function encodePng(raw: RawImage): Promise<Buffer> {
  checkRawImage(raw);
  const { width, height, channels, bitDepth } = raw;
  // A view with a non-zero offset is copied so sharp sees exactly the pixels.
  const data = raw.data.byteOffset === 0 && raw.data.byteLength === raw.data.buffer.byteLength ? raw.data : raw.data.slice();
  const space = bitDepth === 16 ? (channels <= 2 ? 'grey16' : 'rgb16') : channels <= 2 ? 'b-w' : 'srgb';
  return sharp(data, { raw: { width, height, channels } }).toColourspace(space).png().toBuffer();
}

/** Writes a PNG atomically (temp file + rename): 8- or 16-bit, 1–4 channels, exactly the given values. */
export async function writePng(path: string, raw: RawImage): Promise<void> {
  let png: Buffer;
  try {
    png = await encodePng(raw);
  } catch (e) {
    if (e instanceof Diff2in1Error) throw new Diff2in1Error('image', e.message, { file: path, cause: e });
    throw new Diff2in1Error('image', `cannot encode PNG: ${(e as Error).message}`, { file: path, cause: e });
  }
  await writeFileAtomic(path, png);
}

export interface RawToTensorOptions {
  /** '0-1' (default): v/max; '-1-1': 2v/max−1 (Stable Diffusion's VAE input); '0-255': 255·v/max; 'raw': v. */
  range?: ImageRange;
  /** Per-channel mean subtracted after scaling to `range` (one value, or one per channel). */
  mean?: number[];
  /** Per-channel std divided by after subtracting `mean`. */
  std?: number[];
}

function perChannel(values: number[] | undefined, c: number, fallback: number, field: string): number[] {
  if (values === undefined) return new Array<number>(c).fill(fallback);
  if (values.length === 1) return new Array<number>(c).fill(values[0] as number);
  if (values.length !== c) throw new Diff2in1Error('image', `${field} has ${values.length} values; the image has ${c} channels (give 1 or ${c})`);
  return values;
}

function rangeScale(range: ImageRange, max: number): { mul: number; add: number } {
  switch (range) {
    case '0-1': return { mul: 1 / max, add: 0 };
    case '-1-1': return { mul: 2 / max, add: -1 };
    case '0-255': return { mul: 255 / max, add: 0 };
    case 'raw': return { mul: 1, add: 0 };
    default: throw new Diff2in1Error('image', `range '${String(range)}' is not valid; one of: ${RANGES.join(', ')}`);
  }
}

/** Interleaved HWC pixels → float32 tensor [C, H, W]: ((v·mul + add) − mean[c]) / std[c]. */
export function rawToTensor(raw: RawImage, opts: RawToTensorOptions = {}): Tensor<'float32'> {
  checkRawImage(raw);
  const { width: w, height: h, channels: c, data } = raw;
  const { mul, add } = rangeScale(opts.range ?? '0-1', raw.bitDepth === 16 ? 65535 : 255);
  const mean = perChannel(opts.mean, c, 0, 'mean');
  const std = perChannel(opts.std, c, 1, 'std');
  const out = new Float32Array(c * h * w);
  const hw = h * w;
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch] as number;
    const s = std[ch] as number;
    const base = ch * hw;
    for (let p = 0; p < hw; p++) out[base + p] = ((data[p * c + ch] as number) * mul + add - m) / s;
  }
  return new Tensor('float32', [c, h, w], out);
}

export interface TensorToRawOptions {
  /** The range the tensor's values are in (default '0-1'); values outside it are clamped. */
  range?: ImageRange;
  /** Output bit depth (default 8). */
  bitDepth?: 8 | 16;
}

/** Rounds half to even (banker's rounding), as numpy.round / torch.round do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Float tensor [C, H, W] (C = 1..4) → interleaved pixels. Values are mapped from `range` to 0..max
 * (255 or 65535), clamped, and rounded half to even; NaN becomes 0.
 */
export function tensorToRaw(t: Tensor<'float32'>, opts: TensorToRawOptions = {}): RawImage {
  if (t.rank !== 3) throw new Diff2in1Error('image', `tensorToRaw needs a [C, H, W] tensor, got [${t.shape.join(', ')}]`);
  const [c, h, w] = t.shape as [number, number, number];
  if (c < 1 || c > 4) throw new Diff2in1Error('image', `tensorToRaw: channels must be one of: 1, 2, 3, 4; got ${c}`);
  const bitDepth = opts.bitDepth ?? 8;
  if (bitDepth !== 8 && bitDepth !== 16) throw new Diff2in1Error('image', `bitDepth must be one of: 8, 16; got ${String(bitDepth)}`);
  const max = bitDepth === 16 ? 65535 : 255;
  const { mul, add } = rangeScale(opts.range ?? '0-1', max);
  const hw = h * w;
  const data = bitDepth === 16 ? new Uint16Array(hw * c) : new Uint8Array(hw * c);
  const src = t.data;
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < hw; p++) {
      const v = ((src[ch * hw + p] as number) - add) / mul;
      data[p * c + ch] = v > 0 ? (v < max ? roundHalfEven(v) : max) : 0;
    }
  }
  return { width: w, height: h, channels: c as 1 | 2 | 3 | 4, bitDepth, data };
}

/** Channel conversions used by readImageTensor / tileGrid. Grey from RGB uses ITU-R BT.601 luma (as PIL's convert('L')). */
export function convertChannels(raw: RawImage, channels: 1 | 2 | 3 | 4): RawImage {
  checkRawImage(raw);
  if (raw.channels === channels) return raw;
  const { width, height, bitDepth } = raw;
  const n = width * height;
  const src = raw.data;
  const max = bitDepth === 16 ? 65535 : 255;
  const out = bitDepth === 16 ? new Uint16Array(n * channels) : new Uint8Array(n * channels);
  const inColour = raw.channels >= 3;
  const inAlpha = raw.channels === 2 || raw.channels === 4;
  const outColour = channels >= 3;
  const outAlpha = channels === 2 || channels === 4;
  for (let p = 0; p < n; p++) {
    const s = p * raw.channels;
    const d = p * channels;
    if (inColour && !outColour) {
      const r = src[s] as number, g = src[s + 1] as number, b = src[s + 2] as number;
      out[d] = roundHalfEven(r * 0.299 + g * 0.587 + b * 0.114);
    } else if (!inColour && outColour) {
      const v = src[s] as number;
      out[d] = v; out[d + 1] = v; out[d + 2] = v;
    } else {
      for (let k = 0; k < (outColour ? 3 : 1); k++) out[d + k] = src[s + k] as number;
    }
    if (outAlpha) out[d + channels - 1] = inAlpha ? (src[s + raw.channels - 1] as number) : max;
  }
  return { width, height, channels, bitDepth, data: out };
}

/** Converts 8-bit pixels to 16-bit (v·257, exact) or 16-bit to 8-bit (round(v/257)). */
export function convertBitDepth(raw: RawImage, bitDepth: 8 | 16): RawImage {
  checkRawImage(raw);
  if (raw.bitDepth === bitDepth) return raw;
  const src = raw.data;
  const out = bitDepth === 16 ? new Uint16Array(src.length) : new Uint8Array(src.length);
  if (bitDepth === 16) for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) * 257;
  else for (let i = 0; i < src.length; i++) out[i] = Math.round((src[i] as number) / 257);
  return { ...raw, bitDepth, data: out };
}

export interface ReadImageTensorOptions extends RawToTensorOptions, ReadImageOptions {
  /** Force grey (1) or RGB (3); alpha is dropped (not composited). Default: the file's channels. */
  channels?: 1 | 3;
}

/** readRawImage + optional channel conversion + rawToTensor: a float32 [C, H, W] tensor. */
export async function readImageTensor(path: string, opts: ReadImageTensorOptions = {}): Promise<Tensor<'float32'>> {
  let raw = await readRawImage(path, opts);
  if (opts.channels !== undefined) {
    if (opts.channels !== 1 && opts.channels !== 3) throw new Diff2in1Error('image', `channels must be one of: 1, 3; got ${String(opts.channels)}`, { file: path });
    raw = convertChannels(raw, opts.channels);
  }
  try {
    return rawToTensor(raw, opts);
  } catch (e) {
    if (e instanceof Diff2in1Error) throw new Diff2in1Error('image', e.message, { file: path, cause: e });
    throw e;
  }
}

/** float32 [C, H, W] tensor → PNG file (see tensorToRaw for the mapping). */
export async function writeImageTensor(path: string, t: Tensor<'float32'>, opts: TensorToRawOptions = {}): Promise<void> {
  await writePng(path, tensorToRaw(t, opts));
}
