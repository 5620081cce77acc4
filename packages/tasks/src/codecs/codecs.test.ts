import { describe, expect, it } from 'vitest';
import type { RawImage } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor, tensor } from '@diff2in1/tensor';
import { decodeClassArray, decodeClassPng, encodeClassPng, ignoreIfNoParts } from './classes.js';
import { decodeDepthArray, decodeDepthPng, encodeDepthPng } from './depth.js';
import { decodeNormalsArray, decodeNormalsPng, encodeNormalsPng } from './normals.js';
import { decodeSaliencyPng, encodeSaliencyPng } from './saliency.js';

const grey = (w: number, h: number, values: number[], bitDepth: 8 | 16 = 8): RawImage => ({
  width: w, height: h, channels: 1, bitDepth, data: bitDepth === 8 ? Uint8Array.from(values) : Uint16Array.from(values),
});

describe('normals codec', () => {
  // 3×1 RGB: (255,128,0) → (1, 1/255, −1); black → invalid; (128,128,255) → (1/255, 1/255, 1)
  const raw: RawImage = { width: 3, height: 1, channels: 3, bitDepth: 8, data: Uint8Array.from([255, 128, 0, 0, 0, 0, 128, 128, 255]) };

  it('decodes rgb/255·2−1 with black = invalid (Bae et al. / official code)', () => {
    const l = decodeNormalsPng(raw);
    expect(l.value.shape).toEqual([3, 1, 3]);
    expect(Array.from(l.valid.data)).toEqual([1, 0, 1]);
    const at = (c: number, p: number) => l.value.data[c * 3 + p] as number;
    expect(at(0, 0)).toBeCloseTo(1, 7);
    expect(at(1, 0)).toBeCloseTo(2 * 128 / 255 - 1, 7);
    expect(at(2, 0)).toBeCloseTo(-1, 7);
    expect(at(2, 2)).toBeCloseTo(1, 7);
  });

  it('round-trips through encode (unit normals, invalid → black) and reads .npy-style HWC arrays', () => {
    const l = decodeNormalsPng(raw);
    expect(Array.from(encodeNormalsPng(l).data)).toEqual(Array.from(raw.data));
    const arr = decodeNormalsArray({ shape: [1, 2, 3], data: Float32Array.from([0, 0, 1, 0, 0, 0]) });
    expect(Array.from(arr.valid.data)).toEqual([1, 0]);
    expect(arr.value.data[4]).toBe(1); // z of pixel 0 at channel 2
  });

  it('rejects grey PNGs and valid normals that would encode to black', () => {
    expect(() => decodeNormalsPng(grey(1, 1, [3]), { file: 'n.png' })).toThrow(/n\.png: normals PNG must be RGB/);
    const bad = { value: tensor('float32', [3, 1, 1], [-1, -1, -1]), valid: tensor('bool', [1, 1], [1]) };
    expect(() => encodeNormalsPng(bad)).toThrow(/encodes to black/);
  });
});

describe('depth codec', () => {
  it('maps 16-bit millimetres to metres with 0 = invalid, and back', () => {
    const l = decodeDepthPng(grey(3, 1, [0, 1500, 65535], 16));
    expect(Array.from(l.valid.data)).toEqual([0, 1, 1]);
    expect(l.value.data[1]).toBeCloseTo(1.5, 7);
    expect(l.value.data[2]).toBeCloseTo(65.535, 4);
    expect(Array.from(encodeDepthPng(l).data)).toEqual([0, 1500, 65535]);
  });

  it('reads float metres from arrays (≤ 0 / NaN invalid) and refuses depths a PNG cannot hold', () => {
    const l = decodeDepthArray({ shape: [2, 2, 1], data: Float32Array.from([1.25, 0, -1, NaN]) });
    expect(Array.from(l.valid.data)).toEqual([1, 0, 0, 0]);
    expect(() => decodeDepthPng(grey(1, 1, [5]), { file: 'd.png' })).toThrow(/d\.png: depth PNG must be 16-bit/);
    const far = { value: tensor('float32', [1, 1, 1], [70]), valid: tensor('bool', [1, 1], [1]) };
    expect(() => encodeDepthPng(far)).toThrow(/does not fit/);
  });
});

describe('class codec', () => {
  const stored = [0, 1, 40, 255];
  it('plain: ids as stored, 255 ignored', () => {
    const l = decodeClassPng(grey(4, 1, [0, 1, 20, 255]), { numClasses: 21 });
    expect(Array.from(l.value.data)).toEqual([0, 1, 20, 255]);
    expect(Array.from(l.valid.data)).toEqual([1, 1, 1, 0]);
  });
  it('nyudmt: 0 = void, id = value − 1', () => {
    const l = decodeClassPng(grey(3, 1, [0, 1, 40]), { numClasses: 40, convention: 'nyudmt' });
    expect(Array.from(l.value.data)).toEqual([255, 0, 39]);
    expect(Array.from(l.valid.data)).toEqual([0, 1, 1]);
  });
  it('ade20k: reduce_zero_label (0 and 255 ignored, id = value − 1)', () => {
    const l = decodeClassPng(grey(4, 1, [0, 1, 150, 255]), { numClasses: 150, convention: 'ade20k' });
    expect(Array.from(l.value.data)).toEqual([255, 0, 149, 255]);
    expect(Array.from(l.valid.data)).toEqual([0, 1, 1, 0]);
  });
  it('out-of-range values are an error naming the file, value and pixel count', () => {
    const run = () => decodeClassPng(grey(4, 1, stored), { numClasses: 21, file: 'seg/a.png' });
    expect(run).toThrow(Diff2in1Error);
    expect(run).toThrow(/seg\/a\.png: .*40 \(1 px\)/);
    expect(() => decodeClassPng(grey(2, 1, [151, 3]), { numClasses: 150, convention: 'ade20k' })).toThrow(/151/);
    expect(() => decodeClassPng({ width: 1, height: 1, channels: 3, bitDepth: 8, data: Uint8Array.from([1, 2, 3]) }, { numClasses: 3 })).toThrow(/one channel/);
  });
  it('encodes 8- or 16-bit as needed and round-trips; parts without any part pixel become all-ignore', () => {
    const l = decodeClassArray({ shape: [1, 3], data: Int32Array.from([0, 300, 65535]) }, { numClasses: 894, ignoreIndex: 65535 });
    const png = encodeClassPng(l, { ignoreIndex: 65535 });
    expect(png.bitDepth).toBe(16);
    expect(Array.from(png.data)).toEqual([0, 300, 65535]);
    const parts = decodeClassPng(grey(3, 1, [0, 0, 255]), { numClasses: 7 });
    const ignored = ignoreIfNoParts(parts);
    expect(Array.from(ignored.valid.data)).toEqual([0, 0, 0]);
    const withParts = decodeClassPng(grey(3, 1, [0, 2, 255]), { numClasses: 7 });
    expect(ignoreIfNoParts(withParts)).toBe(withParts);
  });
});

describe('saliency codec', () => {
  it('binarises at v/255 > 0.5 (127 → 0, 128 → 1) and writes 0/255', () => {
    const l = decodeSaliencyPng(grey(4, 1, [0, 127, 128, 255]));
    expect(Array.from(l.value.data)).toEqual([0, 0, 1, 1]);
    expect(Array.from(encodeSaliencyPng(l).data)).toEqual([0, 0, 255, 255]);
    const partial = { value: new Tensor('float32', [1, 1, 2]), valid: tensor('bool', [1, 2], [1, 0]) };
    expect(() => encodeSaliencyPng(partial)).toThrow(/cannot store invalid/);
  });
});
