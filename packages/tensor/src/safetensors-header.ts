// Parsing and validating a safetensors header (format: 8-byte little-endian u64 N, N bytes of UTF-8 JSON,
// then the data buffer). The checks follow the reference Rust crate (huggingface/safetensors,
// safetensors/src/tensor.rs: read_metadata + Metadata::validate): N ≤ 100,000,000; 8 + N ≤ file size; the
// header is UTF-8 JSON; tensors sorted by data_offsets must tile the data buffer exactly — the first begins
// at 0, each begins where the previous ended, begin ≤ end, end − begin = numel(shape) · dtype size, and the
// last ends at the end of the file. We add what serde would silently accept: duplicate keys (JSON.parse
// keeps the last one), and we name the tensor at fault in every message.
import { Diff2in1Error } from './errors.js';
import type { DType } from './tensor.js';

/** Largest header accepted, as in the reference crate (MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

/** safetensors dtype codes this package reads, with their element size and the Tensor dtype get() returns. */
export const SAFETENSORS_DTYPES = {
  F64: { bytes: 8, dtype: 'float64' },
  F32: { bytes: 4, dtype: 'float32' },
  F16: { bytes: 2, dtype: 'float16' }, // kept as float16 bits
  BF16: { bytes: 2, dtype: 'float32' }, // converted to float32 on read (exact)
  I64: { bytes: 8, dtype: 'int64' },
  I32: { bytes: 4, dtype: 'int32' },
  I16: { bytes: 2, dtype: 'int32' }, // widened to int32 (exact)
  U16: { bytes: 2, dtype: 'int32' }, // widened to int32 (exact)
  I8: { bytes: 1, dtype: 'int32' }, // widened to int32 (exact)
  U8: { bytes: 1, dtype: 'uint8' },
  BOOL: { bytes: 1, dtype: 'bool' },
} as const satisfies Record<string, { bytes: number; dtype: DType }>;

export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPES;

/** Codes that exist in the format but that we refuse (with this reason). */
const UNSUPPORTED: Record<string, string> = {
  U32: 'uint32 has no Tensor dtype here',
  U64: 'uint64 has no Tensor dtype here',
  F8_E4M3: 'fp8 is not supported',
  F8_E5M2: 'fp8 is not supported',
};

export interface SafetensorsTensorInfo {
  /** The dtype code stored in the file (F16, BF16, ...). */
  dtype: SafetensorsDType;
  /** The dtype of the Tensor that get() returns (BF16 → float32, I8/I16/U16 → int32). */
  tensorDtype: DType;
  shape: number[];
  /** Bytes of this tensor in the file. */
  byteLength: number;
  /** Absolute byte position of the tensor's data in the file. */
  fileOffset: number;
}

export interface ParsedHeader {
  /** Header length N from the first 8 bytes. */
  headerBytes: number;
  tensors: Map<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
}

function fail(file: string, message: string): never {
  throw new Diff2in1Error('safetensors', message, { file });
}

/** Reads N from the first 8 bytes and checks it against the file size; returns N. */
export function checkHeaderLength(first8: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8) fail(file, `file is ${fileSize} bytes; a safetensors file starts with an 8-byte header length (truncated or not safetensors)`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    fail(file, `header length ${n} is larger than the ${MAX_HEADER_BYTES}-byte limit (corrupt file, or not safetensors)`);
  }
  const len = Number(n);
  if (8 + len > fileSize) fail(file, `header length ${len} runs past the end of the file (${fileSize} bytes): the file is truncated or not safetensors`);
  return len;
}

/**
 * Throws if any JSON object in `text` (already known to be valid JSON) repeats a key. JSON.parse keeps the
 * last of duplicated keys silently, which would hide a second tensor sharing a name.
 */
function assertNoDuplicateKeys(text: string, file: string): void {
  // Stack of key sets for the open containers; null marks an array.
  const stack: (Set<string> | null)[] = [];
  const ctx: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string token: find its end, honouring backslash escapes.
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const token = text.slice(i, j + 1);
      let k = j + 1;
      while (k < text.length && /\s/.test(text[k] as string)) k++;
      const top = stack[stack.length - 1];
      if (text[k] === ':' && top) {
        const key = JSON.parse(token) as string;
        if (top.has(key)) {
          const parent = stack.length > 1 ? ctx[stack.length - 1] : undefined;
          const where = parent === undefined ? '' : ` (inside "${parent}")`;
          fail(file, `header repeats the key "${key}"${where}; every tensor name must be unique`);
        }
        top.add(key);
        ctx[stack.length] = key;
      }
      i = j + 1;
    } else if (c === 0x7b) { stack.push(new Set()); i++; }
    else if (c === 0x5b) { stack.push(null); i++; }
    else if (c === 0x7d || c === 0x5d) { stack.pop(); i++; }
    else i++;
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

interface Entry { name: string; info: SafetensorsTensorInfo; begin: number; end: number }

/** The "__metadata__" object: string values only. */
function parseMetadata(rawMeta: unknown, file: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (rawMeta === undefined || rawMeta === null) return metadata;
  if (!isPlainObject(rawMeta)) fail(file, '"__metadata__" must be an object of string values');
  for (const [k, v] of Object.entries(rawMeta)) {
    if (typeof v !== 'string') fail(file, `"__metadata__"."${k}" must be a string, got ${JSON.stringify(v)}`);
    metadata[k] = v;
  }
  return metadata;
}

/** One tensor entry {dtype, shape, data_offsets}, checked on its own: dtype, shape, offsets inside the data, size. */
function parseEntry(name: string, entry: unknown, dataSize: number, headerBytes: number, file: string): Entry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(entry)) fail(file, `${where}: entry must be an object {dtype, shape, data_offsets}`);
  const dt = entry['dtype'];
  if (typeof dt !== 'string' || !(dt in SAFETENSORS_DTYPES)) {
    const reason = typeof dt === 'string' && UNSUPPORTED[dt] ? ` (${UNSUPPORTED[dt]})` : '';
    fail(file, `${where}: dtype ${JSON.stringify(dt)} is not supported${reason}; valid: ${Object.keys(SAFETENSORS_DTYPES).join(', ')}`);
  }
  const dtype = dt as SafetensorsDType;
  const shape = entry['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    fail(file, `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const offs = entry['data_offsets'];
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    fail(file, `${where}: data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offs)}`);
  }
  const [begin, end] = offs as [number, number];
  if (begin > end) fail(file, `${where}: data_offsets [${begin}, ${end}] has begin > end`);
  if (end > dataSize) {
    fail(file, `${where}: data_offsets [${begin}, ${end}] reach past the data buffer (${dataSize} bytes after the header); the file is truncated or corrupt`);
  }
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) fail(file, `${where}: shape ${JSON.stringify(shape)} has too many elements`);
  }
  const want = count * SAFETENSORS_DTYPES[dtype].bytes;
  if (want !== end - begin) {
    fail(file, `${where}: shape ${JSON.stringify(shape)} × ${dtype} (${SAFETENSORS_DTYPES[dtype].bytes} bytes) = ${want} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return {
    name, begin, end,
    info: { dtype, tensorDtype: SAFETENSORS_DTYPES[dtype].dtype, shape: shape as number[], byteLength: end - begin, fileOffset: 8 + headerBytes + begin },
  };
}

/** The entries must tile the data buffer exactly, in offset order: no overlap, no gap, no trailing bytes. */
function checkTiling(entries: Entry[], dataSize: number, file: string): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev = '';
  for (const e of entries) {
    if (e.begin < pos) fail(file, `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${prev}" (which ends at ${pos})`);
    if (e.begin > pos) {
      fail(file, `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] leave a gap of ${e.begin - pos} bytes after ${prev ? `tensor "${prev}"` : 'the header'}; the data buffer must be fully covered`);
    }
    pos = e.end;
    prev = e.name;
  }
  if (pos !== dataSize) {
    fail(file, `tensors cover ${pos} data bytes but the file has ${dataSize} after the header (${dataSize - pos} trailing bytes); the data buffer must be fully covered`);
  }
}

/**
 * Parses header bytes (the N bytes after the length) of a file of `fileSize` bytes and validates every
 * entry against the rules above. All errors are Diff2in1Errors naming `file` and, where relevant, the tensor.
 */
export function parseHeader(headerBytes: Uint8Array, fileSize: number, file: string): ParsedHeader {
  const n = headerBytes.length;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    fail(file, 'header is not valid UTF-8 (corrupt file, or not safetensors)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(file, `header is not valid JSON (${(e as Error).message}); corrupt file, or not safetensors`);
  }
  if (!isPlainObject(json)) fail(file, `header must be a JSON object of tensor entries, got ${Array.isArray(json) ? 'an array' : typeof json === 'object' ? 'null' : typeof json}`);
  assertNoDuplicateKeys(text, file);
  const metadata = parseMetadata(json['__metadata__'], file);
  const dataSize = fileSize - 8 - n;
  const entries = Object.entries(json).filter(([name]) => name !== '__metadata__').map(([name, entry]) => parseEntry(name, entry, dataSize, n, file));
  checkTiling(entries, dataSize, file);
  const tensors = new Map<string, SafetensorsTensorInfo>();
  for (const e of entries) tensors.set(e.name, e.info);
  return { headerBytes: n, tensors, metadata };
}
