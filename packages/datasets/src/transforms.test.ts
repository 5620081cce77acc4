import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng, Tensor, tensor } from '@diff2in1/tensor';
import { decodeNormalsPng } from '@diff2in1/tasks';
import type { Sample } from './sample.js';
import { augmentSample, centerCrop, colorAugment, cropSample, hflipSample, officialMask, randomCrop, resizeSample } from './transforms.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8'));

interface ResizeCase { size: [number, number]; out: [number, number]; image: number[]; normals: number[]; image_out: number[]; normals_out: number[]; mask_out: number[]; nearest_mask_out: number[] }

function sampleOf(c: ResizeCase): Sample {
  const [h, w] = c.size;
  const img = new Tensor('float32', [3, h, w]);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < 3; k++) img.data[k * h * w + p] = (c.image[p * 3 + k] as number) / 255;
  const normals = decodeNormalsPng({ width: w, height: h, channels: 3, bitDepth: 8, data: Uint8Array.from(c.normals) });
  return { id: 'a', image: img, labels: { normals } };
}

describe('official resize (zsh2000/diff-2-in-1 ldm/data/nyu.py, cv2 golden)', () => {
  for (const c of golden.official_resize as ResizeCase[]) {
    it(`${c.size.join('×')} → ${c.out.join('×')}: image, normals and the mask == 1 rule match cv2`, () => {
      const out = resizeSample(sampleOf(c), c.out, 'official');
      const [oh, ow] = c.out;
      const hw = oh * ow;
      for (let p = 0; p < hw; p++) {
        for (let k = 0; k < 3; k++) {
          expect(out.image.data[k * hw + p]).toBeCloseTo(c.image_out[p * 3 + k] as number, 5); // cv2 weights are float32
          expect(out.labels.normals?.value.data[k * hw + p]).toBeCloseTo(c.normals_out[p * 3 + k] as number, 5);
        }
      }
      expect(Array.from(out.labels.normals?.valid.data ?? [])).toEqual(c.mask_out);
    });
  }

  it('in the exact-weight case the rule is "every contributing pixel valid"', () => {
    const c = golden.official_resize[0] as ResizeCase;
    const s = sampleOf(c);
    const m = officialMask(s.labels.normals!.valid, c.out);
    // a block of invalid pixels invalidates exactly the outputs whose 2×2 support touches it
    expect(Array.from(m.data).filter((v) => v === 0).length).toBe(c.mask_out.filter((v) => v === 0).length);
  });

  it('nearest policy resizes the mask like cv2 INTER_NEAREST', () => {
    const c = golden.official_resize[0] as ResizeCase;
    const out = resizeSample(sampleOf(c), c.out, 'nearest');
    expect(Array.from(out.labels.normals?.valid.data ?? [])).toEqual(c.nearest_mask_out);
  });
});

function tiny(): Sample {
  // 2×3 image whose red channel encodes the pixel index; normals with x = column − 1; semseg ids = index
  const img = new Tensor('float32', [3, 2, 3]);
  for (let p = 0; p < 6; p++) img.data[p] = p / 10;
  const n = new Tensor('float32', [3, 2, 3]);
  for (let p = 0; p < 6; p++) { n.data[p] = (p % 3) - 1; n.data[12 + p] = 1; }
  return {
    id: 't', image: img,
    labels: {
      normals: { value: n, valid: tensor('bool', [2, 3], [1, 1, 0, 1, 1, 1]) },
      semseg: { value: tensor('int32', [2, 3], [0, 1, 2, 3, 4, 5]), valid: tensor('bool', [2, 3], [1, 1, 1, 1, 1, 0]) },
      depth: { value: tensor('float32', [1, 2, 3], [1, 2, 3, 4, 5, 6]), valid: tensor('bool', [2, 3], [1, 1, 1, 1, 1, 1]) },
    },
  };
}

describe('geometric transforms', () => {
  it('horizontal flip mirrors every map and negates normal x', () => {
    const f = hflipSample(tiny());
    expect(Array.from(f.image.data.slice(0, 6))).toEqual([0.2, 0.1, 0, 0.5, 0.4, 0.3].map(Math.fround));
    expect(Array.from(f.labels.semseg!.value.data)).toEqual([2, 1, 0, 5, 4, 3]);
    expect(Array.from(f.labels.semseg!.valid.data)).toEqual([1, 1, 1, 0, 1, 1]);
    expect(Array.from(f.labels.normals!.valid.data)).toEqual([0, 1, 1, 1, 1, 1]);
    // original x = column − 1 at mirrored columns (1, 0, −1), negated → (−1, 0, 1); y, z unchanged
    expect(Array.from(f.labels.normals!.value.data.slice(0, 3))).toEqual([-1, 0, 1]);
    expect(Array.from(f.labels.normals!.value.data.slice(12, 18))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(hflipSample(f).labels.normals!.value.data)).toEqual(Array.from(tiny().labels.normals!.value.data));
  });

  it('crops cut the same window from every map; out-of-bounds crops are errors', () => {
    const c = cropSample(tiny(), 1, 1, [1, 2]);
    expect(Array.from(c.labels.semseg!.value.data)).toEqual([4, 5]);
    expect(Array.from(c.labels.depth!.value.data)).toEqual([5, 6]);
    expect(c.image.shape).toEqual([3, 1, 2]);
    expect(Array.from(centerCrop(tiny(), [2, 1]).labels.semseg!.value.data)).toEqual([1, 4]);
    expect(() => cropSample(tiny(), 1, 2, [1, 2])).toThrow(/does not fit sample 't'/);
    const r1 = randomCrop(tiny(), [1, 2], new Rng(5)), r2 = randomCrop(tiny(), [1, 2], new Rng(5));
    expect(Array.from(r1.labels.semseg!.value.data)).toEqual(Array.from(r2.labels.semseg!.value.data));
  });

  it('nearest resize keeps class ids (no blending) and never turns an ignore pixel valid', () => {
    const r = resizeSample(tiny(), [4, 6], 'nearest');
    expect(Array.from(r.labels.semseg!.value.data)).toEqual([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 3, 3, 4, 4, 5, 5]);
    expect(r.labels.semseg!.valid.data[23]).toBe(0);
    const o = resizeSample(tiny(), [4, 6], 'official');
    expect(Array.from(o.labels.semseg!.value.data)).toEqual(Array.from(r.labels.semseg!.value.data)); // ids always nearest
  });

  it('colour augmentation changes only the image, deterministically per generator', () => {
    const s = tiny();
    const a = colorAugment(s, new Rng(3)), b = colorAugment(s, new Rng(3));
    expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
    expect(Array.from(a.image.data)).not.toEqual(Array.from(s.image.data));
    expect(a.labels).toBe(s.labels);
    for (const v of a.image.data) expect(v >= 0 && v <= 1).toBe(true);
    const g = augmentSample(s, new Rng(11), { hflip: true, crop: [1, 2], color: true });
    const h = augmentSample(s, new Rng(11), { hflip: true, crop: [1, 2], color: true });
    expect(Array.from(g.labels.semseg!.value.data)).toEqual(Array.from(h.labels.semseg!.value.data));
  });
});
