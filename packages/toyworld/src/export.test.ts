// `toyworld export` on tiny datasets: exact file trees per layout, contents equal to toyImage, resume.
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNpy, readRawImage } from '@diff2in1/tensor';
import { ADE150_OF_SEM, CONTEXT459_OF_SEM, NYU40_OF_SEM } from './classes.js';
import { exportDataset } from './export.js';
import type { LayoutName } from './export.js';
import { normalsToRaw, toyImage } from './toy-image.js';

const root = mkdtempSync(join(tmpdir(), 'toyworld-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.toyworld') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const W = 48, H = 36, SEED = 4;
const opts = (layout: LayoutName, out: string) => ({ layout, out, count: 2, testCount: 1, width: W, height: H, seed: SEED, workers: 1 });
const img = [0, 1, 2].map((i) => toyImage(SEED, i, { width: W, height: H }));

/** The float32 data of a .npy file. */
function npy(path: string): Float32Array {
  const a = parseNpy(readFileSync(path), path);
  expect(a.dtype).toBe('float32');
  return a.data as Float32Array;
}

describe('layouts', () => {
  it('folder', async () => {
    const out = join(root, 'folder');
    await exportDataset(opts('folder', out));
    const ids = ['toy_000000', 'toy_000001', 'toy_000002'];
    const expected = ['captions.json', 'classes.json', 'splits/test.txt', 'splits/train.txt',
      ...['images', 'normals', 'depth', 'semseg', 'parts', 'saliency'].flatMap((d) => ids.map((id) => `${d}/${id}.png`))];
    expect(tree(out)).toEqual(expected.sort());
    expect(readFileSync(join(out, 'splits/train.txt'), 'utf8')).toBe('toy_000000\ntoy_000001\n');
    expect(readFileSync(join(out, 'splits/test.txt'), 'utf8')).toBe('toy_000002\n');
    const caps = JSON.parse(readFileSync(join(out, 'captions.json'), 'utf8')) as Record<string, string>;
    expect(caps).toEqual({ toy_000000: img[0]!.caption, toy_000001: img[1]!.caption, toy_000002: img[2]!.caption });
    // The folder format's classes.json schema (@diff2in1/datasets README): semseg / parts = { names, ignoreIndex }.
    const classes = JSON.parse(readFileSync(join(out, 'classes.json'), 'utf8')) as Record<'semseg' | 'parts', { names: string[]; ignoreIndex: number }>;
    expect(classes.semseg.names).toEqual(['wall', 'floor', 'ceiling', 'window', 'box', 'sphere', 'cylinder', 'cone', 'person']);
    expect(classes.semseg.ignoreIndex).toBe(255);
    expect(classes.parts.names).toEqual(['background', 'head', 'torso', 'upper arm', 'lower arm', 'upper leg', 'lower leg']);
    expect(classes.parts.ignoreIndex).toBe(255);
    for (let k = 0; k < 3; k++) {
      const id = ids[k]!, t = img[k]!;
      expect((await readRawImage(join(out, `images/${id}.png`))).data).toEqual(t.rgb);
      expect((await readRawImage(join(out, `normals/${id}.png`))).data).toEqual(normalsToRaw(t).data);
      expect((await readRawImage(join(out, `semseg/${id}.png`))).data).toEqual(t.semantic);
      expect((await readRawImage(join(out, `parts/${id}.png`))).data).toEqual(t.parts);
      const sal = (await readRawImage(join(out, `saliency/${id}.png`))).data;
      expect([...sal].map((v) => (v ? 1 : 0))).toEqual([...t.saliency]);
      const d = await readRawImage(join(out, `depth/${id}.png`));
      expect(d.bitDepth).toBe(16);
      expect([...d.data]).toEqual([...t.depth].map((m) => Math.round(m * 1000)));
    }
  });

  it('nyuv2 (Bae et al. / Diff-2-in-1)', async () => {
    const out = join(root, 'nyuv2');
    await exportDataset(opts('nyuv2', out));
    expect(tree(out)).toEqual([
      'data_split/nyu_test.txt', 'data_split/nyu_train.txt',
      'nyu/test/caption/000002.txt', 'nyu/test/img/000002.png', 'nyu/test/norm/000002.png',
      'nyu/train/caption/000000.txt', 'nyu/train/caption/000001.txt', 'nyu/train/img/000000.png', 'nyu/train/img/000001.png',
      'nyu/train/norm/000000.png', 'nyu/train/norm/000001.png',
    ]);
    expect(readFileSync(join(out, 'nyu/test/caption/000002.txt'), 'utf8')).toBe(img[2]!.caption);
    expect(readFileSync(join(out, 'data_split/nyu_train.txt'), 'utf8')).toBe('train/img/000000.png train/norm/000000.png\ntrain/img/000001.png train/norm/000001.png\n');
    expect((await readRawImage(join(out, 'nyu/train/norm/000001.png'))).data).toEqual(normalsToRaw(img[1]!).data);
  });

  it('nyudmt (InvPT / ATRC) and its MTI-Net variant', async () => {
    const out = join(root, 'nyudmt');
    await exportDataset(opts('nyudmt', out));
    const ids = ['000000', '000001', '000002'];
    expect(tree(out)).toEqual(['captions.json', 'gt_sets/train.txt', 'gt_sets/val.txt',
      ...ids.flatMap((id) => [`images/${id}.png`, `depth/${id}.npy`, `normals/${id}.png`, `segmentation/${id}.png`, `edge/${id}.png`])].sort());
    expect(readFileSync(join(out, 'gt_sets/val.txt'), 'utf8')).toBe('000002\n');
    const seg = (await readRawImage(join(out, 'segmentation/000000.png'))).data;
    expect([...seg]).toEqual([...img[0]!.semantic].map((s) => (s === 255 ? 0 : NYU40_OF_SEM[s])));
    expect([...npy(join(out, 'depth/000001.npy'))]).toEqual([...img[1]!.depth]);
    const edge = (await readRawImage(join(out, 'edge/000000.png'))).data;
    // Edge pixels are exactly those whose right or lower neighbour changes label or instance.
    const t = img[0]!;
    for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) {
      const p = j * W + i;
      const differs = (q: number): boolean => seg[q] !== seg[p] || t.instance[q] !== t.instance[p];
      expect(edge[p] === 255).toBe((i + 1 < W && differs(p + 1)) || (j + 1 < H && differs(p + W)));
    }
    const mti = join(root, 'mtinet');
    await exportDataset({ ...opts('nyudmt', mti), variant: 'mtinet' });
    expect(tree(mti).filter((f) => f.includes('000002'))).toEqual(['depth/000002.npy', 'edge/000002.npy', 'images/000002.jpg', 'normals/000002.npy', 'segmentation/000002.png']);
    expect([...npy(join(mti, 'normals/000002.npy'))]).toEqual([...img[2]!.normals]);
  });

  it('pascal (PASCAL-Context multi-task)', async () => {
    const out = join(root, 'pascal');
    await exportDataset(opts('pascal', out));
    const ids = ['toy_000000', 'toy_000001', 'toy_000002'];
    expect(tree(out)).toEqual(['ImageSets/Context/train.txt', 'ImageSets/Context/val.txt', 'ImageSets/Parts/train.txt', 'ImageSets/Parts/val.txt', 'captions.json',
      ...ids.flatMap((id) => [`JPEGImages/${id}.jpg`, `semseg/pascal-context/${id}.png`, `pascal-context/trainval/${id}.mat`, `human_parts/${id}.mat`, `normals_distill/${id}.png`, `sal_distill/${id}.png`])].sort());
    expect(readFileSync(join(out, 'ImageSets/Context/train.txt'), 'utf8')).toBe('toy_000000\ntoy_000001\n');
    const parts = JSON.parse(readFileSync(join(out, 'ImageSets/Parts/train.txt'), 'utf8')) as Record<string, number[]>;
    expect(Object.keys(parts)).toEqual(['toy_000000', 'toy_000001']);
    for (let k = 0; k < 2; k++) {
      const people = img[k]!.scene.objects.filter((o, j) => o.kind === 'person' && img[k]!.instance.includes(j + 1)).length;
      expect(parts[ids[k]!]).toEqual(new Array(people).fill(15));
    }
    const sem = (await readRawImage(join(out, 'semseg/pascal-context/toy_000000.png'))).data;
    expect([...sem]).toEqual([...img[0]!.semantic].map((s) => (s === 255 ? 255 : s === 8 ? 15 : 0)));
    // LabelMap: one compressed miMATRIX (uint16 class, dims [H, W], name, then H·W uint16 column-major) —
    // parsed here by the MAT v5 spec's element layout.
    const mat = readFileSync(join(out, 'pascal-context/trainval/toy_000001.mat'));
    expect(mat.readUInt32LE(128)).toBe(15);
    const el = inflateSync(mat.subarray(136, 136 + mat.readUInt32LE(132)));
    expect(el.readUInt32LE(0)).toBe(14);
    expect(el.readUInt32LE(16) & 0xff).toBe(11); // mxUINT16_CLASS
    expect([el.readInt32LE(32), el.readInt32LE(36)]).toEqual([H, W]);
    expect(el.subarray(48, 56).toString('latin1')).toBe('LabelMap');
    expect([el.readUInt32LE(56), el.readUInt32LE(60)]).toEqual([4, 2 * H * W]); // miUINT16
    const t1 = img[1]!;
    for (let i = 0; i < W; i++) for (let j = 0; j < H; j++) {
      const s = t1.semantic[j * W + i]!;
      expect(el.readUInt16LE(64 + 2 * (i * H + j))).toBe(s === 255 ? 0 : CONTEXT459_OF_SEM[s]);
    }
  });

  it('ade20k (ADEChallengeData2016)', async () => {
    const out = join(root, 'ade');
    await exportDataset(opts('ade20k', out));
    const A = 'ADEChallengeData2016';
    expect(tree(out)).toEqual([`${A}/annotations/training/ADE_train_00000001.png`, `${A}/annotations/training/ADE_train_00000002.png`,
      `${A}/annotations/validation/ADE_val_00000001.png`, `${A}/captions.json`, `${A}/images/training/ADE_train_00000001.jpg`,
      `${A}/images/training/ADE_train_00000002.jpg`, `${A}/images/validation/ADE_val_00000001.jpg`]);
    const ann = await readRawImage(join(out, `${A}/annotations/validation/ADE_val_00000001.png`));
    expect([ann.channels, ann.bitDepth]).toEqual([1, 8]);
    expect([...ann.data]).toEqual([...img[2]!.semantic].map((s) => (s === 255 ? 0 : ADE150_OF_SEM[s])));
    const jpg = await readRawImage(join(out, `${A}/images/training/ADE_train_00000002.jpg`));
    let err = 0;
    for (let i = 0; i < jpg.data.length; i++) err += Math.abs(jpg.data[i]! - img[1]!.rgb[i]!);
    expect(err / jpg.data.length).toBeLessThan(4); // JPEG q95
  });
});

describe('resume', () => {
  it('skips finished items, redoes an item with a missing file, refuses other options', async () => {
    const out = join(root, 'resume');
    const first = await exportDataset(opts('folder', out));
    expect([first.written, first.skipped]).toEqual([3, 0]);
    const again = await exportDataset(opts('folder', out));
    expect([again.written, again.skipped]).toEqual([0, 3]);
    const before = readFileSync(join(out, 'images/toy_000001.png'));
    unlinkSync(join(out, 'depth/toy_000001.png'));
    const third = await exportDataset(opts('folder', out));
    expect([third.written, third.skipped]).toEqual([1, 2]);
    expect(readFileSync(join(out, 'images/toy_000001.png'))).toEqual(before);
    // More items later: only the new ones are rendered.
    const more = await exportDataset({ ...opts('folder', out), count: 3, testCount: 0 });
    expect(more.written).toBe(0); // indices 0..2 all exist already (the former test item is now train #2)
    expect(readFileSync(join(out, 'splits/train.txt'), 'utf8')).toBe('toy_000000\ntoy_000001\ntoy_000002\n');
    await expect(exportDataset({ ...opts('folder', out), width: 64 })).rejects.toThrow(/width = 48, not 64/);
  });
});
