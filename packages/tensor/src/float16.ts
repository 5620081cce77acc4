// IEEE 754 binary16 ("half", fp16) and bfloat16 as Uint16 bit patterns (Node has no Float16Array).
//
// float32 → float16 rounds to nearest, ties to even, on the float32 bit pattern (read through a shared
// Float32Array/Uint32Array view): overflow (|x| ≥ 65520) → ±inf, subnormals (< 2^-14) rounded in the same way,
// |x| ≤ 2^-25 → ±0, NaN → a quiet NaN keeping the top payload bits. This is what numpy's astype(float16) and
// torch's .half() do (both round on float32 bits with round-to-nearest-even).
// float16 → float32 is exact; bulk conversion uses a 65536-entry lookup table (256 KiB, built on first use).
// A JS number (double) given to the scalar function is first rounded to float32 (Math.fround), as when a
// Float32Array is converted; that double rounding is intended (it is what a float32 tensor would give).
import { Tensor } from './tensor.js';
import type { DType } from './tensor.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds float32 bits to float16 bits (round to nearest, ties to even). */
function halfFromFloatBits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return mant !== 0 ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00; // NaN (quiet) / inf
  const e = exp - 112; // exponent rebiased from 127 to 15
  if (e >= 31) return sign | 0x7c00; // ≥ 2^16: overflow
  if (e <= 0) {
    // Subnormal half (or zero): value = m · 2^(e − 25) with the implicit bit restored.
    if (e < -10) return sign; // < 2^-25: rounds to zero (2^-25 itself is a tie with 0 and goes to even 0)
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rem = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rem > half || (rem === half && (r & 1) !== 0)) r++;
    return sign | r; // a carry out of the mantissa lands on the smallest normal, 0x0400, as it should
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1) !== 0)) r++; // a carry into the exponent is correct, up to inf
  return sign | r;
}

/** float16 bits → float32 bits (exact; NaN payloads kept). */
function floatBitsFromHalf(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal: normalise the mantissa.
  let e = 113;
  let m = mant;
  while ((m & 0x400) === 0) { m <<= 1; e--; }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/** Rounds a number to float32, then to float16 (round to nearest, ties to even); returns the 16-bit pattern. */
export function float32ToFloat16Bits(x: number): number {
  f32[0] = x;
  return halfFromFloatBits(u32[0] as number);
}

/** The value of a float16 bit pattern (exact). */
export function float16BitsToFloat32(bits: number): number {
  u32[0] = floatBitsFromHalf(bits & 0xffff);
  return f32[0] as number;
}

let table: Uint32Array | undefined;
/** float16 bits → float32 bits for all 65536 patterns. */
function halfTable(): Uint32Array {
  if (!table) {
    table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = floatBitsFromHalf(h);
  }
  return table;
}

/** Bulk float16 bits → float32 values (table lookup, exact). */
export function float16ArrayToFloat32(bits: Uint16Array, out: Float32Array = new Float32Array(bits.length)): Float32Array {
  const t = halfTable();
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) o[i] = t[bits[i] as number] as number;
  return out;
}

/** Bulk float32 values → float16 bits (round to nearest, ties to even). */
export function float32ArrayToFloat16(values: Float32Array, out: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  const b = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < b.length; i++) out[i] = halfFromFloatBits(b[i] as number);
  return out;
}

/** bfloat16 bits → float32 value (exact: the bits are the top half of a float32). */
export function bfloat16BitsToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0] as number;
}

function bfloatFromFloatBits(b: number): number {
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return ((b >>> 16) | 0x40) & 0xffff; // quiet NaN
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff; // round to nearest, ties to even; overflow → inf
}

/** Rounds a number to float32, then to bfloat16 (round to nearest, ties to even); returns the 16-bit pattern. */
export function float32ToBfloat16Bits(x: number): number {
  f32[0] = x;
  return bfloatFromFloatBits(u32[0] as number);
}

/** Bulk bfloat16 bits → float32 values (exact). */
export function bfloat16ArrayToFloat32(bits: Uint16Array, out: Float32Array = new Float32Array(bits.length)): Float32Array {
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) o[i] = (bits[i] as number) << 16;
  return out;
}

/** Bulk float32 values → bfloat16 bits (round to nearest, ties to even). */
export function float32ArrayToBfloat16(values: Float32Array, out: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  const b = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < b.length; i++) out[i] = bfloatFromFloatBits(b[i] as number);
  return out;
}

function asFloat32Array(t: Tensor): Float32Array {
  const d = t.data;
  switch (t.dtype as DType) {
    case 'float32': return d as Float32Array;
    case 'float16': return float16ArrayToFloat32(d as Uint16Array);
    case 'int64': {
      const src = d as BigInt64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return out;
    }
    default: return Float32Array.from(d as Float64Array | Int32Array | Uint8Array);
  }
}

/** Any tensor → float32 (float16 exactly; float64 / int64 rounded to the nearest float32). Copies unless already float32. */
export function toFloat32(t: Tensor): Tensor<'float32'> {
  if (t.dtype === 'float32') return t as Tensor<'float32'>;
  return new Tensor('float32', t.shape, asFloat32Array(t));
}

/** Any tensor → float16 bits, via float32 (round to nearest even at each step). */
export function toFloat16(t: Tensor): Tensor<'float16'> {
  if (t.dtype === 'float16') return t as Tensor<'float16'>;
  return new Tensor('float16', t.shape, float32ArrayToFloat16(asFloat32Array(t)));
}
