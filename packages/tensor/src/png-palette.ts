// Palette ("indexed colour", PNG colour type 3) images read as their palette INDICES. Label maps such as
// PASCAL VOC's SegmentationClass store the class id as the palette index (PIL's mode 'P'); libvips/sharp
// always expands a palette to RGB, so this small decoder (PNG spec, ISO/IEC 15948: chunks, zlib IDAT,
// per-row filters 0–4, 1/2/4/8-bit packing) returns the indices instead. Interlaced files are refused.
import { inflateSync } from 'node:zlib';
import { Diff2in1Error } from './errors.js';
import type { RawImage } from './image.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True if `bytes` is a PNG whose IHDR says colour type 3 (palette). */
export function isPalettePng(bytes: Uint8Array): boolean {
  return bytes.length >= 26 && SIGNATURE.every((b, i) => bytes[i] === b) && bytes[25] === 3;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a palette PNG to one 8-bit channel of palette indices, plus the palette (RGB triples). */
export function decodePaletteIndices(bytes: Uint8Array, name = '<buffer>'): { image: RawImage; palette: Uint8Array } {
  const fail = (m: string): never => { throw new Diff2in1Error('image', m, { file: name }); };
  if (!isPalettePng(bytes)) fail('not a palette (colour type 3) PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0, height = 0, depth = 0, interlace = 0;
  let palette = new Uint8Array(0);
  const idat: Uint8Array[] = [];
  while (pos + 8 <= bytes.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (pos + 12 + len > bytes.length) fail(`PNG chunk ${type} runs past the end of the file (truncated)`);
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      depth = body[8] as number;
      interlace = body[12] as number;
    } else if (type === 'PLTE') palette = body.slice();
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (![1, 2, 4, 8].includes(depth)) fail(`palette PNG bit depth ${depth} is invalid; one of: 1, 2, 4, 8`);
  if (interlace !== 0) fail('interlaced palette PNGs are not supported; re-save without interlacing');
  if (width === 0 || height === 0 || idat.length === 0) fail('PNG has no image data (missing IHDR or IDAT)');
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    return fail(`PNG image data is corrupt: ${(e as Error).message}`);
  }
  const stride = Math.ceil((width * depth) / 8);
  if (raw.length < height * (stride + 1)) fail(`PNG image data is short: ${raw.length} bytes for ${height} rows of ${stride + 1}`);
  const out = new Uint8Array(width * height);
  let prev = new Uint8Array(stride);
  let cur = new Uint8Array(stride);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    const base = y * (stride + 1);
    const filter = raw[base] as number;
    for (let x = 0; x < stride; x++) {
      const v = raw[base + 1 + x] as number;
      const a = x > 0 ? (cur[x - 1] as number) : 0; // bytes per pixel is 1 for palette images
      const b = prev[x] as number;
      const c = x > 0 ? (prev[x - 1] as number) : 0;
      switch (filter) {
        case 0: cur[x] = v; break;
        case 1: cur[x] = v + a; break;
        case 2: cur[x] = v + b; break;
        case 3: cur[x] = v + ((a + b) >> 1); break;
        case 4: cur[x] = v + paeth(a, b, c); break;
        default: fail(`PNG row ${y} has unknown filter type ${filter}`);
      }
    }
    for (let x = 0; x < width; x++) {
      const byte = cur[Math.floor(x / perByte)] as number;
      const shift = 8 - depth * ((x % perByte) + 1);
      out[y * width + x] = (byte >> shift) & mask;
    }
    [prev, cur] = [cur, prev];
  }
  return { image: { width, height, channels: 1, bitDepth: 8, data: out }, palette };
}
