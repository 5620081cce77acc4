// safetensors files: lazy per-tensor reads with positional fs.readSync (so files larger than 2 GiB — Node's
// Buffer / readFileSync limit — never become one Buffer), and a streaming atomic writer.
//
// dtypes: F32, F64, F16 (kept as float16 bits), BF16 (converted to float32 on read, exactly), I64, I32,
// U8, BOOL; I8 / I16 / U16 are widened to int32 on read. U32, U64 and fp8 are refused with a clear error.
// Writing produces F32, F64, F16, I64, I32, U8, BOOL.
// The writer lays data out as the reference crate does (tensor.rs `prepare`): sorted by dtype alignment,
// largest first, then by name (byte order of UTF-8), header JSON padded with spaces to a multiple of 8 — so
// every tensor is aligned for zero-copy readers, and our files equal safetensors' own byte for byte.
import { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { extname } from 'node:path';
import { promisify } from 'node:util';
import { Diff2in1Error } from './errors.js';
import { bfloat16ArrayToFloat32 } from './float16.js';
import { writeFileAtomicStreamSync } from './fs-atomic.js';
import type { SafetensorsDType, SafetensorsTensorInfo } from './safetensors-header.js';
import { checkHeaderLength, parseHeader } from './safetensors-header.js';
import { Tensor, allocate } from './tensor.js';
import type { DType } from './tensor.js';

const readAsync = promisify(read);
const CHUNK = 1 << 30; // bytes per read/write call (readSync/writeSync take at most 2^31 − 1)

/** A readable name → tensor collection: one safetensors file, or a sharded checkpoint. */
export interface TensorSource {
  /** Tensor names, sorted. */
  names(): string[];
  has(name: string): boolean;
  /** dtype in the file, dtype returned by get(), shape, byte length. Throws for an unknown name. */
  info(name: string): SafetensorsTensorInfo;
  /** Reads one tensor from disk (only its byte range). */
  get(name: string): Tensor;
  /** Same as get, without blocking the event loop. */
  getAsync(name: string): Promise<Tensor>;
  /** The header's "__metadata__" (string → string). */
  metadata(): Record<string, string>;
  close(): void;
}

const PICKLE_EXTENSIONS = ['.ckpt', '.pt', '.pth', '.bin', '.pkl', '.pickle'];

function pickleError(path: string, why: string): Diff2in1Error {
  return new Diff2in1Error('pickle',
    `${why}: it is a pickle/PyTorch checkpoint; this project never loads pickle (unpickling can run arbitrary code). ` +
    'Convert it to safetensors on a machine you trust, e.g.\n' +
    `  python -c "import torch; from safetensors.torch import save_file; sd = torch.load('${path}', map_location='cpu'); ` +
    "sd = sd.get('state_dict', sd); save_file({k: v.contiguous() for k, v in sd.items() if hasattr(v, 'contiguous')}, 'model.safetensors')\"",
    { file: path });
}

/** True if the first bytes look like a pickle stream (PROTO opcode 0x80, protocol 2–5) or a zip (torch.save). */
function pickleMagic(head: Uint8Array): string | undefined {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'it is a zip archive (torch.save format)';
  if (head.length >= 2 && head[0] === 0x80 && (head[1] as number) >= 2 && (head[1] as number) <= 5) {
    // A safetensors header length can also start with byte 0x80; a real safetensors file has '{' at byte 8.
    if (head.length > 8 && head[8] === 0x7b) return undefined;
    return `it starts with the pickle PROTO opcode (protocol ${head[1]})`;
  }
  return undefined;
}

/**
 * Throws a Diff2in1Error telling how to convert to safetensors if `path` is a pickle / PyTorch checkpoint,
 * judged by its extension (.ckpt .pt .pth .bin .pkl .pickle) or, if the file exists, its first bytes.
 */
export function assertNotPickle(path: string): void {
  const ext = extname(path).toLowerCase();
  if (PICKLE_EXTENSIONS.includes(ext)) throw pickleError(path, `the file extension is ${ext}`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return; // a missing file is for the caller to report
  }
  try {
    const head = new Uint8Array(16);
    const got = readSync(fd, head, 0, 16, 0);
    const why = pickleMagic(head.subarray(0, got));
    if (why) throw pickleError(path, why);
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, target: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < target.length) {
    const got = readSync(fd, target, done, Math.min(target.length - done, CHUNK), position + done);
    if (got === 0) throw new Diff2in1Error('safetensors', `unexpected end of file at byte ${position + done}`, { file });
    done += got;
  }
}

async function readFullyAsync(fd: number, target: Uint8Array, position: number, file: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await readAsync(fd, target, done, Math.min(target.length - done, CHUNK), position + done);
    if (bytesRead === 0) throw new Diff2in1Error('safetensors', `unexpected end of file at byte ${position + done}`, { file });
    done += bytesRead;
  }
}

/** Allocates the typed array a tensor of `info` is read into (before any dtype conversion). */
function fileArray(info: SafetensorsTensorInfo): { raw: Uint8Array; finish: () => Tensor } {
  const n = info.byteLength;
  const count = info.shape.reduce((a, b) => a * b, 1);
  const make = <D extends DType>(dtype: D, data: Tensor<D>['data']): Tensor => new Tensor(dtype, info.shape, data);
  const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  switch (info.dtype) {
    case 'BF16': {
      const bits = new Uint16Array(count);
      return { raw: bytesOf(bits), finish: () => make('float32', bfloat16ArrayToFloat32(bits)) };
    }
    case 'I8': {
      const a = new Int8Array(count);
      return { raw: bytesOf(a), finish: () => make('int32', Int32Array.from(a)) };
    }
    case 'I16': {
      const a = new Int16Array(count);
      return { raw: bytesOf(a), finish: () => make('int32', Int32Array.from(a)) };
    }
    case 'U16': {
      const a = new Uint16Array(count);
      return { raw: bytesOf(a), finish: () => make('int32', Int32Array.from(a)) };
    }
    default: {
      const data = allocate(info.tensorDtype, count);
      if (data.byteLength !== n) throw new Error('internal: size mismatch');
      return { raw: bytesOf(data), finish: () => make(info.tensorDtype, data) };
    }
  }
}

/** One safetensors file, opened for lazy per-tensor reads. Only the header is read by open(). */
export class SafetensorsFile implements TensorSource {
  readonly path: string;
  private fd: number | undefined;
  private readonly tensors: Map<string, SafetensorsTensorInfo>;
  private readonly meta: Record<string, string>;

  private constructor(path: string, fd: number, tensors: Map<string, SafetensorsTensorInfo>, meta: Record<string, string>) {
    this.path = path;
    this.fd = fd;
    this.tensors = tensors;
    this.meta = meta;
  }

  /** Opens `path`, reads and validates its header. Malformed files throw a Diff2in1Error naming the file. */
  static open(path: string): SafetensorsFile {
    assertNotPickle(path);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new Diff2in1Error('safetensors', `cannot open safetensors file: ${(e as Error).message}`, { file: path, cause: e });
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Diff2in1Error('safetensors', 'not a regular file', { file: path });
      const size = st.size;
      const first = new Uint8Array(8);
      readFully(fd, first.subarray(0, Math.min(8, size)), 0, path);
      const n = checkHeaderLength(first, size, path);
      const header = new Uint8Array(n);
      readFully(fd, header, 8, path);
      const parsed = parseHeader(header, size, path);
      return new SafetensorsFile(path, fd, parsed.tensors, parsed.metadata);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  names(): string[] {
    return [...this.tensors.keys()].sort();
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): SafetensorsTensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new Diff2in1Error('safetensors', `no tensor named "${name}" (the file has ${this.tensors.size} tensors${nearby(name, this.tensors.keys())})`, { file: this.path });
    return info;
  }

  private openFd(): number {
    if (this.fd === undefined) throw new Diff2in1Error('safetensors', 'file was closed', { file: this.path });
    if (endianness() !== 'LE') throw new Diff2in1Error('safetensors', 'big-endian hosts are not supported (safetensors data is little-endian)', { file: this.path });
    return this.fd;
  }

  get(name: string): Tensor {
    const info = this.info(name);
    const fd = this.openFd();
    const { raw, finish } = fileArray(info);
    readFully(fd, raw, info.fileOffset, `${this.path} (tensor "${name}")`);
    return finish();
  }

  async getAsync(name: string): Promise<Tensor> {
    const info = this.info(name);
    const fd = this.openFd();
    const { raw, finish } = fileArray(info);
    await readFullyAsync(fd, raw, info.fileOffset, `${this.path} (tensor "${name}")`);
    return finish();
  }

  metadata(): Record<string, string> {
    return { ...this.meta };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** ", e.g. a, b, c" — a few names sharing the asked name's first path component, for error messages. */
export function nearby(name: string, names: Iterable<string>): string {
  const stem = name.split('.')[0] ?? '';
  const list = [...names].filter((n) => n.startsWith(stem)).sort().slice(0, 3);
  return list.length ? `; similar: ${list.join(', ')}` : '';
}

/** Reads every tensor of a safetensors file (use SafetensorsFile.open for lazy access). */
export function readSafetensors(path: string): Record<string, Tensor> {
  const f = SafetensorsFile.open(path);
  try {
    const out: Record<string, Tensor> = {};
    for (const name of f.names()) out[name] = f.get(name);
    return out;
  } finally {
    f.close();
  }
}

const WRITE_DTYPE: Record<DType, { code: SafetensorsDType; rank: number }> = {
  // rank = position in the reference crate's Dtype enum, which is in increasing alignment order
  bool: { code: 'BOOL', rank: 0 }, uint8: { code: 'U8', rank: 1 }, float16: { code: 'F16', rank: 7 },
  int32: { code: 'I32', rank: 9 }, float32: { code: 'F32', rank: 11 }, float64: { code: 'F64', rank: 12 },
  int64: { code: 'I64', rank: 13 },
};

/** The header bytes (JSON padded with spaces to a multiple of 8) and data order for `tensors`. */
export function buildHeader(tensors: Record<string, Tensor>, metadata?: Record<string, string>): { header: Uint8Array; order: string[] } {
  const enc = new TextEncoder();
  const order = Object.keys(tensors).sort((a, b) => {
    const ra = WRITE_DTYPE[(tensors[a] as Tensor).dtype].rank, rb = WRITE_DTYPE[(tensors[b] as Tensor).dtype].rank;
    return rb - ra || Buffer.compare(enc.encode(a), enc.encode(b));
  });
  const obj: Record<string, unknown> = {};
  if (metadata) {
    const m: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort()) {
      const v = metadata[k];
      if (typeof v !== 'string') throw new Diff2in1Error('safetensors', `metadata "${k}" must be a string, got ${typeof v}`);
      m[k] = v;
    }
    obj['__metadata__'] = m;
  }
  let offset = 0;
  for (const name of order) {
    if (name === '__metadata__') throw new Diff2in1Error('safetensors', 'a tensor cannot be named "__metadata__"');
    const t = tensors[name] as Tensor;
    const n = t.data.byteLength;
    obj[name] = { dtype: WRITE_DTYPE[t.dtype].code, shape: [...t.shape], data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = enc.encode(JSON.stringify(obj));
  const header = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  header.set(json);
  return { header, order };
}

/**
 * Writes tensors as a safetensors file, atomically (temp file + rename) and streaming: each tensor's bytes
 * are written straight from its typed array, so a file larger than 2 GiB is never one Buffer.
 */
export function writeSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  if (endianness() !== 'LE') throw new Diff2in1Error('safetensors', 'big-endian hosts are not supported', { file: path });
  let built: ReturnType<typeof buildHeader>;
  try {
    built = buildHeader(tensors, metadata);
  } catch (e) {
    if (e instanceof Diff2in1Error) throw new Diff2in1Error('safetensors', e.message, { file: path, cause: e });
    throw e;
  }
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(built.header.length), true);
  writeFileAtomicStreamSync(path, (write) => {
    write(len);
    write(built.header);
    for (const name of built.order) {
      const d = (tensors[name] as Tensor).data;
      write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
  });
}
