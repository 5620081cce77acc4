import { describe, expect, it } from 'vitest';
import { Diff2in1Error } from './errors.js';
import { Tensor, TensorError, numel, tensor } from './tensor.js';

describe('Tensor', () => {
  it('checks data length against the shape', () => {
    expect(() => new Tensor('float32', [2, 3], new Float32Array(5))).toThrow(TensorError);
    expect(new Tensor('float32', [2, 3]).size).toBe(6);
  });
  it('throws errors of the one project family (code tensor)', () => {
    let caught: unknown;
    try { new Tensor('float32', [2], new Float32Array(1)); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(Diff2in1Error);
    expect((caught as Diff2in1Error).code).toBe('tensor');
  });
  it('checks the typed array class against the dtype', () => {
    expect(() => new Tensor('int64', [2], new Float32Array(2) as unknown as BigInt64Array)).toThrow(/BigInt64Array/);
  });
  it('reshapes with one free dimension', () => {
    const t = tensor('int32', [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(t.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(() => t.reshape([4, -1])).toThrow(/cannot reshape/);
  });
  it('counts elements of scalars and empty shapes', () => {
    expect(numel([])).toBe(1);
    expect(numel([3, 0])).toBe(0);
    expect(() => numel([2, -1])).toThrow(/invalid dimension/);
  });
});
