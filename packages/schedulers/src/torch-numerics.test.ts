import { describe, expect, it } from 'vitest';
import { fma32, torchCumprodF32, torchLinspaceF32, torchLinspaceF64 } from './torch-numerics.js';

describe('float32 helpers', () => {
  it('fma32 rounds a·b + c once, where rounding the double sum to float32 would round twice', () => {
    // a·b + c = 1 + 2⁻²⁴ + 2⁻⁷⁰ exactly: just above the float32 midpoint between 1 and 1 + 2⁻²³
    const a = 1 - 2 ** -23;
    const b = -(2 ** -24) * (1 + 2 ** -23);
    const c = 1 + 2 ** -23;
    expect(Math.fround(a * b + c)).toBe(1); // double rounding lands on the midpoint, ties to even
    expect(fma32(a, b, c)).toBe(1 + 2 ** -23);
    expect(fma32(-a, -b, -c)).toBe(-(1 + 2 ** -23));
    expect(fma32(3, 5, 7)).toBe(22);
    expect(fma32(0.5, 0.25, Math.fround(0.1))).toBe(Math.fround(0.125 + Math.fround(0.1)));
  });

  it('torchLinspaceF32 pins both ends and is monotone; short ranges and one step behave like torch', () => {
    const x = torchLinspaceF32(0.0001, 0.02, 1000);
    expect(x[0]).toBe(Math.fround(0.0001));
    expect(x[999]).toBe(Math.fround(0.02));
    for (let i = 1; i < 1000; i++) expect(x[i]!).toBeGreaterThan(x[i - 1]!);
    expect([...torchLinspaceF32(0, 1, 5)]).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect([...torchLinspaceF32(3, 9, 1)]).toEqual([3]);
    expect(torchLinspaceF32(0, 1, 0).length).toBe(0);
    const d = torchLinspaceF64(-1, 1, 9);
    expect([...d]).toEqual([-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1]);
  });

  it('torchCumprodF32 accumulates in double and rounds each output once', () => {
    const x = Float32Array.from([0.9999, 0.9998, 0.9997, 0.9996]);
    let acc = 1;
    const out = torchCumprodF32(x);
    x.forEach((v, i) => {
      acc *= v;
      expect(out[i]).toBe(Math.fround(acc));
    });
  });
});
