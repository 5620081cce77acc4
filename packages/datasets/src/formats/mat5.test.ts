import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { matField, matScalar, matToRowMajor, parseMat5, readMat5 } from './mat5.js';

const fx = (p: string) => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const golden = JSON.parse(readFileSync(fx('golden.json'), 'utf8'));

describe('MAT v5 reader (vs scipy.io.savemat / loadmat)', () => {
  for (const suffix of ['raw', 'z']) {
    it(`reads a Pascal-Part anno struct (${suffix === 'z' ? 'compressed' : 'uncompressed'})`, async () => {
      const file = fx(`mat/parts_${suffix}.mat`);
      const m = await readMat5(file);
      const objects = matField(m.anno as never, 'objects', 0, file);
      expect(objects.kind).toBe('struct');
      expect(matScalar(matField(objects, 'class_ind', 0, file), 'class_ind', file)).toBe(15);
      expect(matScalar(matField(objects, 'class_ind', 1, file), 'class_ind', file)).toBe(7);
      const cls = matField(objects, 'class', 0, file);
      expect(cls.kind === 'char' && cls.text).toBe('person');
      expect(Array.from(matToRowMajor(matField(objects, 'mask', 0, file), 'mask', file).data)).toEqual(golden.mat.person_mask);
      const parts = matField(objects, 'parts', 0, file);
      expect(parts.kind === 'struct' && parts.elements.length).toBe(3);
      for (let j = 0; j < 3; j++) {
        const name = matField(parts, 'part_name', j, file);
        const key = name.kind === 'char' ? name.text : '';
        expect(Array.from(matToRowMajor(matField(parts, 'mask', j, file), 'mask', file).data)).toEqual(golden.mat.parts[key]);
      }
      expect(matField(objects, 'parts', 1, file).dims).toEqual([0, 0]);
      const lm = await readMat5(fx(`mat/labelmap_${suffix}.mat`));
      const rm = matToRowMajor(lm.LabelMap as never, 'LabelMap', 'x');
      expect([rm.rows, rm.cols]).toEqual(golden.mat.labelmap.shape);
      expect(Array.from(rm.data)).toEqual(golden.mat.labelmap.values);
    });
  }

  it('reads cells of strings, N-D arrays (column-major), logicals and singles', async () => {
    const m = await readMat5(fx('mat/mixed.mat'));
    const names = m.names;
    expect(names?.kind === 'cell' && names.cells.map((c) => (c.kind === 'char' ? c.text : ''))).toEqual(['wall', 'floor', 'a longer name']);
    const cube = m.cube;
    expect(cube?.kind === 'numeric' && cube.class).toBe('int32');
    expect(cube?.dims).toEqual([2, 3, 4]);
    // column-major data of numpy's C-order arange(24).reshape(2, 3, 4): element (i, j, k) = 12i + 4j + k
    const cm = cube?.kind === 'numeric' ? cube.data : new Float64Array(0);
    expect(cm[0 + 2 * 1]).toBe(4); // (0, 1, 0)
    expect(cm[1]).toBe(12); // (1, 0, 0)
    expect(cm[6]).toBe(1); // (0, 0, 1)
    const flag = m.flag;
    expect(flag?.kind === 'numeric' && flag.logical && Array.from(flag.data)).toEqual([1, 0]);
    const single = m.single;
    expect(single?.kind === 'numeric' && single.class === 'single' && Array.from(single.data)).toEqual([1.5, -2.25]);
    const splits = await readMat5(fx('mat/splits.mat'));
    expect(splits.trainNdxs?.kind === 'numeric' && Array.from(splits.trainNdxs.data)).toEqual([3, 4, 6]);
  });

  it('refuses v7.3 (HDF5) and non-MAT files with a clear error', () => {
    const header = new Uint8Array(1024);
    header.set(new TextEncoder().encode('MATLAB 7.3 MAT-file, Platform: GLNXA64'));
    expect(() => parseMat5(header, 'nyu.mat')).toThrow(/nyu\.mat: this is a MATLAB v7\.3 \(HDF5\) file/);
    expect(() => parseMat5(new Uint8Array(200), 'x.mat')).toThrow(/x\.mat: .*endian indicator/);
  });
});
