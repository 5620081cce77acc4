import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Diff2in1Error } from './errors.js';
import { SafetensorsFile, writeSafetensors } from './safetensors.js';
import { SafetensorsIndex, openCheckpoint, openSafetensorsIndex } from './safetensors-index.js';
import { tensor } from './tensor.js';
import type { Tensor } from './tensor.js';


const vals = (t: Tensor): unknown[] => Array.from(t.data as ArrayLike<unknown>);
const root = mkdtempSync(join(tmpdir(), 'stidx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

/** A two-shard checkpoint laid out as transformers' save_pretrained does. */
function sharded(d: string, index = 'model.safetensors.index.json'): string {
  writeSafetensors(join(d, 'model-00001-of-00002.safetensors'), { 'a.weight': tensor('float32', [2], [1, 2]), 'a.bias': tensor('float32', [1], [3]) });
  writeSafetensors(join(d, 'model-00002-of-00002.safetensors'), { 'b.weight': tensor('float16', [1], [0x3c00]) });
  const p = join(d, index);
  writeFileSync(p, JSON.stringify({
    metadata: { total_size: 14 },
    weight_map: { 'a.weight': 'model-00001-of-00002.safetensors', 'a.bias': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors' },
  }));
  return p;
}

describe('sharded checkpoints', () => {
  it('presents one name → tensor view across shards', async () => {
    const idx = openSafetensorsIndex(sharded(fresh()));
    expect(idx.names()).toEqual(['a.bias', 'a.weight', 'b.weight']);
    expect(idx.files.length).toBe(2);
    expect(vals(idx.get('a.weight'))).toEqual([1, 2]);
    expect(idx.get('b.weight').dtype).toBe('float16');
    expect(vals(await idx.getAsync('a.bias'))).toEqual([3]);
    expect(idx.info('b.weight')).toMatchObject({ dtype: 'F16', shape: [1] });
    expect(idx.metadata()).toEqual({ total_size: '14' });
    expect(() => idx.get('c.weight')).toThrow(/no tensor named "c\.weight" in the checkpoint/);
    idx.close();
  });
  it('names the index and the tensor when the index is wrong', () => {
    const d = fresh();
    const p = sharded(d);
    const write = (o: unknown): void => writeFileSync(p, typeof o === 'string' ? o : JSON.stringify(o));
    const expectErr = (re: RegExp): void => {
      let err: unknown;
      try { SafetensorsIndex.open(p); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(Diff2in1Error);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).toContain(d);
    };
    write('{"weight_map": ');
    expectErr(/not valid JSON/);
    write({ metadata: {} });
    expectErr(/"weight_map" must be an object/);
    write({ weight_map: { x: 'model-00001-of-00002.safetensors' } });
    expectErr(/tensor "x" is mapped to model-00001-of-00002\.safetensors, which has no such tensor/);
    write({ weight_map: { x: 'missing.safetensors' } });
    expectErr(/missing\.safetensors.*cannot open/);
    write({ weight_map: { x: '../../etc/passwd' } });
    expectErr(/outside the index's folder/);
    write({ weight_map: { x: 3 } });
    expectErr(/"weight_map"."x" must be a shard file name/);
  });
});

describe('openCheckpoint', () => {
  it('opens a file, an index file, or a folder holding one of them', () => {
    const d = fresh();
    sharded(d);
    const viaDir = openCheckpoint(d);
    expect(viaDir).toBeInstanceOf(SafetensorsIndex);
    expect(viaDir.names().length).toBe(3);
    viaDir.close();
    const single = openCheckpoint(join(d, 'model-00002-of-00002.safetensors'));
    expect(single).toBeInstanceOf(SafetensorsFile);
    single.close();
    const e = fresh();
    writeSafetensors(join(e, 'diffusion_pytorch_model.safetensors'), { w: tensor('float32', [1], [1]) });
    writeSafetensors(join(e, 'diffusion_pytorch_model.fp16.safetensors'), { w: tensor('float16', [1], [0x3c00]) });
    const plain = openCheckpoint(e);
    expect(plain.get('w').dtype).toBe('float32');
    plain.close();
    const fp16 = openCheckpoint(e, { variant: 'fp16' });
    expect(fp16.get('w').dtype).toBe('float16');
    fp16.close();
    expect(() => openCheckpoint(e, { variant: 'bf16' })).toThrow(/no \*\.safetensors .* with variant "bf16"/);
  });
  it('refuses ambiguous, empty, missing and pickle-only folders with advice', () => {
    const d = fresh();
    writeSafetensors(join(d, 'a.safetensors'), {});
    writeSafetensors(join(d, 'b.safetensors'), {});
    expect(() => openCheckpoint(d)).toThrow(/several weight files match \(a\.safetensors, b\.safetensors\)/);
    expect(() => openCheckpoint(fresh())).toThrow(/no \*\.safetensors or \*\.safetensors\.index\.json in this folder/);
    expect(() => openCheckpoint(join(root, 'nope'))).toThrow(/no such checkpoint file or folder/);
    const p = fresh();
    writeFileSync(join(p, 'pytorch_model.bin'), Buffer.from([0x80, 0x02, 0x7d]));
    expect(() => openCheckpoint(p)).toThrow(/pytorch_model\.bin.*never loads pickle.*save_file/s);
    expect(() => openCheckpoint(join(p, 'pytorch_model.bin'))).toThrow(/never loads pickle/);
  });
});
