import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import sharp from 'sharp';
import { Diff2in1Error } from './errors.js';
import type { RawImage } from './image.js';
import { convertChannels, readImageTensor, readRawImage, rawToTensor, roundHalfEven, tensorToRaw, writePng } from './image.js';
import { Tensor } from './tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'img-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A PNG built by hand from the spec (signature, IHDR, one IDAT with filter byte 0 per row, IEND), so
// the decoder is checked against bytes we know, not against sharp's own encoder.
function chunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const tb = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(tb));
  return Buffer.concat([len, tb, crc]);
}
function handPng(width: number, height: number, colourType: 0 | 2 | 4 | 6, bitDepth: 8 | 16, samples: number[]): Buffer {
  const ch = { 0: 1, 2: 3, 4: 2, 6: 4 }[colourType];
  const bps = bitDepth / 8;
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * ch * bps);
    for (let i = 0; i < width * ch; i++) {
      const v = samples[y * width * ch + i] as number;
      if (bitDepth === 16) row.writeUInt16BE(v, 1 + 2 * i);
      else row[1 + i] = v;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0)),
  ]);
}
/** IHDR fields of a PNG file: [width, height, bitDepth, colourType]. */
function ihdrOf(bytes: Buffer): number[] {
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20), bytes[24] as number, bytes[25] as number];
}

describe('readRawImage', () => {
  it('keeps all 16 bits of a hand-built 16-bit grey PNG', async () => {
    const vals = [0, 1, 255, 256, 257, 1000, 40000, 65534, 65535, 12345, 54321, 7];
    const p = join(dir, 'g16.png');
    writeFileSync(p, handPng(4, 3, 0, 16, vals));
    const raw = await readRawImage(p);
    expect(raw).toMatchObject({ width: 4, height: 3, channels: 1, bitDepth: 16 });
    expect(raw.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(raw.data)).toEqual(vals);
  });
  it('reads hand-built 16-bit RGB / RGBA / grey+alpha and 8-bit PNGs exactly', async () => {
    const cases: [0 | 2 | 4 | 6, 8 | 16, number][] = [[2, 16, 3], [6, 16, 4], [4, 16, 2], [0, 8, 1], [4, 8, 2], [2, 8, 3], [6, 8, 4]];
    for (const [ct, bd, ch] of cases) {
      const max = bd === 16 ? 65535 : 255;
      const vals = Array.from({ length: 3 * 2 * ch }, (_, i) => (i * 7919 + 13) % (max + 1));
      const p = join(dir, `h-${ct}-${bd}.png`);
      writeFileSync(p, handPng(3, 2, ct, bd, vals));
      const raw = await readRawImage(p);
      expect(raw).toMatchObject({ width: 3, height: 2, channels: ch, bitDepth: bd });
      expect(Array.from(raw.data)).toEqual(vals);
    }
  });
  it('reads a JPEG as 8-bit RGB close to the encoded colour', async () => {
    const px = new Uint8Array(16 * 16 * 3);
    for (let i = 0; i < px.length; i += 3) px.set([200, 100, 50], i);
    const p = join(dir, 'c.jpg');
    writeFileSync(p, await sharp(px, { raw: { width: 16, height: 16, channels: 3 } }).jpeg({ quality: 95 }).toBuffer());
    const raw = await readRawImage(p);
    expect(raw).toMatchObject({ width: 16, height: 16, channels: 3, bitDepth: 8 });
    for (let i = 0; i < raw.data.length; i += 3) {
      expect(Math.abs((raw.data[i] as number) - 200)).toBeLessThanOrEqual(3);
      expect(Math.abs((raw.data[i + 1] as number) - 100)).toBeLessThanOrEqual(3);
      expect(Math.abs((raw.data[i + 2] as number) - 50)).toBeLessThanOrEqual(3);
    }
  });
  it('names the file when it is missing, corrupt or truncated', async () => {
    await expect(readRawImage(join(dir, 'nope.png'))).rejects.toThrow(/nope\.png/);
    const bad = join(dir, 'bad.png');
    writeFileSync(bad, 'this is not an image');
    await expect(readRawImage(bad)).rejects.toThrow(Diff2in1Error);
    await expect(readRawImage(bad)).rejects.toThrow(/bad\.png.*cannot decode/);
    const good = handPng(8, 8, 2, 8, new Array<number>(192).fill(9));
    const cut = join(dir, 'cut.png');
    writeFileSync(cut, good.subarray(0, good.length - 30));
    await expect(readRawImage(cut)).rejects.toThrow(/cut\.png/);
  });
});

describe('writePng', () => {
  it('writes 8- and 16-bit PNGs with 1–4 channels that read back exactly, with the right IHDR', async () => {
    const colourType = { 1: 0, 2: 4, 3: 2, 4: 6 };
    for (const bitDepth of [8, 16] as const) {
      for (const channels of [1, 2, 3, 4] as const) {
        const n = 5 * 3 * channels;
        const max = bitDepth === 16 ? 65535 : 255;
        const data = bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
        for (let i = 0; i < n; i++) data[i] = (i * 40503 + 11) % (max + 1);
        const raw: RawImage = { width: 5, height: 3, channels, bitDepth, data };
        const p = join(dir, `w-${bitDepth}-${channels}.png`);
        await writePng(p, raw);
        expect(ihdrOf(readFileSync(p))).toEqual([5, 3, bitDepth, colourType[channels]]);
        const back = await readRawImage(p);
        expect(back).toMatchObject({ width: 5, height: 3, channels, bitDepth });
        expect(Array.from(back.data)).toEqual(Array.from(data));
      }
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('writes from a subarray view and rejects inconsistent images', async () => {
    const big = new Uint16Array(10).map((_, i) => i * 1000);
    const p = join(dir, 'view.png');
    await writePng(p, { width: 2, height: 2, channels: 1, bitDepth: 16, data: big.subarray(3, 7) });
    expect(Array.from((await readRawImage(p)).data)).toEqual([3000, 4000, 5000, 6000]);
    await expect(writePng(join(dir, 'x.png'), { width: 2, height: 2, channels: 1, bitDepth: 16, data: new Uint8Array(4) })).rejects.toThrow(/x\.png.*Uint16Array/);
    await expect(writePng(join(dir, 'y.png'), { width: 2, height: 2, channels: 3, bitDepth: 8, data: new Uint8Array(4) })).rejects.toThrow(/needs 12 values/);
  });
});

describe('raw <-> tensor', () => {
  const raw: RawImage = { width: 2, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array([0, 51, 255, 102, 153, 204]) };
  it('goes HWC → CHW with each range', () => {
    const t = rawToTensor(raw);
    expect(t.shape).toEqual([3, 1, 2]);
    expect(Array.from(t.data)).toEqual([0, 0.4, 0.2, 0.6, 1, 0.8].map(Math.fround));
    expect(Array.from(rawToTensor(raw, { range: '-1-1' }).data)).toEqual([-1, -0.2, -0.6, 0.2, 1, 0.6].map(Math.fround));
    expect(Array.from(rawToTensor(raw, { range: '0-255' }).data)).toEqual([0, 102, 51, 153, 255, 204]);
    const d16: RawImage = { width: 2, height: 1, channels: 1, bitDepth: 16, data: new Uint16Array([1234, 65535]) };
    expect(Array.from(rawToTensor(d16, { range: 'raw' }).data)).toEqual([1234, 65535]);
    expect(Array.from(rawToTensor(d16).data)).toEqual([Math.fround(1234 / 65535), 1]);
  });
  it('applies per-channel mean / std (ImageNet style)', () => {
    const t = rawToTensor(raw, { mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] });
    const want = [(0 - 0.5) / 0.5, (0.4 - 0.5) / 0.5, (0.2 - 0.25) / 0.25, (0.6 - 0.25) / 0.25, 1 / 2, 0.8 / 2];
    Array.from(t.data).forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 6));
    expect(() => rawToTensor(raw, { mean: [1, 2] })).toThrow(/mean has 2 values.*3 channels/);
  });
  it('clamps and rounds half to even on the way back', () => {
    const t = new Tensor('float32', [1, 1, 8], new Float32Array([-3, 0.5, 1.5, 2.5, 3.49, 254.5, 300, NaN]));
    expect(Array.from(tensorToRaw(t, { range: '0-255' }).data)).toEqual([0, 0, 2, 2, 3, 254, 255, 0]);
    const t16 = new Tensor('float32', [1, 1, 3], new Float32Array([0.5, 1, -1]));
    const r16 = tensorToRaw(t16, { range: '-1-1', bitDepth: 16 });
    // -1..1 → 0..65535: 0.5 → 0.75·65535 = 49151.25 → 49151
    expect(Array.from(r16.data)).toEqual([49151, 65535, 0]);
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2]);
  });
  it('round-trips every 8-bit value through [0,1] and [-1,1]', () => {
    const data = new Uint8Array(256).map((_, i) => i);
    const raw8: RawImage = { width: 256, height: 1, channels: 1, bitDepth: 8, data };
    for (const range of ['0-1', '-1-1'] as const) expect(tensorToRaw(rawToTensor(raw8, { range }), { range }).data).toEqual(data);
  });
  it('converts channels with BT.601 luma and opaque alpha', () => {
    const rgb: RawImage = { width: 1, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array([100, 200, 50]) };
    // 0.299·100 + 0.587·200 + 0.114·50 = 153.0
    expect(Array.from(convertChannels(rgb, 1).data)).toEqual([153]);
    expect(Array.from(convertChannels(rgb, 4).data)).toEqual([100, 200, 50, 255]);
    const ga: RawImage = { width: 1, height: 1, channels: 2, bitDepth: 16, data: new Uint16Array([7, 9]) };
    expect(Array.from(convertChannels(ga, 4).data)).toEqual([7, 7, 7, 9]);
  });
  it('readImageTensor forces channels and names the file on errors', async () => {
    const p = join(dir, 'rt.png');
    writeFileSync(p, handPng(2, 1, 0, 8, [0, 255]));
    const t = await readImageTensor(p, { channels: 3, range: '-1-1' });
    expect(t.shape).toEqual([3, 1, 2]);
    expect(Array.from(t.data)).toEqual([-1, 1, -1, 1, -1, 1]);
    await expect(readImageTensor(p, { mean: [1, 2] })).rejects.toThrow(/rt\.png.*mean/);
  });
});
