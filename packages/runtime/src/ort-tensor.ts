// Conversion between @diff2in1/tensor Tensors and onnxruntime Tensors. Both sides use the same element layouts
// (fp16 as Uint16Array bit patterns, bool as Uint8Array 0/1, int64 as BigInt64Array), so conversion wraps the
// same typed array: no copy in either direction.
import * as ort from 'onnxruntime-node';
import { Diff2in1Error, Tensor, isDType, DTYPES, choices, type DType, type TypedArray } from '@diff2in1/tensor';

/** An onnxruntime tensor (re-exported type so callers need not import onnxruntime themselves). */
export type OrtTensor = ort.Tensor;

/**
 * Wraps a Tensor's typed array as an ORT tensor, sharing memory (the ORT tensor aliases `t.data`). The one exception:
 * data on a SharedArrayBuffer is copied once, because the onnxruntime-node binding rejects shared memory
 * ("Invalid argument", measured with 1.30.0).
 */
export function toOrtTensor(t: Tensor): ort.Tensor {
  const data = isShared(t.data) ? t.data.slice() : t.data;
  // Our dtype names are ORT's type names for the seven dtypes we support.
  return new ort.Tensor(t.dtype, data as never, t.shape);
}

/** True when a typed array's memory is a SharedArrayBuffer. */
export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/**
 * Views an ORT CPU tensor as a Tensor, sharing memory. Throws Diff2in1Error('tensor') for element types we do not
 * model (int8, uint16, string, ...), naming `what` (e.g. "output 'y' of unet.onnx").
 */
export function fromOrtTensor(t: ort.Tensor, what = 'ORT tensor'): Tensor {
  const type = t.type as string;
  if (!isDType(type)) {
    throw new Diff2in1Error('tensor', `${what} has element type '${type}', which @diff2in1/tensor does not support; ${choices(DTYPES)}`);
  }
  if (t.location !== 'cpu') {
    throw new Diff2in1Error('tensor', `${what} lives on '${t.location}', not the CPU; download it first (tensor.getData())`);
  }
  return fromRaw(type, t.dims, t.data as TypedArray, what);
}

/** Builds a Tensor from a dtype, dims and a typed array, re-viewing fp16 data held in a Float16Array as bits. */
export function fromRaw(dtype: DType, dims: readonly number[], data: unknown, what = 'tensor'): Tensor {
  let d = data as TypedArray;
  if (dtype === 'float16' && !(d instanceof Uint16Array)) {
    // ORT hands out a Float16Array where the runtime has one (Node ≥ 24 flags); keep our bit-pattern convention.
    const v = d as unknown as ArrayBufferView;
    d = new Uint16Array(v.buffer, v.byteOffset, v.byteLength / 2);
  }
  try {
    return new Tensor(dtype, dims, d);
  } catch (e) {
    throw new Diff2in1Error('tensor', `${what}: ${(e as Error).message}`, { cause: e });
  }
}
