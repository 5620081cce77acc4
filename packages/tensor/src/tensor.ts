// The Tensor type shared by every package: a dtype, a shape and a flat, row-major typed array.
// fp16 is stored as Uint16Array bit patterns (Node has no Float16Array); bool as Uint8Array (0/1),
// which is also what onnxruntime expects for those element types.
import { Diff2in1Error } from './errors.js';

export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface DataOf {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TypedArray = DataOf[DType];

/** Every dtype a Tensor can hold. */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'int64', 'int32', 'uint8', 'bool'];

/** Bytes per element of each dtype. */
export const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = {
  float32: 4, float64: 8, float16: 2, int64: 8, int32: 4, uint8: 1, bool: 1,
};

const CTOR = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int64: BigInt64Array,
  int32: Int32Array, uint8: Uint8Array, bool: Uint8Array,
} as const;

/** Thrown for any misuse of tensors: wrong shapes, dtypes, sizes. A Diff2in1Error (code 'tensor'), like every error here. */
export class TensorError extends Diff2in1Error {
  override name = 'TensorError';
  constructor(message: string) {
    super('tensor', message);
  }
}

/** True if `x` is one of DTYPES. */
export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

/** Number of elements of a shape (1 for a scalar). Throws on negative or non-integer dimensions. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new TensorError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** Allocates a zero-filled typed array for `dtype`. */
export function allocate<D extends DType>(dtype: D, length: number): DataOf[D] {
  return new CTOR[dtype](length) as DataOf[D];
}

/** A dtype, a shape and a flat row-major typed array (shared, not copied, by reshape). */
export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DataOf[D];

  constructor(dtype: D, shape: readonly number[], data?: DataOf[D]) {
    if (!isDType(dtype)) throw new TensorError(`unknown dtype '${String(dtype)}'; valid: ${DTYPES.join(', ')}`);
    const n = numel(shape);
    const d = data ?? allocate(dtype, n);
    if (!(d instanceof CTOR[dtype])) {
      throw new TensorError(`dtype ${dtype} needs a ${CTOR[dtype].name}, got ${(d as object).constructor.name}`);
    }
    if (d.length !== n) {
      throw new TensorError(`shape [${shape.join(', ')}] holds ${n} elements but data has ${d.length}`);
    }
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = d;
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Same data, new shape (one dimension may be -1). */
  reshape(shape: readonly number[]): Tensor<D> {
    const free = shape.indexOf(-1);
    let dims = [...shape];
    if (free >= 0) {
      const known = numel(shape.filter((_, i) => i !== free));
      if (known === 0 || this.size % known !== 0) throw new TensorError(`cannot reshape [${this.shape.join(', ')}] to [${shape.join(', ')}]`);
      dims[free] = this.size / known;
    }
    if (numel(dims) !== this.size) throw new TensorError(`cannot reshape [${this.shape.join(', ')}] to [${shape.join(', ')}]`);
    dims = dims.map(Number);
    return new Tensor(this.dtype, dims, this.data);
  }

  clone(): Tensor<D> {
    return new Tensor(this.dtype, this.shape, this.data.slice() as DataOf[D]);
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

/** A tensor holding a copy of `values` (or zeros when omitted). */
export function tensor<D extends DType>(dtype: D, shape: readonly number[], values?: ArrayLike<number> | ArrayLike<bigint>): Tensor<D> {
  if (values === undefined) return new Tensor(dtype, shape);
  const data = allocate(dtype, values.length);
  (data as unknown as { set(a: ArrayLike<number> | ArrayLike<bigint>): void }).set(values);
  return new Tensor(dtype, shape, data);
}

/** A zero-filled tensor (float32 unless `dtype` says otherwise). */
export function zeros<D extends DType = 'float32'>(shape: readonly number[], dtype: D = 'float32' as D): Tensor<D> {
  return new Tensor(dtype, shape);
}

/** A float32 tensor with every element `value`. */
export function full(shape: readonly number[], value: number): Tensor<'float32'> {
  const t = new Tensor('float32', shape);
  t.data.fill(value);
  return t;
}
