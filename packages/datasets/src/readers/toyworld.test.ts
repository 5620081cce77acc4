// Every reader on trees written by the toyworld exporter (`toyworld export --layout ...`), checked against the
// exact arrays of the rendered scenes (toyImage(seed, index)): what the exporter meant is what the reader reads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADE150_OF_SEM, NYU40_OF_SEM, VOC21_OF_SEM, CONTEXT459_OF_SEM, SEMANTIC_CLASSES, exportDataset, mapLabels, toyImage } from '@diff2in1/toyworld';
import type { LayoutName, ToyImage } from '@diff2in1/toyworld';
import type { DenseLabel, ClassLabel } from '@diff2in1/tasks';
import type { Dataset, Sample } from '../sample.js';
import { openAde20k } from './ade20k.js';
import { openFolder } from './folder.js';
import { openNyudmt } from './nyudmt.js';
import { openNyuv2 } from './nyuv2.js';
import { NORMALS_VALID_CONTEXT_CLASSES, openPascalContext } from './pascal-context.js';

const base = mkdtempSync(join(tmpdir(), 'd2i-toy-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const SEED = 1, W = 48, H = 36, TRAIN = 3, TEST = 2; // seed 1: the train split has scenes with and without a person
const scenes = new Map<number, ToyImage>();
const scene = (index: number): ToyImage => {
  let s = scenes.get(index);
  if (!s) { s = toyImage(SEED, index, { width: W, height: H }); scenes.set(index, s); }
  return s;
};

async function exported(layout: LayoutName, variant?: 'invpt' | 'mtinet'): Promise<string> {
  const out = join(base, `${layout}${variant ? `-${variant}` : ''}`);
  await exportDataset({ layout, out, count: TRAIN, testCount: TEST, width: W, height: H, seed: SEED, workers: 1, ...(variant ? { variant } : {}) });
  return out;
}

/** Checks a decoded normals label against the scene: valid where the scene is, within 1/255 (PNG) or exact (npy). */
function expectNormals(l: DenseLabel, img: ToyImage, tol: number, mask: (p: number) => boolean = () => true): void {
  const hw = W * H;
  for (let p = 0; p < hw; p++) {
    const want = img.valid[p] === 1 && mask(p);
    expect(l.valid.data[p], `pixel ${p}`).toBe(want ? 1 : 0);
    if (!want) continue;
    for (let c = 0; c < 3; c++) expect(Math.abs((l.value.data[c * hw + p] as number) - (img.normals[3 * p + c] as number))).toBeLessThanOrEqual(tol);
  }
}

function expectDepth(l: DenseLabel, img: ToyImage, tol: number): void {
  for (let p = 0; p < W * H; p++) {
    expect(l.valid.data[p]).toBe(img.depth[p]! > 0 ? 1 : 0);
    if (img.depth[p]! > 0) expect(Math.abs((l.value.data[p] as number) - (img.depth[p] as number))).toBeLessThanOrEqual(tol);
  }
}

/** Class label vs stored values mapped by `toId` (undefined = ignored). */
function expectClasses(l: ClassLabel, stored: ArrayLike<number>, toId: (v: number) => number | undefined): void {
  for (let p = 0; p < W * H; p++) {
    const id = toId(stored[p] as number);
    expect(l.valid.data[p]).toBe(id === undefined ? 0 : 1);
    if (id !== undefined) expect(l.value.data[p]).toBe(id);
  }
}

function expectRgbExact(s: Sample, img: ToyImage): void {
  for (let p = 0; p < W * H; p++) for (let c = 0; c < 3; c++) expect(Math.round((s.image.data[c * W * H + p] as number) * 255)).toBe(img.rgb[3 * p + c]);
}

async function all(ds: Dataset): Promise<Sample[]> {
  return Promise.all(ds.ids.map((_, i) => ds.get(i)));
}

describe('readers on toyworld exports', () => {
  let folder: string;
  beforeAll(async () => { folder = await exported('folder'); });

  it('folder: every modality equals the rendered scene', async () => {
    const train = await openFolder(folder, { split: 'train' });
    expect(train.ids).toEqual(['toy_000000', 'toy_000001', 'toy_000002']);
    expect((await openFolder(folder, { split: 'test' })).ids).toEqual(['toy_000003', 'toy_000004']);
    expect(train.classes.semseg).toEqual({ names: SEMANTIC_CLASSES.map((c) => c.name), ignoreIndex: 255 });
    expect(train.classes.parts?.names).toHaveLength(7);
    for (const s of await all(train)) {
      const img = scene(Number(s.id.slice(4)));
      expect(s.caption).toBe(img.caption);
      expectRgbExact(s, img);
      expectNormals(s.labels.normals!, img, 1 / 255 + 1e-6);
      expectDepth(s.labels.depth!, img, 0.0005 + 1e-6);
      expectClasses(s.labels.semseg!, img.semantic, (v) => (v === 255 ? undefined : v));
      const anyPart = img.parts.some((v) => v > 0);
      expectClasses(s.labels.parts!, img.parts, (v) => (anyPart ? v : undefined));
      expect(Array.from(s.labels.saliency!.value.data)).toEqual(Array.from(img.saliency));
    }
  });

  it('nyuv2 (Bae et al. / official): images, normals with black invalid, captions; list files', async () => {
    const out = await exported('nyuv2');
    const ds = await openNyuv2(join(out, 'nyu'), { split: 'test', requireCaptions: true });
    expect(ds.ids).toEqual(['000003', '000004']);
    for (const s of await all(ds)) {
      const img = scene(Number(s.id));
      expect(s.caption).toBe(img.caption);
      expectRgbExact(s, img);
      expectNormals(s.labels.normals!, img, 1 / 255 + 1e-6);
    }
    const listed = await openNyuv2(join(out, 'nyu'), { split: 'train', listFile: join(out, 'data_split', 'nyu_train.txt') });
    expect(listed.ids).toEqual(['000000', '000001', '000002']);
    const off = await (await openNyuv2(join(out, 'nyu'), { split: 'train', resize: 'official' })).get(0);
    expect(off.labels.normals!.value.shape).toEqual([3, 512, 512]);
  });

  for (const variant of ['invpt', 'mtinet'] as const) {
    it(`nyudmt (${variant}): 40-class segmentation (0 = void), depth .npy, normals`, async () => {
      const out = await exported('nyudmt', variant);
      const ds = await openNyudmt(out, { split: 'val' });
      expect(ds.ids).toEqual(['000003', '000004']);
      for (const s of await all(ds)) {
        const img = scene(Number(s.id));
        if (variant === 'invpt') expectRgbExact(s, img);
        const stored = mapLabels(img.semantic, NYU40_OF_SEM, 0);
        expectClasses(s.labels.semseg!, stored, (v) => (v === 0 ? undefined : v - 1));
        expectDepth(s.labels.depth!, img, 1e-6);
        expectNormals(s.labels.normals!, img, variant === 'invpt' ? 1 / 255 + 1e-6 : 1e-6);
      }
    });
  }

  it('pascal: semseg, human parts from MAT v5, saliency, normals masked by the LabelMap', async () => {
    const out = await exported('pascal');
    const ds = await openPascalContext(out, { split: 'train' });
    expect(ds.ids).toEqual(['toy_000000', 'toy_000001', 'toy_000002']);
    const ok = new Set(NORMALS_VALID_CONTEXT_CLASSES);
    const withParts: boolean[] = [];
    for (const s of await all(ds)) {
      const img = scene(Number(s.id.slice(4)));
      expectClasses(s.labels.semseg!, mapLabels(img.semantic, VOC21_OF_SEM, 255), (v) => (v === 255 ? undefined : v));
      const anyPart = img.parts.some((v) => v > 0);
      withParts.push(anyPart);
      expectClasses(s.labels.parts!, img.parts, (v) => (anyPart ? v : undefined));
      expect(Array.from(s.labels.saliency!.value.data)).toEqual(Array.from(img.saliency));
      const context = mapLabels(img.semantic, CONTEXT459_OF_SEM, 0); // ids up to 454: a Uint16Array
      expectNormals(s.labels.normals!, img, 1 / 255 + 1e-6, (p) => ok.has(context[p] as number));
    }
    // Both the parts path and the "no person → ignored" path ran.
    expect(withParts).toContain(true);
    expect(withParts).toContain(false);
  });

  it('ade20k: 150 classes with 0 = ignore', async () => {
    const out = await exported('ade20k');
    const ds = await openAde20k(join(out, 'ADEChallengeData2016'), { split: 'val' });
    expect(ds.ids).toEqual(['ADE_val_00000001', 'ADE_val_00000002']);
    for (const [k, s] of (await all(ds)).entries()) {
      const img = scene(TRAIN + k);
      expectClasses(s.labels.semseg!, mapLabels(img.semantic, ADE150_OF_SEM, 0), (v) => (v === 0 ? undefined : v - 1));
    }
  });
});
