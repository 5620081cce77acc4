// The PNG decoder against independent decoders: PIL (np.array(Image.open), golden files from
// tools/golden-formats.py), libvips/libpng (through sharp) and hand-built files.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { crc32, deflateSync } from 'node:zlib';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, readRawImage } from './image.js';
import { Diff2in1Error } from './errors.js';
import { decodePng, isPalettePng, readPngSamples } from './png.js';

const dir = mkdtempSync(join(tmpdir(), 'pal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fx = (name: string): string => new URL(`./fixtures/png/${name}`, import.meta.url).pathname;
const golden = JSON.parse(readFileSync(fx('golden.json'), 'utf8')) as Record<string, { shape: number[]; values: number[]; palette_rgb?: number[] }>;

/** The PLTE chunk's bytes, found by hand (independent of the decoder). */
function plteOf(png: Buffer): Buffer {
  const at = png.indexOf('PLTE');
  return png.subarray(at + 4, at + 4 + png.readUInt32BE(at - 4));
}

describe('stored samples as PIL reads them (np.array(Image.open(p)))', () => {
  for (const name of Object.keys(golden)) {
    it(`reads ${name} as PIL does`, async () => {
      const g = golden[name]!;
      const raw = await readPngSamples(fx(name));
      const shape = raw.channels === 1 ? [raw.height, raw.width] : [raw.height, raw.width, raw.channels];
      expect(shape).toEqual(g.shape);
      expect(Array.from(raw.data)).toEqual(g.values);
    });
  }

  it('expands palettes to colours on request (as cv2.imread / PIL convert("RGB"))', async () => {
    const raw = await readPngSamples(fx('palette4.png'), { palette: 'rgb' });
    expect(raw.channels).toBe(3);
    expect(Array.from(raw.data)).toEqual(golden['palette4.png']!.palette_rgb);
  });

  it('decodes Adam7-interlaced PNGs (written by libvips) like sharp does', async () => {
    const w = 13, h = 11;
    const grey = Buffer.from(Array.from({ length: w * h }, (_, i) => (i * 37) % 256));
    const png = await sharp(grey, { raw: { width: w, height: h, channels: 1 } }).png({ progressive: true }).toBuffer();
    expect(png[28]).toBe(1); // IHDR interlace byte
    const ref = await sharp(png).raw().toBuffer();
    expect(Array.from(decodePng(png).data)).toEqual(Array.from(ref));
    const rgb16 = Buffer.from(new Uint16Array(Array.from({ length: w * h * 3 }, (_, i) => (i * 977) % 65536)).buffer);
    const png16 = await sharp(rgb16, { raw: { width: w, height: h, channels: 3 } }).toColourspace('rgb16').png({ progressive: true }).toBuffer();
    const a = decodePng(png16), b = await decodeImage(png16); // libpng through sharp, kept at 16 bits
    expect(a.bitDepth).toBe(16);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('rejects corrupt files with an error naming them', async () => {
    const bytes = readFileSync(fx('grey8.png'));
    const flipped = Uint8Array.from(bytes);
    flipped[40] = (flipped[40] as number) ^ 0xff; // inside IDAT: CRC mismatch
    expect(() => decodePng(flipped, 'x.png')).toThrow(/x\.png: cannot decode PNG .*CRC mismatch/);
    expect(() => decodePng(bytes.subarray(0, bytes.length - 20), 'cut.png')).toThrow(/cut\.png/);
    expect(() => decodePng(Uint8Array.from([1, 2, 3]), 'junk.png')).toThrow(/signature/);
    await expect(readPngSamples(join(dir, 'none.png'))).rejects.toThrow(Diff2in1Error);
  });
});

describe('palette PNG indices', () => {
  it('indices mapped through PLTE equal libvips’ own RGB decoding, for 1/2/4/8-bit palettes', async () => {
    // sharp/libvips writes the palette files (with its own filter choices); we decode indices ourselves and
    // check them against sharp's independent palette → RGB expansion.
    for (const [k, depth] of [[2, 1], [4, 2], [16, 4], [200, 8]] as const) {
      const w = 13, h = 7;
      const cols = Array.from({ length: k }, (_, i) => [(i * 37) % 256, (i * 91) % 256, (i * 53 + 10) % 256]);
      const px = new Uint8Array(w * h * 3);
      for (let i = 0; i < w * h; i++) px.set(cols[(i * 7 + Math.floor(i / w)) % k]!, i * 3);
      const png = await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png({ palette: true, colours: k, dither: 0 }).toBuffer();
      expect(isPalettePng(png)).toBe(true);
      expect(png[24]).toBe(depth);
      const p = join(dir, `p${k}.png`);
      writeFileSync(p, png);
      const rgb = await readRawImage(p);
      const idx = await readRawImage(p, { palette: 'indices' });
      const palette = plteOf(png);
      expect(idx).toMatchObject({ width: w, height: h, channels: 1, bitDepth: 8 });
      expect(Array.from(decodePng(png, p, { palette: 'rgb' }).data)).toEqual(Array.from(rgb.data));
      expect(rgb.channels).toBe(3);
      let mismatches = 0;
      for (let i = 0; i < w * h; i++) {
        const j = idx.data[i] as number;
        expect(j).toBeLessThan(palette.length / 3);
        for (let c = 0; c < 3; c++) if (palette[j * 3 + c] !== rgb.data[i * 3 + c]) mismatches++;
      }
      expect(mismatches).toBe(0);
    }
  });
  it('undoes every PNG row filter (0–4) like libpng does', async () => {
    // Hand-built palette PNGs whose rows cycle through filters None, Sub, Up, Average, Paeth (forward filters
    // as defined in the PNG spec); libpng (inside sharp) decodes them to RGB as the reference.
    const chunk = (type: string, body: Buffer): Buffer => {
      const len = Buffer.alloc(4); len.writeUInt32BE(body.length);
      const tb = Buffer.concat([Buffer.from(type, 'latin1'), body]);
      const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(tb));
      return Buffer.concat([len, tb, crc]);
    };
    const paeth = (a: number, b: number, c: number): number => {
      const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    };
    for (const depth of [8, 4, 1] as const) {
      const w = 11, h = 10, n = 1 << depth;
      const idx = Array.from({ length: w * h }, (_, i) => (i * 5 + Math.floor(i / 3)) % n);
      const stride = Math.ceil((w * depth) / 8);
      let prev = new Uint8Array(stride);
      const rows: number[] = [];
      for (let y = 0; y < h; y++) {
        const row = new Uint8Array(stride);
        for (let x = 0; x < w; x++) row[Math.floor((x * depth) / 8)]! |= idx[y * w + x]! << (8 - depth * ((x % (8 / depth)) + 1));
        const f = y % 5;
        rows.push(f);
        for (let x = 0; x < stride; x++) {
          const a = x > 0 ? row[x - 1]! : 0, b = prev[x]!, c = x > 0 ? prev[x - 1]! : 0;
          const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][f]!;
          rows.push((row[x]! - pred) & 255);
        }
        prev = row;
      }
      const ihdr = Buffer.alloc(13);
      ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = depth; ihdr[9] = 3;
      const plte = Buffer.from(Array.from({ length: n * 3 }, (_, i) => (i * 97 + 3) % 256));
      const png = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('PLTE', plte),
        chunk('IDAT', deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0)),
      ]);
      const got = decodePng(png);
      expect(Array.from(got.data)).toEqual(idx);
      const { data: rgb } = await sharp(png).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) expect(rgb[i * 3 + c]).toBe(plte[got.data[i]! * 3 + c]);
    }
  });
  it('leaves non-palette files alone and rejects broken ones', async () => {
    const grey = await sharp(new Uint8Array([5, 6, 7, 8]), { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    const p = join(dir, 'grey.png');
    writeFileSync(p, grey);
    expect(Array.from((await readRawImage(p, { palette: 'indices' })).data)).toEqual([5, 6, 7, 8]);
    const pal = await sharp(new Uint8Array(12).fill(9), { raw: { width: 2, height: 2, channels: 3 } }).png({ palette: true }).toBuffer();
    expect(isPalettePng(grey)).toBe(false);
    expect(() => decodePng(pal.subarray(0, 40), 'cut.png')).toThrow(/cut\.png/);
  });
});
