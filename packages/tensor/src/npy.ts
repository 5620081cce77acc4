// NumPy .npy files (format versions 1.0, 2.0, 3.0; numpy/lib/format.py and NEP 1):
//   "\x93NUMPY" major minor, header length (uint16 LE for v1, uint32 LE for v2/v3), an ASCII (v3: UTF-8) Python
//   dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (H, W), } padded with spaces so that magic +
//   length + header is a multiple of 64 bytes (16 in old files) and ending in '\n', then the raw array bytes.
// Reading: little-endian and byte-sized dtypes — '<f2' (widened to float32), '<f4', '<f8', '<i1'..'<i8',
// '<u1'..'<u8', '|b1', '|u1', '|i1'. Big-endian data is an error (no dataset we read uses it). Fortran-order
// arrays are transposed into C order, so `data` is always row-major for `shape`.
// Writing: version 1.0, C order, little-endian (every Node platform is), dtype from the typed array.
import { readFile } from 'node:fs/promises';
import { Diff2in1Error } from './errors.js';
import { float16ArrayToFloat32 } from './float16.js';

export type NpyDType = 'float16' | 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

/** The typed arrays .npy data is read into and written from. */
export type NpyData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

export interface NpyArray {
  /** The file's dtype (float16 data is widened to a Float32Array; bool is a Uint8Array of 0/1). */
  dtype: NpyDType;
  shape: number[];
  /** Row-major data. */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

const DESCR: Readonly<Record<string, { dtype: NpyDType; bytes: number }>> = {
  '<f2': { dtype: 'float16', bytes: 2 }, '<f4': { dtype: 'float32', bytes: 4 }, '<f8': { dtype: 'float64', bytes: 8 },
  '|i1': { dtype: 'int8', bytes: 1 }, '<i1': { dtype: 'int8', bytes: 1 }, '|u1': { dtype: 'uint8', bytes: 1 }, '<u1': { dtype: 'uint8', bytes: 1 },
  '<i2': { dtype: 'int16', bytes: 2 }, '<u2': { dtype: 'uint16', bytes: 2 }, '<i4': { dtype: 'int32', bytes: 4 }, '<u4': { dtype: 'uint32', bytes: 4 },
  '<i8': { dtype: 'int64', bytes: 8 }, '<u8': { dtype: 'uint64', bytes: 8 }, '|b1': { dtype: 'bool', bytes: 1 },
};

function fail(msg: string, file: string): never {
  throw new Diff2in1Error('npy', msg, { file });
}

/** Parses the header dict literal (only the three keys numpy writes). */
function parseHeader(text: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) fail(`malformed .npy header: ${JSON.stringify(text.trim())}`, file);
  const dims = shape.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => Number(s.replace(/L$/, '')));
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`bad shape (${shape}) in .npy header`, file);
  return { descr, fortran: fortran === 'True', shape: dims };
}

/** C-order copy of a Fortran-order array. */
function fortranToC<T extends NpyData>(src: T, shape: number[]): T {
  const n = src.length;
  const out = new (src.constructor as new (n: number) => T)(n);
  const rank = shape.length;
  const fStride = new Array<number>(rank);
  let s = 1;
  for (let d = 0; d < rank; d++) { fStride[d] = s; s *= shape[d] as number; }
  const idx = new Array<number>(rank).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let d = 0; d < rank; d++) f += (idx[d] as number) * (fStride[d] as number);
    (out as unknown as number[])[c] = (src as unknown as number[])[f] as number;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (shape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Typed view of `raw` (an aligned copy of the data bytes) for a dtype. */
function typedData(dtype: NpyDType, raw: Uint8Array): NpyData {
  switch (dtype) {
    case 'float16': return float16ArrayToFloat32(new Uint16Array(raw.buffer));
    case 'float32': return new Float32Array(raw.buffer);
    case 'float64': return new Float64Array(raw.buffer);
    case 'int8': return new Int8Array(raw.buffer);
    case 'uint8': return raw;
    case 'int16': return new Int16Array(raw.buffer);
    case 'uint16': return new Uint16Array(raw.buffer);
    case 'int32': return new Int32Array(raw.buffer);
    case 'uint32': return new Uint32Array(raw.buffer);
    case 'int64': return new BigInt64Array(raw.buffer);
    case 'uint64': return new BigUint64Array(raw.buffer);
    case 'bool': return raw.map((v) => (v ? 1 : 0));
  }
}

/** Decodes .npy bytes; `file` names the source in errors. */
export function parseNpy(bytes: Uint8Array, file = '<buffer>'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (missing \\x93NUMPY magic)', file);
  const major = bytes[6] as number;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number, start: number;
  if (major === 1) { headerLen = dv.getUint16(8, true); start = 10; }
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated .npy header', file);
    headerLen = dv.getUint32(8, true); start = 12;
  } else fail(`unsupported .npy format version ${major}.${bytes[7]}; supported: 1.0, 2.0, 3.0`, file);
  if (start + headerLen > bytes.length) fail('truncated .npy header', file);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const { descr, fortran, shape } = parseHeader(text, file);
  if (descr.startsWith('>') && !/^>[iub]1$/.test(descr)) {
    fail(`big-endian dtype '${descr}' is not supported; re-save the array little-endian (arr.astype(arr.dtype.newbyteorder('<')))`, file);
  }
  const normalised = descr.replace(/^[=>]/, (m) => (m === '=' ? '<' : '|'));
  const info = DESCR[normalised] ?? DESCR[normalised.replace(/^\|/, '<')];
  if (info === undefined) fail(`unsupported dtype '${descr}'; supported: ${Object.keys(DESCR).join(', ')}`, file);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const need = count * info.bytes;
  if (bytes.length - dataStart < need) fail(`truncated data: shape (${shape.join(', ')}) of ${descr} needs ${need} bytes, file has ${bytes.length - dataStart}`, file);
  // Copy into an aligned buffer (the data offset is 64-byte aligned in files numpy writes, but not in every
  // buffer; Buffer.slice would share, and misalign into, Node's buffer pool).
  const raw = new Uint8Array(need);
  raw.set(bytes.subarray(dataStart, dataStart + need));
  let data = typedData(info.dtype, raw);
  if (fortran && shape.length > 1) data = fortranToC(data, shape);
  return { dtype: info.dtype, shape, data };
}

/** Reads and decodes a .npy file; every problem is a Diff2in1Error naming the file. */
export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Diff2in1Error('npy', `cannot read .npy file: ${(e as Error).message}`, { file: path, cause: e });
  }
  return parseNpy(bytes, path);
}

/** The .npy dtype code of a typed array (Uint16Array is uint16: fp16 bits must be widened before writing). */
function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof BigInt64Array) return '<i8';
  return '<u8';
}

/** Encodes row-major `data` of `shape` as .npy bytes (version 1.0, C order, little-endian). */
export function encodeNpy(data: NpyData, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Diff2in1Error('npy', `encodeNpy: shape [${shape.join(', ')}] holds ${count} values, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([...MAGIC, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
