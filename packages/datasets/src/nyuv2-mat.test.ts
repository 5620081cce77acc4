// The labelled-NYUv2 converter on a small HDF5 file built here with the real file's dataset names, dtypes and
// MATLAB-transposed shapes (images [N, 3, W, H] uint8, depths [N, W, H] float32, labels [N, W, H] uint16,
// names [1, C] references to uint16 strings under #refs#), behind a 512-byte MATLAB v7.3 header.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertNyuv2Mat } from './nyuv2-mat.js';
import { openFolder } from './readers/folder.js';

const dir = mkdtempSync(join(tmpdir(), 'd2i-nyumat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fx = (p: string) => fileURLToPath(new URL(`./fixtures/${p}`, import.meta.url));

const N = 6, W = 5, H = 4;
// Independent truth: the value of image n at row y, column x.
const pixel = (n: number, c: number, y: number, x: number) => (n * 40 + c * 10 + x * 2 + y) % 256;
const depthOf = (n: number, y: number, x: number) => (n === 1 && x === 0 && y === 0 ? 0 : 1 + n + x * 0.1 + y * 0.01);
const rawLabel = (n: number, y: number, x: number) => (x + y + n) % 6;
const NAMES = ['wall', 'floor', 'cabinet', 'bed', 'chair'];

async function makeMat(path: string, opts: { channels?: number } = {}): Promise<void> {
  await h5wasm.ready;
  const tmp = `${path}.h5`;
  const f = new h5wasm.File(tmp, 'w');
  const C = opts.channels ?? 3;
  const images = new Uint8Array(N * C * W * H);
  const depths = new Float32Array(N * W * H);
  const labels = new Uint16Array(N * W * H);
  for (let n = 0; n < N; n++) {
    for (let x = 0; x < W; x++) {
      for (let y = 0; y < H; y++) {
        for (let c = 0; c < C; c++) images[((n * C + c) * W + x) * H + y] = pixel(n, c, y, x);
        depths[(n * W + x) * H + y] = depthOf(n, y, x);
        labels[(n * W + x) * H + y] = rawLabel(n, y, x);
      }
    }
  }
  f.create_dataset({ name: 'images', data: images, shape: [N, C, W, H], dtype: '<B' });
  f.create_dataset({ name: 'depths', data: depths, shape: [N, W, H], dtype: '<f' });
  f.create_dataset({ name: 'labels', data: labels, shape: [N, W, H], dtype: '<H' });
  f.create_group('#refs#');
  const refs = NAMES.map((name, i) => {
    const d = f.create_dataset({ name: `#refs#/n${i}`, data: Uint16Array.from(name, (ch) => ch.charCodeAt(0)), shape: [name.length, 1], dtype: '<H' });
    return d.create_reference();
  });
  f.create_dataset({ name: 'names', data: refs, shape: [1, NAMES.length] });
  f.close();
  const header = Buffer.alloc(512);
  header.write('MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .');
  writeFileSync(path, Buffer.concat([header, readFileSync(tmp)]));
  rmSync(tmp);
}

const mat = join(dir, 'nyu_depth_v2_labeled.mat');
beforeAll(async () => { await makeMat(mat); });

describe('convertNyuv2Mat', () => {
  it('writes the official splits with NYU-40 labels, undoing MATLAB\'s column-major layout', async () => {
    const out = join(dir, 'nyu40');
    const res = await convertNyuv2Mat({ mat, out, splits: fx('mat/splits.mat'), classMapping40: fx('mat/classmap.mat') });
    expect(res).toEqual({ written: 6, labels: 'nyu40', splits: { train: 3, test: 3 } });
    const train = await openFolder(out, { split: 'train' });
    expect(train.ids).toEqual(['000002', '000003', '000005']); // trainNdxs 3, 4, 6 (1-based)
    expect((await openFolder(out, { split: 'test' })).ids).toEqual(['000000', '000001', '000004']);
    expect(train.classes.semseg?.names).toHaveLength(40);
    const map = [NaN, 2, 0, 39, NaN, 1]; // raw 1..5 → mapClass [3, 1, 40, 0, 2] − 1; 0 and mapClass 0 → ignore
    for (let k = 0; k < train.length; k++) {
      const s = await train.get(k);
      const n = Number(s.id);
      expect(s.image.shape).toEqual([3, H, W]);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const p = y * W + x;
          for (let c = 0; c < 3; c++) expect(Math.round((s.image.data[c * H * W + p] as number) * 255)).toBe(pixel(n, c, y, x));
          expect(s.labels.depth!.value.data[p]).toBeCloseTo(depthOf(n, y, x), 6);
          const want = map[rawLabel(n, y, x)] as number;
          expect(s.labels.semseg!.valid.data[p]).toBe(Number.isNaN(want) ? 0 : 1);
          expect(s.labels.semseg!.value.data[p]).toBe(Number.isNaN(want) ? 255 : want);
        }
      }
    }
  });

  it('without a class mapping keeps raw labels (16-bit, ignore 65535) and the names from the file', async () => {
    const out = join(dir, 'raw');
    const res = await convertNyuv2Mat({ mat, out, indices: [1] });
    expect(res).toEqual({ written: 1, labels: 'raw894', splits: { all: 1 } });
    const ds = await openFolder(out, { split: 'all' });
    expect(ds.classes.semseg).toEqual({ names: NAMES, ignoreIndex: 65535 });
    const s = await ds.get(0);
    expect(s.labels.depth!.valid.data[0]).toBe(0); // depth 0 at (0, 0) of image 1
    for (let p = 0; p < H * W; p++) {
      const raw = rawLabel(1, Math.floor(p / W), p % W);
      expect(s.labels.semseg!.value.data[p]).toBe(raw === 0 ? 65535 : raw - 1);
    }
  });

  it('names the file and what is wrong for files that are not the labelled NYUv2 set', async () => {
    const bad = join(dir, 'four-channels.mat');
    await makeMat(bad, { channels: 4 });
    await expect(convertNyuv2Mat({ mat: bad, out: join(dir, 'x') })).rejects.toThrow(/four-channels\.mat: 'images' must be \[N, 3, W, H\]/);
    writeFileSync(join(dir, 'junk.mat'), 'not hdf5');
    await expect(convertNyuv2Mat({ mat: join(dir, 'junk.mat'), out: join(dir, 'y') })).rejects.toThrow(/junk\.mat: cannot open as HDF5/);
    await expect(convertNyuv2Mat({ mat, out: join(dir, 'z'), indices: [6] })).rejects.toThrow(/image index 6 outside 0\.\.5/);
  });
});
