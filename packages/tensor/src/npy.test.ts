// .npy against numpy: files numpy wrote (tools/golden-formats.py: versions 1.0/2.0/3.0, Fortran order, float16,
// bool, big-endian) with their C-order values, and our writer's bytes parsed by hand.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Diff2in1Error } from './errors.js';
import { encodeNpy, parseNpy, readNpy } from './npy.js';

const fx = (name: string): string => new URL(`./fixtures/npy/${name}`, import.meta.url).pathname;
const golden = JSON.parse(readFileSync(fx('golden.json'), 'utf8')) as Record<string, { dtype: string; shape: number[]; values: number[] }>;

describe('.npy reader (vs numpy)', () => {
  for (const name of Object.keys(golden)) {
    it(`reads ${name}`, async () => {
      const g = golden[name]!;
      const a = await readNpy(fx(name));
      expect(a.shape).toEqual(g.shape);
      const values = Array.from(a.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v));
      if (g.dtype.startsWith('float')) values.forEach((v, i) => expect(v).toBeCloseTo(g.values[i]!, g.dtype === 'float16' ? 3 : 6));
      else expect(values).toEqual(g.values);
    });
  }

  it('refuses big-endian data and junk, naming the file', async () => {
    await expect(readNpy(fx('big_endian.npy'))).rejects.toThrow(/big_endian\.npy: big-endian dtype '>f4'/);
    expect(() => parseNpy(Uint8Array.from([1, 2, 3]), 'a.npy')).toThrow(/a\.npy: not a \.npy file/);
    const good = readFileSync(fx('f4.npy'));
    expect(() => parseNpy(good.subarray(0, good.length - 4), 'short.npy')).toThrow(/short\.npy: truncated data/);
    await expect(readNpy(fx('none.npy'))).rejects.toThrow(Diff2in1Error);
  });
});

describe('.npy writer', () => {
  it('writes a v1.0 header padded to 64 bytes and little-endian data (parsed by hand)', () => {
    const data = Float32Array.of(1.5, -2, 3.25, 0, 1e-3, 7);
    const b = encodeNpy(data, [2, 3]);
    expect([...b.subarray(0, 8)]).toEqual([0x93, 78, 85, 77, 80, 89, 1, 0]);
    const hlen = b[8]! + 256 * b[9]!;
    expect((10 + hlen) % 64).toBe(0);
    const header = new TextDecoder().decode(b.subarray(10, 10 + hlen));
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(header.endsWith('\n')).toBe(true);
    expect([...new Float32Array(b.slice(10 + hlen).buffer)]).toEqual([...data]);
    expect(new TextDecoder().decode(encodeNpy(Uint8Array.of(1, 2), [2]).subarray(10, 74))).toContain("'descr': '|u1', 'fortran_order': False, 'shape': (2,)");
    expect(() => encodeNpy(data, [4, 2])).toThrow(/shape \[4, 2\] holds 8 values, data has 6/);
  });

  it('round-trips every dtype it writes through the reader', () => {
    const cases = [Float64Array.of(1e-300, -2), Int8Array.of(-128, 127), Int16Array.of(-3, 4), Uint16Array.of(65535, 1),
      Int32Array.of(-7, 8), Uint32Array.of(4e9, 0), BigInt64Array.of(-5n, 2n ** 40n), BigUint64Array.of(2n ** 63n, 1n)];
    for (const data of cases) {
      const back = parseNpy(encodeNpy(data, [2, 1]));
      expect(back.shape).toEqual([2, 1]);
      expect(back.data).toBeInstanceOf(data.constructor);
      expect(Array.from(back.data as ArrayLike<number>)).toEqual(Array.from(data as ArrayLike<number>));
    }
  });
});
