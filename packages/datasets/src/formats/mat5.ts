// MATLAB Level 5 MAT-files (the format of `save -v7` and scipy.io.savemat), read-only.
// Follows MathWorks' "MAT-File Format" (R2024 doc, chapter 1): a 128-byte header (text, subsystem offset,
// version 0x0100, endian indicator 'IM' = little-endian / 'MI' = big-endian), then data elements, each an 8-byte
// tag (type, byte count) or a 4-byte "small data element" tag, padded to 8 bytes. miCOMPRESSED elements hold a
// zlib stream of further elements. miMATRIX elements carry array flags (class, logical, complex), dimensions,
// a name and class-specific parts: numeric real (and imaginary) data, char data, cells, or struct fields.
// Used for PASCAL-Context `human_parts/*.mat` (Pascal-Part `anno`), `pascal-context/trainval/*.mat`
// (`LabelMap`) and NYUv2's `splits.mat` / `classMapping40.mat`. Sparse arrays and objects are not supported.
// (MAT v7.3 files are HDF5; see nyuv2-mat.ts.)
import { readFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import { Diff2in1Error } from '@diff2in1/tensor';

export type MatNumericClass = 'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64';

/** A numeric or logical array. `data` is column-major (MATLAB order) as float64 (int64 beyond 2^53 loses precision). */
export interface MatNumeric { kind: 'numeric'; class: MatNumericClass; logical: boolean; dims: number[]; data: Float64Array; imag?: Float64Array }
/** A char array; `text` is the column-major character sequence (for a 1×n row vector: the string). */
export interface MatChar { kind: 'char'; dims: number[]; text: string }
export interface MatCell { kind: 'cell'; dims: number[]; cells: MatValue[] }
/** A struct array: `elements[i][field]`, elements in column-major order. */
export interface MatStruct { kind: 'struct'; dims: number[]; fields: string[]; elements: Record<string, MatValue>[] }
export type MatValue = MatNumeric | MatChar | MatCell | MatStruct;

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 };
const MX_NUMERIC: Record<number, MatNumericClass> = { 6: 'double', 7: 'single', 8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64' };
const MX_CELL = 1, MX_STRUCT = 2, MX_OBJECT = 3, MX_CHAR = 4, MX_SPARSE = 5;

class Reader {
  private dv: DataView;
  pos = 0;
  constructor(readonly bytes: Uint8Array, readonly le: boolean, readonly file: string) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(msg: string): never {
    throw new Diff2in1Error('mat', `cannot read MAT-file: ${msg}`, { file: this.file });
  }
  u32(at: number): number {
    if (at + 4 > this.bytes.length) this.fail('truncated data element');
    return this.dv.getUint32(at, this.le);
  }
  /** Reads a tag at pos: returns type, byte count and the data's start; advances pos past the padded element. */
  element(): { type: number; n: number; start: number } {
    const first = this.u32(this.pos);
    if (first >>> 16 !== 0) { // small data element: count in the upper half, data in the next 4 bytes
      const e = { type: first & 0xffff, n: first >>> 16, start: this.pos + 4 };
      this.pos += 8;
      return e;
    }
    const n = this.u32(this.pos + 4);
    const start = this.pos + 8;
    if (start + n > this.bytes.length) this.fail(`data element of ${n} bytes runs past the end of the file`);
    this.pos = first === MI.COMPRESSED ? start + n : start + Math.ceil(n / 8) * 8;
    return { type: first, n, start };
  }
  numbers(type: number, start: number, n: number): Float64Array {
    const size: Record<number, number> = { [MI.INT8]: 1, [MI.UINT8]: 1, [MI.INT16]: 2, [MI.UINT16]: 2, [MI.INT32]: 4, [MI.UINT32]: 4, [MI.SINGLE]: 4, [MI.DOUBLE]: 8, [MI.INT64]: 8, [MI.UINT64]: 8, [MI.UTF8]: 1, [MI.UTF16]: 2, [MI.UTF32]: 4 };
    const s = size[type];
    if (s === undefined) this.fail(`unexpected data type ${type} for numeric data`);
    const count = Math.floor(n / s);
    const out = new Float64Array(count);
    const dv = this.dv, le = this.le;
    for (let i = 0; i < count; i++) {
      const at = start + i * s;
      switch (type) {
        case MI.INT8: out[i] = dv.getInt8(at); break;
        case MI.UINT8: case MI.UTF8: out[i] = dv.getUint8(at); break;
        case MI.INT16: out[i] = dv.getInt16(at, le); break;
        case MI.UINT16: case MI.UTF16: out[i] = dv.getUint16(at, le); break;
        case MI.INT32: out[i] = dv.getInt32(at, le); break;
        case MI.UINT32: case MI.UTF32: out[i] = dv.getUint32(at, le); break;
        case MI.SINGLE: out[i] = dv.getFloat32(at, le); break;
        case MI.DOUBLE: out[i] = dv.getFloat64(at, le); break;
        case MI.INT64: out[i] = Number(dv.getBigInt64(at, le)); break;
        case MI.UINT64: out[i] = Number(dv.getBigUint64(at, le)); break;
      }
    }
    return out;
  }
}

function parseMatrix(r: Reader, start: number, n: number): { name: string; value: MatValue } {
  const empty: MatNumeric = { kind: 'numeric', class: 'double', logical: false, dims: [0, 0], data: new Float64Array(0) };
  if (n === 0) return { name: '', value: empty };
  r.pos = start;
  const flags = r.element();
  if (flags.type !== MI.UINT32 || flags.n < 8) r.fail('miMATRIX without array flags');
  const word = r.u32(flags.start);
  const cls = word & 0xff;
  const logical = (word & 0x0200) !== 0, complex = (word & 0x0800) !== 0;
  const dimsEl = r.element();
  const dims = Array.from(r.numbers(dimsEl.type, dimsEl.start, dimsEl.n));
  const nameEl = r.element();
  const name = new TextDecoder('latin1').decode(r.bytes.subarray(nameEl.start, nameEl.start + nameEl.n));
  const count = dims.reduce((a, b) => a * b, 1);
  const numeric = MX_NUMERIC[cls];
  if (numeric !== undefined) {
    const re = r.element();
    const data = r.numbers(re.type, re.start, re.n);
    if (data.length !== count) r.fail(`array '${name}' has ${data.length} values for dims ${dims.join('×')}`);
    const value: MatNumeric = { kind: 'numeric', class: numeric, logical, dims, data };
    if (complex) { const im = r.element(); value.imag = r.numbers(im.type, im.start, im.n); }
    return { name, value };
  }
  if (cls === MX_CHAR) {
    if (count === 0) return { name, value: { kind: 'char', dims, text: '' } };
    const el = r.element();
    const text = el.type === MI.UTF8
      ? new TextDecoder('utf-8').decode(r.bytes.subarray(el.start, el.start + el.n))
      : String.fromCodePoint(...r.numbers(el.type, el.start, el.n));
    return { name, value: { kind: 'char', dims, text } };
  }
  if (cls === MX_CELL) {
    const cells: MatValue[] = [];
    for (let i = 0; i < count; i++) {
      const el = r.element();
      if (el.type !== MI.MATRIX) r.fail(`cell '${name}' element ${i} is not a matrix`);
      const after = r.pos;
      cells.push(parseMatrix(r, el.start, el.n).value);
      r.pos = after;
    }
    return { name, value: { kind: 'cell', dims, cells } };
  }
  if (cls === MX_STRUCT) {
    const lenEl = r.element();
    const fieldLen = r.numbers(lenEl.type, lenEl.start, lenEl.n)[0] ?? 0;
    const namesEl = r.element();
    const fields: string[] = [];
    for (let o = 0; fieldLen > 0 && o + fieldLen <= namesEl.n; o += fieldLen) {
      const raw = r.bytes.subarray(namesEl.start + o, namesEl.start + o + fieldLen);
      const z = raw.indexOf(0);
      fields.push(new TextDecoder('latin1').decode(z >= 0 ? raw.subarray(0, z) : raw));
    }
    const elements: Record<string, MatValue>[] = [];
    for (let i = 0; i < count; i++) {
      const rec: Record<string, MatValue> = {};
      for (const f of fields) {
        const el = r.element();
        if (el.type !== MI.MATRIX) r.fail(`struct '${name}' field '${f}' is not a matrix`);
        const after = r.pos;
        rec[f] = parseMatrix(r, el.start, el.n).value;
        r.pos = after;
      }
      elements.push(rec);
    }
    return { name, value: { kind: 'struct', dims, fields, elements } };
  }
  if (cls === MX_SPARSE || cls === MX_OBJECT) r.fail(`array '${name}' is ${cls === MX_SPARSE ? 'sparse' : 'an object'}, which is not supported`);
  return r.fail(`array '${name}' has unknown class ${cls}`);
}

/** Parses MAT v5 bytes into its top-level variables. */
export function parseMat5(bytes: Uint8Array, file = '<buffer>'): Record<string, MatValue> {
  if (bytes.length < 128) throw new Diff2in1Error('mat', 'cannot read MAT-file: shorter than the 128-byte header', { file });
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 116));
  if (head.startsWith('MATLAB 7.3') || (bytes[512] === 0x89 && bytes[513] === 0x48)) {
    throw new Diff2in1Error('mat', 'this is a MATLAB v7.3 (HDF5) file; read it with the HDF5 converter (convertNyuv2Mat), not the MAT v5 reader', { file });
  }
  const ind = String.fromCharCode(bytes[126] as number, bytes[127] as number);
  if (ind !== 'IM' && ind !== 'MI') throw new Diff2in1Error('mat', `cannot read MAT-file: bad endian indicator '${ind}' (not a Level 5 MAT-file)`, { file });
  const le = ind === 'IM';
  const out: Record<string, MatValue> = {};
  const top = new Reader(bytes, le, file);
  top.pos = 128;
  while (top.pos + 8 <= bytes.length) {
    const el = top.element();
    let r = top, start = el.start, n = el.n;
    if (el.type === MI.COMPRESSED) {
      let inner: Uint8Array;
      try {
        inner = inflateSync(bytes.subarray(el.start, el.start + el.n));
      } catch (e) {
        throw new Diff2in1Error('mat', `cannot read MAT-file: corrupt compressed element (${(e as Error).message})`, { file, cause: e });
      }
      r = new Reader(inner, le, file);
      const innerEl = r.element();
      if (innerEl.type !== MI.MATRIX) continue;
      start = innerEl.start; n = innerEl.n;
    } else if (el.type !== MI.MATRIX) continue;
    const after = top.pos;
    const { name, value } = parseMatrix(r, start, n);
    out[name] = value;
    top.pos = after;
  }
  return out;
}

/** Reads a MAT v5 file; errors name the file. */
export async function readMat5(path: string): Promise<Record<string, MatValue>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Diff2in1Error('mat', `cannot read MAT-file: ${(e as Error).message}`, { file: path, cause: e });
  }
  return parseMat5(bytes, path);
}

/** A 2-D numeric array as row-major [rows, cols] (MATLAB stores column-major). */
export function matToRowMajor(v: MatValue, what: string, file: string): { rows: number; cols: number; data: Float64Array } {
  if (v.kind !== 'numeric' || v.dims.length !== 2) {
    throw new Diff2in1Error('mat', `${what} must be a 2-D numeric array, got ${v.kind} ${v.dims.join('×')}`, { file });
  }
  const [rows, cols] = v.dims as [number, number];
  const out = new Float64Array(rows * cols);
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) out[r * cols + c] = v.data[c * rows + r] as number;
  return { rows, cols, data: out };
}

/** A struct field of element i, with an error naming the file and field if absent. */
export function matField(s: MatValue, field: string, i: number, file: string): MatValue {
  if (s.kind !== 'struct') throw new Diff2in1Error('mat', `expected a struct with field '${field}', got ${s.kind}`, { file });
  const el = s.elements[i];
  const v = el?.[field];
  if (v === undefined) throw new Diff2in1Error('mat', `struct has no field '${field}' (fields: ${s.fields.join(', ')}) at element ${i}`, { file });
  return v;
}

/** The scalar value of a numeric array with one element. */
export function matScalar(v: MatValue, what: string, file: string): number {
  if (v.kind !== 'numeric' || v.data.length !== 1) throw new Diff2in1Error('mat', `${what} must be a numeric scalar`, { file });
  return v.data[0] as number;
}
