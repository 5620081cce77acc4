// File encodings: MAT v5 (against files scipy read), PNG round trips of normals and depth.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readRawImage, writePng } from '@diff2in1/tensor';
import { backProject, lookAt, NYU_INTRINSICS, project, scaleIntrinsics } from './camera.js';
import { encodeMat, matChar, matMatrix, matScalar, matStructRow } from './mat5.js';
import { decodeDepthPng, decodeNormalsPng, encodeDepthPng } from '@diff2in1/tasks';
import { normalsToRaw, toyImage, toyLabels } from './toy-image.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

describe('MAT v5 writer', () => {
  // Values scipy.io.loadmat read from the fixtures (tools/read_mat_fixtures.py → mat-fixtures.scipy.json).
  const truth = JSON.parse(new TextDecoder().decode(fixture('mat-fixtures.scipy.json'))) as {
    human_parts: { imname: string; objects: { class: string; class_ind: number; mask: number[][]; parts: { part_name: string; mask: number[][] }[] }[] };
    LabelMap: { dtype: string; value: number[][] };
  };
  const rowMajor = (m: number[][]): number[] => m.flat();
  const hp = truth.human_parts;
  const o = hp.objects[0]!;
  const anno = matStructRow(['imname', 'objects'], [{
    imname: matChar(hp.imname),
    objects: matStructRow(['class', 'class_ind', 'mask', 'parts'], [{
      class: matChar(o.class), class_ind: matScalar(o.class_ind), mask: matMatrix('uint8', 2, 3, rowMajor(o.mask)),
      parts: matStructRow(['part_name', 'mask'], o.parts.map((p) => ({ part_name: matChar(p.part_name), mask: matMatrix('uint8', 2, 3, rowMajor(p.mask)) }))),
    }]),
  }]);

  it('writes the PASCAL-Part record scipy reads back as InvPT indexes it', () => {
    expect(encodeMat({ anno }, { compress: false })).toEqual(fixture('human-parts-small.mat'));
    expect(truth.human_parts.objects[0]!.parts.map((p) => p.part_name)).toEqual(['head', 'ruarm']);
  });

  it('writes a uint16 LabelMap scipy reads as uint16 in row order', () => {
    expect(truth.LabelMap.dtype).toBe('uint16');
    expect(encodeMat({ LabelMap: matMatrix('uint16', 2, 3, rowMajor(truth.LabelMap.value)) }, { compress: false })).toEqual(fixture('labelmap-small.mat'));
  });

  it('a compressed file holds the same element, zlib-deflated, after the 128-byte header', () => {
    const raw = encodeMat({ anno }, { compress: false });
    const z = encodeMat({ anno });
    expect(z.subarray(0, 128)).toEqual(raw.subarray(0, 128));
    const view = new DataView(z.buffer, z.byteOffset);
    expect(view.getUint32(128, true)).toBe(15); // miCOMPRESSED
    const n = view.getUint32(132, true);
    expect(136 + n).toBe(z.length);
    expect(new Uint8Array(inflateSync(z.subarray(136, 136 + n)))).toEqual(raw.subarray(128));
  });

  it('stores matrices column-major (MATLAB order)', () => {
    const m = matMatrix('double', 2, 3, [1, 2, 3, 4, 5, 6]);
    expect(m.kind === 'double' && [...m.data]).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('PNG round trips', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toyworld-codec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const img = toyImage(8, 2, { width: 64, height: 48 });

  it('normals survive PNG within 1/255 per component, invalid stays (0,0,0)', async () => {
    await writePng(join(dir, 'n.png'), normalsToRaw(img));
    const back = await readRawImage(join(dir, 'n.png'));
    expect([back.width, back.height, back.channels, back.bitDepth]).toEqual([64, 48, 3, 8]);
    const { value, valid } = decodeNormalsPng(back);
    expect([...valid.data]).toEqual([...img.valid]);
    const hw = 64 * 48;
    for (let p = 0; p < hw; p++) {
      if (!img.valid[p]) continue;
      for (let c = 0; c < 3; c++) expect(Math.abs(value.data[c * hw + p]! - img.normals[3 * p + c]!)).toBeLessThanOrEqual(1 / 255 + 1e-7);
    }
  });

  it('encodes (n + 1)/2·255 rounded: hand-computed pixels', () => {
    const n = Float32Array.of(0, 0, 1, -1, 0.5, -0.5, 0.6, 0.8, 0);
    expect([...normalsToRaw({ width: 3, height: 1, normals: n, valid: Uint8Array.of(1, 1, 0) }).data]).toEqual([128, 128, 255, 0, 191, 64, 0, 0, 0]);
  });

  it('depth survives a 16-bit PNG in millimetres (0 = invalid)', async () => {
    await writePng(join(dir, 'd.png'), encodeDepthPng(toyLabels(img).depth));
    const back = await readRawImage(join(dir, 'd.png'));
    expect([back.channels, back.bitDepth]).toEqual([1, 16]);
    const d = decodeDepthPng(back);
    for (let p = 0; p < img.depth.length; p++) {
      expect(Math.abs(back.data[p]! / 1000 - img.depth[p]!)).toBeLessThanOrEqual(0.0005 + 1e-7);
      expect(d.valid.data[p]).toBe(img.valid[p]);
    }
  });

  it('toyLabels: CHW values equal to the rendered arrays, void semseg invalid', () => {
    const l = toyLabels(img);
    const hw = 64 * 48;
    for (let p = 0; p < hw; p++) {
      for (let c = 0; c < 3; c++) expect(l.normals.value.data[c * hw + p]).toBe(img.normals[3 * p + c]);
      expect(l.depth.value.data[p]).toBe(img.depth[p]);
      expect(l.semseg.value.data[p]).toBe(img.semantic[p]);
      expect(l.semseg.valid.data[p]).toBe(img.semantic[p] === 255 ? 0 : 1);
      expect(l.parts.value.data[p]).toBe(img.parts[p]);
      expect(l.saliency.value.data[p]).toBe(img.saliency[p]);
    }
    expect([...l.normals.valid.data]).toEqual([...img.valid]);
  });
});

describe('camera', () => {
  it('scales NYU intrinsics pixel-edge to pixel-edge (hand-computed at 320×240 and 512×512)', () => {
    expect(scaleIntrinsics(NYU_INTRINSICS, 640, 480)).toEqual(NYU_INTRINSICS);
    const k = scaleIntrinsics(NYU_INTRINSICS, 320, 240);
    expect(k.fx).toBeCloseTo(259.4289505872509, 10);
    expect(k.cx).toBeCloseTo((325.58244941119034 + 0.5) / 2 - 0.5, 10);
    expect(k.cy).toBeCloseTo(126.61808316700233, 10);
    const s = scaleIntrinsics(NYU_INTRINSICS, 512, 512);
    expect(s.fx).toBeCloseTo(518.8579011745019 * 0.8, 10);
    expect(s.fy).toBeCloseTo(519.4696111212749 * (512 / 480), 10);
  });

  it('lookAt: orthonormal, right × down = forward, forward points at the target, level roll keeps right horizontal', () => {
    const c = lookAt([1, 1.5, 2], [3, 0.5, 5], 0.1);
    const d = (a: number[], b: number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
    for (const v of [c.right, c.down, c.forward]) expect(d(v, v)).toBeCloseTo(1, 12);
    expect(d(c.right, c.down)).toBeCloseTo(0, 12);
    const x = [c.right[1] * c.down[2] - c.right[2] * c.down[1], c.right[2] * c.down[0] - c.right[0] * c.down[2], c.right[0] * c.down[1] - c.right[1] * c.down[0]];
    for (let a = 0; a < 3; a++) expect(x[a]).toBeCloseTo(c.forward[a]!, 12);
    const t = [2, -1, 3].map((v) => v / Math.hypot(2, 1, 3));
    for (let a = 0; a < 3; a++) expect(c.forward[a]).toBeCloseTo(t[a]!, 12);
    expect(lookAt([0, 1, 0], [1, 0.2, 3]).right[1]).toBeCloseTo(0, 12);
  });

  it('backProject and project are inverse', () => {
    const k = scaleIntrinsics(NYU_INTRINSICS, 128, 96);
    const p = backProject(k, 17, 80, 2.75);
    expect(p[2]).toBe(2.75);
    const [x, y] = project(k, p);
    expect(x).toBeCloseTo(17, 10);
    expect(y).toBeCloseTo(80, 10);
  });
});
