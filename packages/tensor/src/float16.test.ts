import { describe, expect, it } from 'vitest';
import {
  bfloat16ArrayToFloat32, bfloat16BitsToFloat32, float16ArrayToFloat32, float16BitsToFloat32, float32ArrayToBfloat16,
  float32ArrayToFloat16, float32ToBfloat16Bits, float32ToFloat16Bits, toFloat16, toFloat32,
} from './float16.js';
import { Tensor, tensor } from './tensor.js';

const enc = float32ToFloat16Bits;
const dec = float16BitsToFloat32;

describe('float16 bit patterns (IEEE 754 binary16)', () => {
  it('encodes the landmark values', () => {
    expect(enc(0)).toBe(0x0000);
    expect(enc(-0)).toBe(0x8000);
    expect(enc(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(enc(1023 * 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(enc(2 ** -14)).toBe(0x0400); // smallest normal
    expect(enc(1)).toBe(0x3c00);
    expect(enc(-2)).toBe(0xc000);
    expect(enc(65504)).toBe(0x7bff); // largest finite
    expect(enc(Infinity)).toBe(0x7c00);
    expect(enc(-Infinity)).toBe(0xfc00);
    expect(enc(1 / 3)).toBe(0x3555);
  });
  it('decodes the landmark patterns', () => {
    expect(Object.is(dec(0x0000), 0)).toBe(true);
    expect(Object.is(dec(0x8000), -0)).toBe(true);
    expect(dec(0x0001)).toBe(2 ** -24);
    expect(dec(0x03ff)).toBe(1023 * 2 ** -24);
    expect(dec(0x0400)).toBe(2 ** -14);
    expect(dec(0x3c00)).toBe(1);
    expect(dec(0x3c01)).toBe(1 + 2 ** -10);
    expect(dec(0x7bff)).toBe(65504);
    expect(dec(0x7c00)).toBe(Infinity);
    expect(dec(0xfc00)).toBe(-Infinity);
    expect(dec(0x7e00)).toBeNaN();
    expect(dec(0x7c01)).toBeNaN();
  });
  it('overflows to infinity exactly at 65520', () => {
    expect(enc(65519)).toBe(0x7bff);
    expect(enc(65519.99)).toBe(0x7bff);
    expect(enc(65520)).toBe(0x7c00); // halfway between 65504 and 65536 (= inf): ties to even → inf
    expect(enc(-65520)).toBe(0xfc00);
    expect(enc(1e10)).toBe(0x7c00);
    expect(enc(3.4e38)).toBe(0x7c00);
  });
  it('keeps NaN a quiet NaN', () => {
    const h = enc(NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x3ff).not.toBe(0);
    expect(h & 0x200).toBe(0x200);
    // A signalling float32 NaN (quiet bit clear, payload in low bits only) must not become infinity.
    const f = new Float32Array(1);
    new Uint32Array(f.buffer)[0] = 0x7f800001;
    expect(enc(f[0] as number) & 0x3ff).not.toBe(0);
    expect(float32ArrayToFloat16(f)[0]! & 0x200).toBe(0x200);
  });
  it('rounds ties to even in the normal range', () => {
    expect(enc(1 + 2 ** -11)).toBe(0x3c00); // halfway 0x3c00/0x3c01 → even 0x3c00
    expect(enc(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway 0x3c01/0x3c02 → even 0x3c02
    expect(enc(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above halfway
    expect(enc(1 + 3 * 2 ** -11 - 2 ** -20)).toBe(0x3c01); // just below halfway
    expect(enc(2048 + 1)).toBe(0x6800); // 2049 between 2048 and 2050 → even 2048
    expect(enc(2048 + 3)).toBe(0x6802); // 2051 → 2052
    expect(enc(2 - 2 ** -11)).toBe(0x4000); // halfway 0x3fff/0x4000: the even one carries into the exponent
  });
  it('rounds ties to even in the subnormal range and underflows to zero', () => {
    expect(enc(2 ** -25)).toBe(0x0000); // half of the smallest subnormal → even 0
    expect(enc(-(2 ** -25))).toBe(0x8000);
    expect(enc(2 ** -25 + 2 ** -40)).toBe(0x0001);
    expect(enc(2 ** -26)).toBe(0x0000);
    expect(enc(1e-30)).toBe(0x0000);
    expect(enc(1.5 * 2 ** -24)).toBe(0x0002); // between 1 and 2 → even 2
    expect(enc(2.5 * 2 ** -24)).toBe(0x0002); // between 2 and 3 → even 2
    expect(enc(3.5 * 2 ** -24)).toBe(0x0004);
    expect(enc(1023.5 * 2 ** -24)).toBe(0x0400); // rounds up into the smallest normal
    expect(enc(2 ** -14 - 2 ** -26)).toBe(0x0400);
    expect(enc(2 ** -130)).toBe(0x0000); // a float32 subnormal
  });
  it('round-trips all 65536 patterns bit-exactly (NaNs stay NaN)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = float16ArrayToFloat32(all);
    const back = float32ArrayToFloat16(f);
    let nans = 0;
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) {
        nans++;
        expect(Number.isNaN(f[h])).toBe(true);
        expect(back[h]! & 0x7e00).toBe(0x7e00);
        continue;
      }
      if (back[h] !== h) expect.fail(`pattern 0x${h.toString(16)} → ${f[h]} → 0x${back[h]!.toString(16)}`);
      if (dec(h) !== f[h] && !Object.is(dec(h), f[h])) expect.fail(`scalar and table decode differ at 0x${h.toString(16)}`);
      if (enc(f[h] as number) !== h) expect.fail(`scalar encode differs at 0x${h.toString(16)}`);
    }
    expect(nans).toBe(2 * 1023);
  });
  it('agrees with a brute-force nearest-value search on 200k random float32 values', () => {
    // Independent rule: the float16 nearest to x; on a tie, the one with an even pattern; beyond 65520, inf.
    const pos: number[] = [];
    for (let h = 0; h <= 0x7bff; h++) pos.push(dec(h)); // increasing
    const f = new Float32Array(200_000);
    const u = new Uint32Array(f.buffer);
    let s = 12345;
    for (let i = 0; i < u.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      // exponents from 2^-30 to 2^17, random mantissas and signs
      const e = 97 + (s % 48);
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      u[i] = ((s & 1) << 31 | (e << 23) | ((s >>> 1) & 0x7fffff)) >>> 0;
    }
    const got = float32ArrayToFloat16(f);
    for (let i = 0; i < f.length; i++) {
      const x = f[i] as number;
      const a = Math.abs(x);
      let want: number;
      if (a >= 65520) want = 0x7c00;
      else {
        let lo = 0, hi = pos.length - 1;
        while (hi - lo > 1) { const m = (lo + hi) >> 1; if ((pos[m] as number) <= a) lo = m; else hi = m; }
        const dl = a - (pos[lo] as number), dh = (pos[hi] as number) - a;
        want = dl < dh ? lo : dh < dl ? hi : (lo % 2 === 0 ? lo : hi);
        if (a >= (pos[pos.length - 1] as number)) want = 0x7bff;
      }
      if (x < 0 || Object.is(x, -0)) want |= 0x8000;
      if (got[i] !== want) expect.fail(`x=${x}: got 0x${got[i]!.toString(16)}, want 0x${want.toString(16)}`);
    }
  });
  it('converts 10M values quickly (typed-array views, no per-element allocation)', () => {
    const n = 10_000_000;
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = (i - n / 2) * 1e-3;
    let t0 = performance.now();
    const h = float32ArrayToFloat16(f);
    const encMs = performance.now() - t0;
    t0 = performance.now();
    const back = float16ArrayToFloat32(h);
    const decMs = performance.now() - t0;
    expect(back[n / 2]).toBe(0);
    // Target well under 1 s each on one core; the bound is loose because the CI machine is shared.
    expect(encMs).toBeLessThan(3000);
    expect(decMs).toBeLessThan(3000);
  });
});

describe('bfloat16', () => {
  it('maps known patterns', () => {
    expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
    expect(float32ToBfloat16Bits(-2)).toBe(0xc000);
    expect(float32ToBfloat16Bits(Math.PI)).toBe(0x4049); // 3.140625
    expect(bfloat16BitsToFloat32(0x4049)).toBe(3.140625);
    expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even
    expect(float32ToBfloat16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(float32ToBfloat16Bits(3.4e38)).toBe(0x7f80); // rounds past the largest finite → inf
    expect(float32ToBfloat16Bits(Infinity)).toBe(0x7f80);
    expect(float32ToBfloat16Bits(NaN) & 0x7fc0).toBe(0x7fc0);
    expect(bfloat16BitsToFloat32(0x0001)).toBe(2 ** -133);
  });
  it('round-trips every non-NaN pattern and converts arrays', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = bfloat16ArrayToFloat32(all);
    const back = float32ArrayToBfloat16(f);
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0) continue;
      if (back[h] !== h) expect.fail(`bf16 0x${h.toString(16)} did not round-trip`);
    }
  });
});

describe('tensor conversions', () => {
  it('toFloat16 / toFloat32 convert whole tensors', () => {
    const t = tensor('float32', [2, 2], [1, -2, 65520, 2 ** -25]);
    const h = toFloat16(t);
    expect(h.dtype).toBe('float16');
    expect(h.shape).toEqual([2, 2]);
    expect(Array.from(h.data)).toEqual([0x3c00, 0xc000, 0x7c00, 0x0000]);
    expect(Array.from(toFloat32(h).data)).toEqual([1, -2, Infinity, 0]);
    expect(Array.from(toFloat32(tensor('int64', [2], [3n, -4n])).data)).toEqual([3, -4]);
    expect(Array.from(toFloat32(tensor('float64', [1], [1 / 3])).data)).toEqual([Math.fround(1 / 3)]);
    expect(Array.from(toFloat16(new Tensor('uint8', [2], new Uint8Array([1, 2]))).data)).toEqual([0x3c00, 0x4000]);
  });
});
