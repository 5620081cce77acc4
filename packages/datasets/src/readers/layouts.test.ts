// Readers of the baselines' layouts, on trees built here by hand from each upstream loader's file spec.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawImage } from '@diff2in1/tensor';
import { encodeNpy, writePng } from '@diff2in1/tensor';
import { resizeSample } from '../transforms.js';
import type { SkippedSample } from '../sample.js';
import { openAde20k } from './ade20k.js';
import { NORMALS_VALID_CONTEXT_CLASSES, openPascalContext } from './pascal-context.js';
import { openNyudmt } from './nyudmt.js';
import { openNyuv2 } from './nyuv2.js';

const base = mkdtempSync(join(tmpdir(), 'd2i-layouts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const fx = (p: string) => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));

function rgb(w: number, h: number, f: (x: number, y: number, c: number) => number): RawImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = f(x, y, c);
  return { width: w, height: h, channels: 3, bitDepth: 8, data };
}
function grey(w: number, h: number, f: (x: number, y: number) => number): RawImage {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, channels: 1, bitDepth: 8, data };
}
async function jpeg(path: string, raw: RawImage): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } }).jpeg({ quality: 95 }).toFile(path);
}
function write(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

describe('NYUv2 normals (Bae et al. / official layout)', () => {
  const root = join(base, 'nyu');
  const W = 8, H = 6;
  const build = async () => {
    for (const id of ['000000', '000001']) {
      await writePng(join(root, 'test', 'img', `${id}.png`), rgb(W, H, (x, y, c) => (x * 30 + y * 10 + c) % 256));
      // normals: +z everywhere ((128,128,255)), with a black (invalid) pixel at (2, 1)
      await writePng(join(root, 'test', 'norm', `${id}.png`), rgb(W, H, (x, y, c) => (x === 2 && y === 1 ? 0 : c === 2 ? 255 : 128)));
    }
    write(join(root, 'test', 'caption', '000000.txt'), 'a bedroom with a bed\n');
  };

  it('pairs img/norm by id, decodes rgb/255·2−1 with black invalid, reads captions', async () => {
    await build();
    const ds = await openNyuv2(root, { split: 'test' });
    expect(ds.ids).toEqual(['000000', '000001']);
    const s = await ds.get(0);
    expect(s.caption).toBe('a bedroom with a bed');
    expect(s.image.shape).toEqual([3, H, W]);
    const n = s.labels.normals!;
    expect(n.valid.data[1 * W + 2]).toBe(0);
    expect(n.valid.data.reduce((a, b) => a + b, 0)).toBe(W * H - 1);
    expect(n.value.data[2 * H * W]).toBeCloseTo(1, 6);
    expect(n.value.data[0]).toBeCloseTo(2 * 128 / 255 - 1, 6);
    expect((await ds.get(1)).caption).toBeUndefined();
  });

  it("'official' resize reproduces the 512×512 policy of ldm/data/nyu.py", async () => {
    const ds = await openNyuv2(root, { split: 'test', resize: 'official' });
    const s = await ds.get(0);
    expect(s.image.shape).toEqual([3, 512, 512]);
    const direct = resizeSample(await (await openNyuv2(root, { split: 'test' })).get(0), [512, 512], 'official');
    expect(Array.from(s.labels.normals!.valid.data)).toEqual(Array.from(direct.labels.normals!.valid.data));
    // the invalid pixel (2, 1) of 8×6 spreads over its bilinear support: fewer valid pixels than nearest
    const near = await (await openNyuv2(root, { split: 'test', resize: 'nearest' })).get(0);
    const count = (d: Uint8Array) => d.reduce((a, b) => a + b, 0);
    expect(count(s.labels.normals!.valid.data)).toBeLessThan(count(near.labels.normals!.valid.data));
  });

  it("Bae et al.'s list file, missing normals, and required captions", async () => {
    write(join(root, 'data_split', 'nyu_test.txt'), 'test/img/000001.png test/norm/000001.png\n');
    const listed = await openNyuv2(root, { split: 'test', listFile: join(root, 'data_split', 'nyu_test.txt') });
    expect(listed.ids).toEqual(['000001']);
    await writePng(join(root, 'test', 'img', '000002.png'), rgb(W, H, () => 9));
    await expect(openNyuv2(root, { split: 'test' })).rejects.toThrow(/norm[/\\]000002\.png: missing file for sample '000002'/);
    const skipped: SkippedSample[] = [];
    const ds = await openNyuv2(root, { split: 'test', requireCaptions: true, skipBad: true, onSkip: (s) => skipped.push(s) });
    expect(ds.ids).toEqual(['000000']);
    expect(skipped.map((s) => s.id)).toEqual(['000001', '000002']);
    await expect(openNyuv2(root, { split: 'val' as never })).rejects.toThrow(/split 'val' is not valid .* one of: train, test/);
  });
});

describe('NYUD-MT (MTI-Net / ATRC and InvPT variants)', () => {
  const W = 5, H = 4;
  const build = async (root: string, variant: 'mtinet' | 'invpt') => {
    write(join(root, 'gt_sets', 'val.txt'), '0001\n0002\n');
    for (const id of ['0001', '0002']) {
      const img = rgb(W, H, (x, y, c) => 40 * c + x + y);
      if (variant === 'mtinet') await jpeg(join(root, 'images', `${id}.jpg`), img);
      else await writePng(join(root, 'images', `${id}.png`), img);
      await writePng(join(root, 'segmentation', `${id}.png`), grey(W, H, (x) => x * 10)); // 0 void, 10, 20, 30, 40
      write(join(root, 'depth', `${id}.npy`), encodeNpy(Float32Array.from({ length: W * H }, (_, p) => (p === 3 ? 0 : 1 + p / 10)), [H, W]));
      if (variant === 'mtinet') {
        const n = new Float32Array(W * H * 3);
        for (let p = 0; p < W * H; p++) if (p !== 7) n[3 * p + 1] = -1; // (0, −1, 0), a zero vector at pixel 7
        write(join(root, 'normals', `${id}.npy`), encodeNpy(n, [H, W, 3]));
      } else {
        await writePng(join(root, 'normals', `${id}.png`), rgb(W, H, (x, y, c) => (y * W + x === 7 ? 0 : c === 1 ? 0 : 128)));
      }
    }
  };

  for (const variant of ['mtinet', 'invpt'] as const) {
    it(`reads the ${variant} variant: segmentation 0 = void / id − 1, depth .npy, normals ${variant === 'mtinet' ? '.npy' : '.png'}`, async () => {
      const root = join(base, `nyudmt-${variant}`);
      await build(root, variant);
      const ds = await openNyudmt(root, { split: 'val' });
      expect(ds.ids).toEqual(['0001', '0002']);
      expect(ds.classes.semseg?.names).toHaveLength(40);
      const s = await ds.get(0);
      expect(Array.from(s.labels.semseg!.value.data.slice(0, W))).toEqual([255, 9, 19, 29, 39]);
      expect(Array.from(s.labels.semseg!.valid.data.slice(0, W))).toEqual([0, 1, 1, 1, 1]);
      expect(s.labels.depth!.valid.data[3]).toBe(0);
      expect(s.labels.depth!.value.data[4]).toBeCloseTo(1.4, 6);
      const n = s.labels.normals!;
      expect(n.valid.data[7]).toBe(0);
      expect(n.valid.data[8]).toBe(1);
      expect(n.value.data[W * H + 8]).toBeCloseTo(-1, 6); // y component
    });
  }

  it('out-of-range segmentation and a depth/image size mismatch are errors naming the file', async () => {
    const root = join(base, 'nyudmt-bad');
    await build(root, 'invpt');
    await writePng(join(root, 'segmentation', '0001.png'), grey(W, H, () => 41));
    write(join(root, 'depth', '0002.npy'), encodeNpy(new Float32Array((H + 1) * W).fill(2), [H + 1, W]));
    const ds = await openNyudmt(root, { split: 'val' });
    await expect(ds.get(0)).rejects.toThrow(/segmentation[/\\]0001\.png: label values out of range for 40 classes with convention 'nyudmt'/);
    await expect(ds.get(1)).rejects.toThrow(/depth[/\\]0002\.npy: depth label is 5×5 but its image/);
  });
});

describe('PASCAL-Context multi-task', () => {
  const W = 5, H = 6; // the MAT fixtures (scipy.io.savemat) are 6×5
  const root = join(base, 'pascal');
  const build = async () => {
    write(join(root, 'ImageSets', 'Context', 'val.txt'), '2008_000001\n2008_000002\n');
    for (const id of ['2008_000001', '2008_000002']) {
      await jpeg(join(root, 'JPEGImages', `${id}.jpg`), rgb(W, H, (x, y, c) => 50 + 20 * c + x));
      await writePng(join(root, 'sal_distill', `${id}.png`), grey(W, H, (x) => (x < 2 ? 200 : 100)));
      await writePng(join(root, 'normals_distill', `${id}.png`), rgb(W, H, (x, y, c) => (c === 2 ? 255 : 128)));
      copyFileSync(fx('mat/labelmap_z.mat'), join(mkdirOf(join(root, 'pascal-context', 'trainval')), `${id}.mat`));
    }
    await writePng(join(root, 'semseg', 'VOC12', '2008_000001.png'), grey(W, H, (x, y) => (y === 0 ? 255 : x)));
    await writePng(join(root, 'semseg', 'pascal-context', '2008_000002.png'), grey(W, H, () => 20));
    copyFileSync(fx('mat/parts_z.mat'), join(mkdirOf(join(root, 'human_parts')), '2008_000001.mat'));
    copyFileSync(fx('mat/parts_noperson.mat'), join(root, 'human_parts', '2008_000002.mat'));
  };
  function mkdirOf(d: string): string { mkdirSync(d, { recursive: true }); return d; }

  it('reads semseg (VOC12 first, then pascal-context), grouped human parts, saliency, and class-masked normals', async () => {
    await build();
    const golden = (await import('../fixtures/golden.json', { with: { type: 'json' } })).default as { mat: { parts: Record<string, number[]>; labelmap: { values: number[] } } };
    const ds = await openPascalContext(root, { split: 'val' });
    const a = await ds.get(0), b = await ds.get(1);
    expect(Array.from(a.labels.semseg!.value.data.slice(0, 2 * W))).toEqual([255, 255, 255, 255, 255, 0, 1, 2, 3, 4]);
    expect(Array.from(b.labels.semseg!.value.data.slice(0, 3))).toEqual([20, 20, 20]);
    // parts: head → 1, torso → 2, lfoot → 6 (HUMAN_PART[6]); everything else background 0; all valid
    const parts = a.labels.parts!;
    const expected = new Array(W * H).fill(0);
    golden.mat.parts.head!.forEach((v, p) => { if (v) expected[p] = 1; });
    golden.mat.parts.torso!.forEach((v, p) => { if (v) expected[p] = 2; });
    golden.mat.parts.lfoot!.forEach((v, p) => { if (v) expected[p] = 6; });
    expect(Array.from(parts.value.data)).toEqual(expected);
    expect(parts.valid.data.every((v) => v === 1)).toBe(true);
    // no person with parts: the whole image is ignored (InvPT AddIgnoreRegions)
    expect(b.labels.parts!.valid.data.every((v) => v === 0)).toBe(true);
    expect(Array.from(a.labels.saliency!.value.data.slice(0, W))).toEqual([1, 1, 0, 0, 0]);
    const ok = new Set(NORMALS_VALID_CONTEXT_CLASSES);
    expect(Array.from(a.labels.normals!.valid.data)).toEqual(golden.mat.labelmap.values.map((c) => (ok.has(c) ? 1 : 0)));
    const plain = await (await openPascalContext(root, { split: 'val', normalsMask: 'nonzero', tasks: ['normals'] })).get(0);
    expect(plain.labels.normals!.valid.data.every((v) => v === 1)).toBe(true);
  });

  it('an unknown part name and a missing LabelMap are errors naming the file', async () => {
    copyFileSync(fx('mat/parts_badname.mat'), join(root, 'human_parts', '2008_000002.mat'));
    const ds = await openPascalContext(root, { split: 'val', tasks: ['parts'] });
    await expect(ds.get(1)).rejects.toThrow(/human_parts[/\\]2008_000002\.mat: unknown person part 'tail'/);
    rmSync(join(root, 'pascal-context', 'trainval', '2008_000002.mat'));
    await expect(openPascalContext(root, { split: 'val' })).rejects.toThrow(/trainval[/\\]2008_000002\.mat: missing file/);
  });
});

describe('ADE20K (ADEChallengeData2016)', () => {
  const root = join(base, 'ADEChallengeData2016');
  it('maps 0 → ignore and 1..150 → 0..149 (reduce_zero_label), names from objectInfo150.txt', async () => {
    await jpeg(join(root, 'images', 'validation', 'ADE_val_00000001.jpg'), rgb(4, 2, () => 100));
    await writePng(join(root, 'annotations', 'validation', 'ADE_val_00000001.png'), grey(4, 2, (x, y) => [0, 1, 150, 75][x]! * (1 - y)));
    const lines = ['Idx\tRatio\tTrain\tVal\tName', ...Array.from({ length: 150 }, (_, i) => `${i + 1}\t0.1\t1\t1\t${i === 0 ? 'wall' : `thing${i + 1};synonym`}`)];
    write(join(root, 'objectInfo150.txt'), lines.join('\n'));
    const ds = await openAde20k(root, { split: 'val' });
    expect(ds.ids).toEqual(['ADE_val_00000001']);
    expect(ds.classes.semseg?.names[0]).toBe('wall');
    expect(ds.classes.semseg?.names[149]).toBe('thing150');
    const s = await ds.get(0);
    expect(Array.from(s.labels.semseg!.value.data)).toEqual([255, 0, 149, 74, 255, 255, 255, 255]);
    expect(Array.from(s.labels.semseg!.valid.data)).toEqual([0, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('a label above 150 is an error naming the annotation', async () => {
    await writePng(join(root, 'annotations', 'validation', 'ADE_val_00000001.png'), grey(4, 2, () => 151));
    const ds = await openAde20k(root, { split: 'val' });
    await expect(ds.get(0)).rejects.toThrow(/ADE_val_00000001\.png: label values out of range for 150 classes with convention 'ade20k'.*151/);
    await expect(openAde20k(root, { split: 'train' })).rejects.toThrow(/images[/\\]training/);
  });
});
