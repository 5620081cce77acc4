// A PNG decoder that returns the STORED samples, as PIL's np.array(Image.open(p)) does: palette images give their
// palette indices, grey images their grey values, 16-bit images their 16-bit values. Image libraries that
// convert to RGB (sharp/libvips, browsers) turn a VOC-style palette label into colours, which cannot be read back
// as class ids — so label files are read with this decoder, and readRawImage's `palette: 'indices'` uses it too.
// Follows the PNG specification (W3C, 2nd ed.; ISO/IEC 15948): IHDR/PLTE/tRNS/IDAT/IEND, colour types 0, 2, 3,
// 4, 6, bit depths 1–16, filters 0–4, Adam7 interlace, CRC-32 checked on every chunk. Ancillary chunks are
// skipped. Grey PNGs of 1/2/4 bits keep their stored values 0..2^d−1 (PIL would scale them to 0..255): label maps
// are 8- or 16-bit grey or palette images, where the stored values are what every reader sees.
import { readFile } from 'node:fs/promises';
import { crc32, inflateSync } from 'node:zlib';
import { Diff2in1Error } from './errors.js';
import type { RawImage } from './image.js';

export interface PngDecodeOptions {
  /**
   * Palette images: 'indices' (default) gives one channel of palette indices (PIL mode 'P'); 'rgb' expands them
   * to colours (RGBA when the file has a tRNS chunk), as cv2.imread and viewers do.
   */
  palette?: 'indices' | 'rgb';
}

interface Header { width: number; height: number; bitDepth: number; colourType: number; interlace: number }
interface Chunks { header: Header; palette: Uint8Array | undefined; trns: Uint8Array | undefined; idat: Uint8Array[] }

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Channels per colour type: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: [x0, y0, dx, dy]. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

function fail(msg: string, file: string): never {
  throw new Diff2in1Error('image', `cannot decode PNG (corrupt or unsupported): ${msg}`, { file });
}

/** True if `bytes` is a PNG whose IHDR says colour type 3 (palette). */
export function isPalettePng(bytes: Uint8Array): boolean {
  return bytes.length >= 26 && SIGNATURE.every((b, i) => bytes[i] === b) && bytes[25] === 3;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Walks the chunks (CRC-checked) up to IEND and validates the header. */
function readChunks(bytes: Uint8Array, file: string): Chunks {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('missing PNG signature', file);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) fail('truncated chunk', file);
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (pos + 12 + len > bytes.length) fail(`truncated ${type} chunk`, file);
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + len)) !== dv.getUint32(pos + 8 + len)) fail(`CRC mismatch in ${type} chunk`, file);
    pos += 12 + len;
    if (type === 'IHDR') {
      if (len !== 13) fail('bad IHDR length', file);
      const h = new DataView(data.buffer, data.byteOffset, 13);
      header = { width: h.getUint32(0), height: h.getUint32(4), bitDepth: data[8] as number, colourType: data[9] as number, interlace: data[12] as number };
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') trns = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') { ended = true; break; }
  }
  if (!header) fail('no IHDR chunk', file);
  if (!ended) fail('no IEND chunk (file truncated?)', file);
  const { width: w, height: h, bitDepth, colourType, interlace } = header;
  if (CHANNELS[colourType] === undefined) fail(`colour type ${colourType} is not valid; one of: 0, 2, 3, 4, 6`, file);
  const okDepth = colourType === 0 ? [1, 2, 4, 8, 16] : colourType === 3 ? [1, 2, 4, 8] : [8, 16];
  if (!okDepth.includes(bitDepth)) fail(`bit depth ${bitDepth} is not valid for colour type ${colourType}; one of: ${okDepth.join(', ')}`, file);
  if (interlace !== 0 && interlace !== 1) fail(`interlace method ${interlace} is not valid; one of: 0, 1`, file);
  if (w === 0 || h === 0) fail(`empty image ${w}×${h}`, file);
  if (colourType === 3 && !palette) fail('palette image without PLTE chunk', file);
  return { header, palette, trns, idat };
}

/** Unfilters one (sub)image of w×h pixels starting at `off` in `src`; returns the raw scanlines and the end offset. */
function unfilter(src: Uint8Array, off: number, w: number, h: number, bpp: number, bitsPerPixel: number, file: string): { lines: Uint8Array; end: number; stride: number } {
  const stride = Math.ceil((w * bitsPerPixel) / 8);
  const lines = new Uint8Array(stride * h);
  for (let y = 0; y < h; y++) {
    if (off >= src.length) fail('image data ends early', file);
    const type = src[off++] as number;
    if (off + stride > src.length) fail('image data ends early', file);
    const row = y * stride, prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const raw = src[off + x] as number;
      const a = x >= bpp ? (lines[row + x - bpp] as number) : 0;
      const b = y > 0 ? (lines[prev + x] as number) : 0;
      const c = x >= bpp && y > 0 ? (lines[prev + x - bpp] as number) : 0;
      let v: number;
      switch (type) {
        case 0: v = raw; break;
        case 1: v = raw + a; break;
        case 2: v = raw + b; break;
        case 3: v = raw + ((a + b) >> 1); break;
        case 4: v = raw + paeth(a, b, c); break;
        default: return fail(`unknown filter type ${type} in row ${y}`, file);
      }
      lines[row + x] = v & 0xff;
    }
    off += stride;
  }
  return { lines, end: off, stride };
}

/** Unpacks unfiltered scanlines of sw×sh pixels into `samples` at the positions `place` gives. */
function unpack(samples: Uint8Array | Uint16Array, lines: Uint8Array, stride: number, sw: number, sh: number, ch: number, bitDepth: number, place: (x: number, y: number) => number): void {
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const dst = place(x, y) * ch;
      for (let c = 0; c < ch; c++) {
        let v: number;
        if (bitDepth === 16) { const o = y * stride + (x * ch + c) * 2; v = ((lines[o] as number) << 8) | (lines[o + 1] as number); }
        else if (bitDepth === 8) v = lines[y * stride + x * ch + c] as number;
        else {
          const bit = (x * ch + c) * bitDepth;
          v = ((lines[y * stride + (bit >> 3)] as number) >> (8 - bitDepth - (bit & 7))) & ((1 << bitDepth) - 1);
        }
        samples[dst + c] = v;
      }
    }
  }
}

/** Palette indices → RGB, or RGBA when a tRNS chunk gives alpha per entry (missing entries are opaque). */
function expandPalette(indices: Uint8Array | Uint16Array, w: number, h: number, pal: Uint8Array, trns: Uint8Array | undefined, file: string): RawImage {
  const cOut = trns !== undefined ? 4 : 3;
  const rgb = new Uint8Array(w * h * cOut);
  for (let p = 0; p < w * h; p++) {
    const i = indices[p] as number;
    if (3 * i + 2 >= pal.length) fail(`palette index ${i} beyond the ${pal.length / 3}-entry palette`, file);
    rgb[p * cOut] = pal[3 * i] as number; rgb[p * cOut + 1] = pal[3 * i + 1] as number; rgb[p * cOut + 2] = pal[3 * i + 2] as number;
    if (trns !== undefined) rgb[p * cOut + 3] = i < trns.length ? (trns[i] as number) : 255;
  }
  return { width: w, height: h, channels: cOut, bitDepth: 8, data: rgb };
}

/** Decodes PNG bytes to stored samples (see the file comment); `file` names the source in errors. */
export function decodePng(bytes: Uint8Array, file = '<buffer>', opts: PngDecodeOptions = {}): RawImage {
  const { header, palette, trns, idat } = readChunks(bytes, file);
  const { width: w, height: h, bitDepth, colourType, interlace } = header;
  const ch = CHANNELS[colourType] as number;
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(Buffer.concat(idat));
  } catch (e) {
    return fail(`bad image data (${(e as Error).message})`, file);
  }
  const bitsPerPixel = ch * bitDepth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const samples = bitDepth === 16 ? new Uint16Array(w * h * ch) : new Uint8Array(w * h * ch);
  if (interlace === 0) {
    const { lines, stride } = unfilter(inflated, 0, w, h, bpp, bitsPerPixel, file);
    unpack(samples, lines, stride, w, h, ch, bitDepth, (x, y) => y * w + x);
  } else {
    let off = 0;
    for (const [x0, y0, dx, dy] of ADAM7) {
      const sw = Math.ceil((w - x0) / dx), sh = Math.ceil((h - y0) / dy);
      if (sw <= 0 || sh <= 0) continue;
      const { lines, end, stride } = unfilter(inflated, off, sw, sh, bpp, bitsPerPixel, file);
      off = end;
      unpack(samples, lines, stride, sw, sh, ch, bitDepth, (x, y) => (y0 + y * dy) * w + x0 + x * dx);
    }
  }
  if (colourType === 3 && opts.palette === 'rgb') return expandPalette(samples, w, h, palette as Uint8Array, trns, file);
  return { width: w, height: h, channels: ch as 1 | 2 | 3 | 4, bitDepth: bitDepth === 16 ? 16 : 8, data: samples };
}

/** Reads a PNG file's stored samples (decodePng); errors name the file. */
export async function readPngSamples(path: string, opts: PngDecodeOptions = {}): Promise<RawImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Diff2in1Error('image', `cannot read PNG file: ${(e as Error).message}`, { file: path, cause: e });
  }
  return decodePng(bytes, path, opts);
}
