import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Diff2in1Error, Tensor, tensor, type DType } from '@diff2in1/tensor';
import { fromOrtTensor, toOrtTensor } from './ort-tensor.js';
import { createSession, type Session } from './session.js';
import { castModel, identityModel } from './testing/onnx-test-models.js';

const opened: Session[] = [];
afterAll(async () => Promise.all(opened.map((s) => s.release())));
async function open(model: Uint8Array): Promise<Session> {
  const s = await createSession(model, { device: 'cpu', intraOpThreads: 1 });
  opened.push(s);
  return s;
}

describe('toOrtTensor / fromOrtTensor', () => {
  it('share memory in both directions', () => {
    const t = tensor('float32', [2, 2], [1, 2, 3, 4]);
    const o = toOrtTensor(t);
    expect(o.type).toBe('float32');
    expect(o.dims).toEqual([2, 2]);
    expect(o.data).toBe(t.data);
    const back = fromOrtTensor(o);
    expect(back.data).toBe(t.data);
    expect(back.shape).toEqual([2, 2]);
  });

  it('copies SharedArrayBuffer data once, because the binding rejects shared memory', () => {
    const shared = new Float32Array(new SharedArrayBuffer(8));
    shared.set([1, 2]);
    const o = toOrtTensor(new Tensor('float32', [2], shared));
    expect(o.data).not.toBe(shared);
    expect(Array.from(o.data as Float32Array)).toEqual([1, 2]);
  });

  it('rejects ORT element types the Tensor type does not model, naming them', () => {
    const o = new ort.Tensor('int8', Int8Array.from([1, -1]), [2]);
    expect(() => fromOrtTensor(o, "output 'q'")).toThrow(Diff2in1Error);
    expect(() => fromOrtTensor(o, "output 'q'")).toThrow(/output 'q' has element type 'int8'.*one of: float32/);
  });
});

// Values chosen at the edges of each type; Identity must hand back the very same bits.
const ROUND_TRIPS: [DType, ArrayLike<number> | ArrayLike<bigint>][] = [
  ['float32', [1.5, -0, Number.MIN_VALUE, 3.4028234663852886e38]],
  ['float64', [1 / 3, 1e-300, -2.5, Number.MAX_VALUE]],
  ['float16', [0x3c00, 0x8000, 0x7e01 /* NaN with payload */, 0x0001, 0xfbff]],
  ['int64', [2n ** 62n + 1n, -(2n ** 63n), 0n, 9007199254740993n]],
  ['int32', [-(2 ** 31), 2 ** 31 - 1, 0, 7]],
  ['uint8', [0, 255, 128, 1]],
  ['bool', [0, 1, 1, 0]],
];

describe('dtypes through a real ORT session', () => {
  it.each(ROUND_TRIPS)('%s round-trips bit for bit through Identity', async (dtype, values) => {
    const s = await open(identityModel(dtype));
    expect(s.inputs[0]?.dtype).toBe(dtype);
    const x = tensor(dtype, [values.length], values);
    const before = Buffer.from(x.data.buffer.slice(0));
    const { y } = await s.run({ x });
    expect(y?.dtype).toBe(dtype);
    expect(y?.shape).toEqual([values.length]);
    expect(y?.data.constructor).toBe(x.data.constructor);
    expect(Buffer.from(y!.data.buffer, y!.data.byteOffset, y!.data.byteLength).equals(before)).toBe(true);
  });

  it('float16 comes back as IEEE half bit patterns (hand-computed)', async () => {
    const s = await open(castModel('float16'));
    const input = [1, -2, 0.5, 65504, 2 ** -24, -0, Infinity, 1 / 3];
    const { y } = await s.run({ x: tensor('float32', [input.length], input) });
    expect(y?.data).toBeInstanceOf(Uint16Array);
    // 1=0x3C00, -2=0xC000, 0.5=0x3800, max=0x7BFF, min subnormal=0x0001, -0=0x8000, inf=0x7C00,
    // 1/3 -> 0.333251953125 = 0x3555 (round to nearest even)
    expect(Array.from(y!.data as Uint16Array)).toEqual([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x3555]);
  });

  it('int64 comes back as BigInt64Array and bool as 0/1 Uint8Array', async () => {
    const toInt = await open(castModel('int64'));
    const { y: i } = await toInt.run({ x: tensor('float32', [3], [2 ** 40, -7, 0]) });
    expect(i?.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(i!.data as BigInt64Array)).toEqual([1099511627776n, -7n, 0n]);
    const toBool = await open(castModel('bool'));
    const { y: b } = await toBool.run({ x: tensor('float32', [4], [0, 2.5, -0, -1]) });
    expect(b?.dtype).toBe('bool');
    expect(b?.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(b!.data as Uint8Array)).toEqual([0, 1, 0, 1]);
  });
});
