import { mkdirSync, mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawImage } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor, tensor, writePng } from '@diff2in1/tensor';
import type { Sample, SkippedSample } from '../sample.js';
import { FolderWriter, openFolder } from './folder.js';

const base = mkdtempSync(join(tmpdir(), 'd2i-folder-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const W = 4, H = 3;

function sample(id: string, k: number): Sample {
  const image = new Tensor('float32', [3, H, W]);
  for (let i = 0; i < image.size; i++) image.data[i] = ((i * 7 + k * 31) % 256) / 255;
  const n = new Tensor('float32', [3, H, W]);
  for (let p = 0; p < H * W; p++) { const a = (p + k) * 0.3; n.data[p] = Math.sin(a) * 0.6; n.data[H * W + p] = Math.cos(a) * 0.6; n.data[2 * H * W + p] = 0.8; }
  const nvalid = tensor('bool', [H, W], Array.from({ length: H * W }, (_, p) => (p === 5 ? 0 : 1)));
  const depth = tensor('float32', [1, H, W], Array.from({ length: H * W }, (_, p) => 0.5 + p * 0.25 + k));
  const dvalid = tensor('bool', [H, W], Array.from({ length: H * W }, (_, p) => (p === 0 ? 0 : 1)));
  const seg = tensor('int32', [H, W], Array.from({ length: H * W }, (_, p) => (p === 11 ? 255 : (p + k) % 3)));
  const svalid = tensor('bool', [H, W], Array.from({ length: H * W }, (_, p) => (p === 11 ? 0 : 1)));
  const parts = tensor('int32', [H, W], Array.from({ length: H * W }, (_, p) => (p % 4 === 0 ? 2 : 0)));
  const sal = tensor('float32', [1, H, W], Array.from({ length: H * W }, (_, p) => p % 2));
  const all = tensor('bool', [H, W], new Array(H * W).fill(1));
  return {
    id, image, caption: `a room number ${k}`,
    labels: {
      normals: { value: n, valid: nvalid }, depth: { value: depth, valid: dvalid }, semseg: { value: seg, valid: svalid },
      parts: { value: parts, valid: all }, saliency: { value: sal, valid: all },
    },
  };
}

async function writeTree(root: string): Promise<Sample[]> {
  const w = new FolderWriter(root, { semseg: { names: ['wall', 'floor', 'box'] } });
  const s = [sample('000001', 1), sample('000002', 2), sample('000003', 3)];
  await w.write(s[0] as Sample, 'train');
  await w.write(s[1] as Sample, 'train');
  await w.write(s[2] as Sample, 'test');
  await w.finish();
  return s;
}

describe('folder format', () => {
  it('reads back what the writer wrote (to the precision of each encoding)', async () => {
    const root = join(base, 'ok');
    const written = await writeTree(root);
    const ds = await openFolder(root, { split: 'train' });
    expect(ds.ids).toEqual(['000001', '000002']);
    expect([...ds.tasks].sort()).toEqual(['depth', 'normals', 'parts', 'saliency', 'semseg']);
    expect(ds.classes.semseg?.names).toEqual(['wall', 'floor', 'box']);
    const s = await ds.get(1);
    const w = written[1] as Sample;
    expect(s.caption).toBe('a room number 2');
    expect(s.image.shape).toEqual([3, H, W]);
    s.image.data.forEach((v, i) => expect(v).toBeCloseTo(w.image.data[i] as number, 6));
    const n = s.labels.normals!;
    expect(Array.from(n.valid.data)).toEqual(Array.from(w.labels.normals!.valid.data));
    n.value.data.forEach((v, i) => { if (n.valid.data[i % (H * W)]) expect(Math.abs(v - (w.labels.normals!.value.data[i] as number))).toBeLessThanOrEqual(1 / 255 + 1e-6); });
    const d = s.labels.depth!;
    expect(Array.from(d.valid.data)).toEqual(Array.from(w.labels.depth!.valid.data));
    d.value.data.forEach((v, i) => { if (d.valid.data[i]) expect(Math.abs(v - (w.labels.depth!.value.data[i] as number))).toBeLessThanOrEqual(0.0005 + 1e-7); });
    expect(Array.from(s.labels.semseg!.value.data)).toEqual(Array.from(w.labels.semseg!.value.data));
    expect(Array.from(s.labels.semseg!.valid.data)).toEqual(Array.from(w.labels.semseg!.valid.data));
    expect(Array.from(s.labels.parts!.value.data)).toEqual(Array.from(w.labels.parts!.value.data));
    expect(Array.from(s.labels.saliency!.value.data)).toEqual(Array.from(w.labels.saliency!.value.data));
    const test = await openFolder(root, { split: 'test', tasks: ['depth'] });
    expect(test.ids).toEqual(['000003']);
    expect(Object.keys((await test.get(0)).labels)).toEqual(['depth']);
  });

  it('reads a hand-built tree (JPEG image, grey semseg, no captions)', async () => {
    const root = join(base, 'hand');
    mkdirSync(join(root, 'splits'), { recursive: true });
    writeFileSync(join(root, 'splits', 'train.txt'), 'a\n\n');
    writeFileSync(join(root, 'classes.json'), JSON.stringify({ semseg: { names: ['x', 'y'] } }));
    const rgb: RawImage = { width: 2, height: 1, channels: 3, bitDepth: 8, data: Uint8Array.from([255, 0, 0, 0, 0, 255]) };
    await writePng(join(root, 'images', 'a.png'), rgb);
    await writePng(join(root, 'semseg', 'a.png'), { width: 2, height: 1, channels: 1, bitDepth: 8, data: Uint8Array.from([1, 255]) });
    const ds = await openFolder(root);
    const s = await ds.get(0);
    expect(Array.from(s.image.data)).toEqual([1, 0, 0, 0, 0, 1]);
    expect(Array.from(s.labels.semseg!.value.data)).toEqual([1, 255]);
    expect(Array.from(s.labels.semseg!.valid.data)).toEqual([1, 0]);
    expect(s.caption).toBeUndefined();
    await expect(openFolder(root, { tasks: ['depth'] })).rejects.toThrow(/task 'depth' is not available .* available: semseg/);
    // Only the documented schema is read; the pre-spec toyworld form is refused with the fix.
    writeFileSync(join(root, 'classes.json'), JSON.stringify({ semantic: [{ id: 0, name: 'x' }, { id: 1, name: 'y' }], ignoreIndex: 200 }));
    await expect(openFolder(root)).rejects.toThrow(/classes\.json: classes\.json has 'semantic' .*"semseg": \{"names"/);
    writeFileSync(join(root, 'classes.json'), JSON.stringify({ semseg: [{ id: 0, name: 'x' }] }));
    await expect(openFolder(root)).rejects.toThrow(/semseg must be \{"names": \[\.\.\.\], "ignoreIndex": n\}, not a list/);
    writeFileSync(join(root, 'classes.json'), JSON.stringify({ semseg: { names: ['x', 'y'] }, ignoreIndex: 200 }));
    await expect(openFolder(root)).rejects.toThrow(/top-level ignoreIndex .* inside each task/);
    // Extra fields (toyworld's colours) are ignored; a per-task ignore index is used.
    writeFileSync(join(root, 'classes.json'), JSON.stringify({ semseg: { names: ['x', 'y'], ignoreIndex: 200, colors: [[0, 0, 0], [1, 1, 1]] } }));
    const custom = await openFolder(root);
    expect(custom.classes.semseg).toEqual({ names: ['x', 'y'], ignoreIndex: 200 });
    await expect(custom.get(0)).rejects.toThrow(/semseg[/\\]a\.png: label values out of range for 2 classes .*255 \(1 px\)/);
  });
});

describe('folder format: bad input', () => {
  it('a missing file is an error naming it, or a logged skip with skipBad', async () => {
    const root = join(base, 'missing');
    await writeTree(root);
    unlinkSync(join(root, 'depth', '000002.png'));
    await expect(openFolder(root)).rejects.toThrow(new RegExp(`${join(root, 'depth', '000002.png').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: missing file for sample '000002'`));
    const skipped: SkippedSample[] = [];
    const ds = await openFolder(root, { skipBad: true, onSkip: (s) => skipped.push(s) });
    expect(ds.ids).toEqual(['000001']);
    expect(skipped).toEqual([{ id: '000002', file: join(root, 'depth', '000002.png'), reason: 'missing file' }]);
    expect(ds.skipped).toEqual(skipped);
  });

  it('an image/label size mismatch names the label file and both sizes', async () => {
    const root = join(base, 'mismatch');
    await writeTree(root);
    await writePng(join(root, 'depth', '000001.png'), { width: 5, height: 3, channels: 1, bitDepth: 16, data: new Uint16Array(15).fill(1000) });
    const ds = await openFolder(root);
    await expect(ds.get(0)).rejects.toThrow(/depth[/\\]000001\.png: depth label is 5×3 but its image .* is 4×3/);
  });

  it('a corrupt image or label file is an error naming it', async () => {
    const root = join(base, 'corrupt');
    await writeTree(root);
    writeFileSync(join(root, 'images', '000001.png'), Buffer.from('not a png at all'));
    writeFileSync(join(root, 'normals', '000002.png'), Buffer.from('\x89PNG\r\n\x1a\n garbage'));
    const ds = await openFolder(root);
    await expect(ds.get(0)).rejects.toThrow(/images[/\\]000001\.png: cannot decode image/);
    await expect(ds.get(1)).rejects.toThrow(/normals[/\\]000002\.png: cannot decode PNG/);
    await expect(ds.get(1)).rejects.toBeInstanceOf(Diff2in1Error);
  });

  it('a caption that is not a string is an error naming the id (not a silently missing caption)', async () => {
    const root = join(base, 'badcaption');
    await writeTree(root);
    writeFileSync(join(root, 'captions.json'), JSON.stringify({ '000001': 'a room', '000002': 7 }));
    await expect(openFolder(root)).rejects.toThrow(/captions\.json: the caption of id '000002' is 7; every value must be a string/);
  });

  it('an out-of-range class id is an error naming the file (never a silent wrong label)', async () => {
    const root = join(base, 'range');
    await writeTree(root);
    await writePng(join(root, 'semseg', '000001.png'), { width: W, height: H, channels: 1, bitDepth: 8, data: new Uint8Array(W * H).fill(7) });
    const ds = await openFolder(root);
    await expect(ds.get(0)).rejects.toThrow(/semseg[/\\]000001\.png: label values out of range for 3 classes .*7 \(12 px\)/);
    writeFileSync(join(root, 'classes.json'), '{"semseg": {"names": "wall"}}');
    await expect(openFolder(root)).rejects.toThrow(/classes\.json: semseg\.names must be a list of strings/);
    unlinkSync(join(root, 'classes.json'));
    await expect(openFolder(root)).rejects.toThrow(/classes\.json must list the semseg class names/);
    await expect(openFolder(root, { split: 'nope' })).rejects.toThrow(/splits[/\\]nope\.txt: cannot read split file/);
  });
});
