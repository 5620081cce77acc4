// MATLAB Level 5 MAT-file writer — just enough for the PASCAL multi-task layout: numeric matrices (double,
// uint8, uint16), char strings and struct arrays, optionally zlib-compressed (miCOMPRESSED, MATLAB 7 style).
// Format: MathWorks "MAT-File Format" (Level 5): a 128-byte header (116 bytes of text, 8-byte subsystem offset,
// version 0x0100, endian indicator "IM" when little-endian), then data elements; each element is an 8-byte tag
// (uint32 type, uint32 byte count) followed by its data padded to 8 bytes. An array is a miMATRIX element with
// sub-elements: array flags (miUINT32 ×2: class | flags<<8, nzmax), dimensions (miINT32), name (miINT8), then
// the data (numeric/char: one typed element in column-major order; struct: field-name length, field names,
// then one miMATRIX per field of each element, elements in column-major order).
import { deflateSync } from 'node:zlib';
import { Diff2in1Error } from '@diff2in1/tensor';

const miINT8 = 1, miUINT8 = 2, miUINT16 = 4, miINT32 = 5, miUINT32 = 6, miDOUBLE = 9, miMATRIX = 14, miCOMPRESSED = 15;
const mxSTRUCT = 2, mxCHAR = 4, mxDOUBLE = 6, mxUINT8 = 9, mxUINT16 = 11;

export type MatValue =
  | { kind: 'double'; dims: number[]; data: Float64Array }
  | { kind: 'uint8'; dims: number[]; data: Uint8Array; logical?: boolean }
  | { kind: 'uint16'; dims: number[]; data: Uint16Array }
  | { kind: 'char'; text: string }
  | { kind: 'struct'; dims: number[]; fields: string[]; elements: Record<string, MatValue>[] };

/** A 1×1 double. */
export function matScalar(x: number): MatValue {
  return { kind: 'double', dims: [1, 1], data: Float64Array.of(x) };
}

/** A 1×N char array. */
export function matChar(text: string): MatValue {
  return { kind: 'char', text };
}

/** An H×W matrix from row-major data (MAT files are column-major: transposed on the way in). */
export function matMatrix(kind: 'uint8' | 'uint16' | 'double', height: number, width: number, rowMajor: ArrayLike<number>): MatValue {
  const n = height * width;
  const data = kind === 'uint8' ? new Uint8Array(n) : kind === 'uint16' ? new Uint16Array(n) : new Float64Array(n);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) data[c * height + r] = rowMajor[r * width + c] as number;
  return { kind, dims: [height, width], data } as MatValue;
}

/** A 1×N struct array (N may be 0); every element has exactly `fields`. */
export function matStructRow(fields: string[], elements: Record<string, MatValue>[]): MatValue {
  return { kind: 'struct', dims: [1, elements.length], fields, elements };
}

class Writer {
  private chunks: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array): void { this.chunks.push(b); this.length += b.length; }
  u32pair(a: number, b: number): void {
    const t = new Uint8Array(8);
    const v = new DataView(t.buffer);
    v.setUint32(0, a, true);
    v.setUint32(4, b, true);
    this.bytes(t);
  }
  pad(): void { const p = (8 - (this.length % 8)) % 8; if (p) this.bytes(new Uint8Array(p)); }
  /** A data element: tag + data + padding. */
  element(type: number, data: Uint8Array): void { this.u32pair(type, data.length); this.bytes(data); this.pad(); }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function checkDims(dims: number[], count: number, what: string): void {
  const n = dims.reduce((a, b) => a * b, 1);
  if (dims.length < 2 || n !== count) throw new Diff2in1Error('toyworld', `MAT ${what}: dims [${dims.join(', ')}] hold ${n} values, got ${count}`);
}

/** The miMATRIX element of one array. */
function matrixElement(name: string, v: MatValue): Uint8Array {
  const w = new Writer();
  let cls: number, flags = 0, dims: number[];
  switch (v.kind) {
    case 'double': cls = mxDOUBLE; dims = v.dims; checkDims(dims, v.data.length, name); break;
    case 'uint8': cls = mxUINT8; dims = v.dims; flags = v.logical ? 0x02 : 0; checkDims(dims, v.data.length, name); break;
    case 'uint16': cls = mxUINT16; dims = v.dims; checkDims(dims, v.data.length, name); break;
    case 'char': cls = mxCHAR; dims = [1, v.text.length]; break;
    case 'struct': cls = mxSTRUCT; dims = v.dims; checkDims(dims, v.elements.length, name); break;
  }
  w.element(miUINT32, asBytes(Uint32Array.of(cls | (flags << 8), 0)));
  w.element(miINT32, asBytes(Int32Array.from(dims)));
  w.element(miINT8, new TextEncoder().encode(name));
  switch (v.kind) {
    case 'double': w.element(miDOUBLE, asBytes(v.data)); break;
    case 'uint8': w.element(miUINT8, asBytes(v.data)); break;
    case 'uint16': w.element(miUINT16, asBytes(v.data)); break;
    case 'char': {
      const codes = new Uint16Array(v.text.length);
      for (let i = 0; i < v.text.length; i++) codes[i] = v.text.charCodeAt(i);
      w.element(miUINT16, asBytes(codes));
      break;
    }
    case 'struct': {
      const len = Math.max(...v.fields.map((f) => f.length + 1), 1);
      const rounded = Math.ceil(len / 8) * 8;
      w.element(miINT32, asBytes(Int32Array.of(rounded)));
      const names = new Uint8Array(rounded * v.fields.length);
      v.fields.forEach((f, k) => { for (let i = 0; i < f.length; i++) names[k * rounded + i] = f.charCodeAt(i); });
      w.element(miINT8, names);
      for (const el of v.elements) {
        for (const f of v.fields) {
          const fv = el[f];
          if (!fv) throw new Diff2in1Error('toyworld', `MAT struct ${name}: an element lacks field '${f}'`);
          w.bytes(matrixElement('', fv));
        }
      }
      break;
    }
  }
  const body = w.concat();
  const out = new Writer();
  out.element(miMATRIX, body);
  return out.concat();
}

/** A complete .mat file holding `vars` (in insertion order); compressed per variable unless compress: false. */
export function encodeMat(vars: Record<string, MatValue>, opts: { compress?: boolean } = {}): Uint8Array {
  const w = new Writer();
  const header = new Uint8Array(128).fill(0x20);
  const text = 'MATLAB 5.0 MAT-file, Platform: GLNXA64, Created by: @diff2in1/toyworld';
  for (let i = 0; i < text.length; i++) header[i] = text.charCodeAt(i);
  header.fill(0, 116, 124);
  header[124] = 0x00; header[125] = 0x01; // version 0x0100, little-endian
  header[126] = 0x49; header[127] = 0x4d; // 'I', 'M'
  w.bytes(header);
  for (const [name, v] of Object.entries(vars)) {
    const el = matrixElement(name, v);
    if (opts.compress === false) { w.bytes(el); continue; }
    const z = deflateSync(el, { level: 6 });
    w.u32pair(miCOMPRESSED, z.length);
    // No padding after a compressed element: readers (MATLAB, scipy) continue right after its byte count.
    w.bytes(new Uint8Array(z.buffer, z.byteOffset, z.length));
  }
  return w.concat();
}
