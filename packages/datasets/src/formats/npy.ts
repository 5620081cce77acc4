// NumPy .npy files (format versions 1.0, 2.0, 3.0; numpy/lib/format.py and NEP 1):
//   "\x93NUMPY" major minor, header length (uint16 LE for v1, uint32 LE for v2/v3), an ASCII (v3: UTF-8) Python
//   dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (H, W), } padded with spaces to a multiple of
//   64 bytes (16 in old files) and ending in '\n', then the raw array bytes.
// Little-endian and byte-sized dtypes only: '<f4', '<f8', '<f2' (read as float32), '<i1'..'<i8', '<u1'..'<u8',
// '|b1', '|u1', '|i1'. Big-endian data is an error (we would have to byte-swap; no dataset we read uses it).
// Fortran-order arrays are transposed into C order, so `data` is always row-major for `shape`.
import { readFile } from 'node:fs/promises';
import type { NumericArray, NumericArrayData } from '@diff2in1/tasks';
import { Diff2in1Error } from '@diff2in1/tensor';

export type NpyDType = 'float16' | 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

export interface NpyArray extends NumericArray {
  dtype: NpyDType;
  shape: number[];
  /** Row-major data. float16 is widened to Float32Array, bool is a Uint8Array of 0/1. */
  data: NumericArrayData;
}

const DESCR: Record<string, { dtype: NpyDType; bytes: number }> = {
  '<f2': { dtype: 'float16', bytes: 2 }, '<f4': { dtype: 'float32', bytes: 4 }, '<f8': { dtype: 'float64', bytes: 8 },
  '|i1': { dtype: 'int8', bytes: 1 }, '<i1': { dtype: 'int8', bytes: 1 }, '|u1': { dtype: 'uint8', bytes: 1 }, '<u1': { dtype: 'uint8', bytes: 1 },
  '<i2': { dtype: 'int16', bytes: 2 }, '<u2': { dtype: 'uint16', bytes: 2 }, '<i4': { dtype: 'int32', bytes: 4 }, '<u4': { dtype: 'uint32', bytes: 4 },
  '<i8': { dtype: 'int64', bytes: 8 }, '<u8': { dtype: 'uint64', bytes: 8 }, '|b1': { dtype: 'bool', bytes: 1 },
};
const DESCR_OF: Record<NpyDType, string> = {
  float16: '<f2', float32: '<f4', float64: '<f8', int8: '|i1', uint8: '|u1', int16: '<i2', uint16: '<u2',
  int32: '<i4', uint32: '<u4', int64: '<i8', uint64: '<u8', bool: '|b1',
};

function fail(msg: string, file: string): never {
  throw new Diff2in1Error('npy', msg, { file });
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
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
function fortranToC<T extends NumericArrayData>(src: T, shape: number[]): T {
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

/** Decodes .npy bytes; `file` names the source in errors. */
export function parseNpy(bytes: Uint8Array, file = '<buffer>'): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) fail('not a .npy file (missing \\x93NUMPY magic)', file);
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
  // Copy into an aligned buffer (the data offset is 64-byte aligned in files numpy writes, but not in every buffer).
  const raw = new Uint8Array(need); // a copy: Buffer.slice would share (and misalign into) Node's buffer pool
  raw.set(bytes.subarray(dataStart, dataStart + need));
  let data: NumericArrayData;
  switch (info.dtype) {
    case 'float16': {
      const h = new Uint16Array(raw.buffer);
      data = Float32Array.from(h, halfToFloat);
      break;
    }
    case 'float32': data = new Float32Array(raw.buffer); break;
    case 'float64': data = new Float64Array(raw.buffer); break;
    case 'int8': data = new Int8Array(raw.buffer); break;
    case 'uint8': data = raw; break;
    case 'int16': data = new Int16Array(raw.buffer); break;
    case 'uint16': data = new Uint16Array(raw.buffer); break;
    case 'int32': data = new Int32Array(raw.buffer); break;
    case 'uint32': data = new Uint32Array(raw.buffer); break;
    case 'int64': data = new BigInt64Array(raw.buffer); break;
    case 'uint64': data = new BigUint64Array(raw.buffer); break;
    case 'bool': data = raw.map((v) => (v ? 1 : 0)); break;
  }
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

/** Encodes a row-major array as .npy (version 1.0, C order, little-endian). */
export function encodeNpy(arr: { dtype: Exclude<NpyDType, 'float16'>; shape: readonly number[]; data: NumericArrayData }): Uint8Array {
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${DESCR_OF[arr.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const body = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}
