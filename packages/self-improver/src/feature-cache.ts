// On-disk cache of frozen-backbone features, fp16, one file per split (and tap set / options).
//
// The backbone is frozen and (with 'fixed' feature noise) a sample's features are a pure function of the sample,
// its variant (none / hflip) and the feature options, so the UNet runs once per (sample, variant) and every later
// epoch reads the features back. Node has no mmap: each sample's slice is read with one positional read
// (fs.readSync at its offset) into a buffer and converted fp16 → fp32; the OS page cache keeps hot files in RAM.
//
// File layout (little endian):
//   0      8 bytes   magic "D2IFCv01"
//   8      8 bytes   header length L (uint64)
//   16     L bytes   header JSON, space-padded so the flags start at a multiple of 4096:
//                    { key, describe, ids, variants, taps: [{ name, shape: [C, h, w], offset }], slotBytes,
//                      slots, flagsOffset, dataOffset }
//   flagsOffset      one byte per slot: 1 = the slot holds features (written after the slot's data)
//   dataOffset       slots × slotBytes of fp16 features; slot = index · variants + variant
// Slots are filled in any order; a process killed mid-write leaves the slot's flag at 0 (recomputed next time).
// A file whose key (backbone fingerprint, feature options, image size, ids, variants) differs is rebuilt.
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { Diff2in1Error, Tensor, float16ArrayToFloat32, float32ArrayToFloat16 } from '@diff2in1/tensor';

const MAGIC = 'D2IFCv01';
const ALIGN = 4096;

export interface CacheTap {
  /** Train-step input name, `tap.<module>`. */
  name: string;
  /** Per-sample shape [C, h, w]. */
  shape: [number, number, number];
}

export interface FeatureCacheSpec {
  /** Everything the features depend on (hashed into the key). */
  describe: Record<string, unknown>;
  ids: readonly string[];
  variants: readonly string[];
  taps: readonly CacheTap[];
}

interface Header {
  key: string;
  describe: Record<string, unknown>;
  ids: string[];
  variants: string[];
  taps: { name: string; shape: [number, number, number]; offset: number }[];
  slotBytes: number;
  slots: number;
  flagsOffset: number;
  dataOffset: number;
}

function keyOf(spec: FeatureCacheSpec): string {
  return createHash('sha256').update(JSON.stringify({ d: spec.describe, ids: spec.ids, v: spec.variants, t: spec.taps })).digest('hex').slice(0, 24);
}

const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export class FeatureCache {
  #fd: number;
  readonly #flags: Uint8Array;
  /** Slot reads and writes since opening (for logs and the bench). */
  hits = 0;
  misses = 0;

  private constructor(readonly path: string, fd: number, private readonly header: Header, flags: Uint8Array) {
    this.#fd = fd;
    this.#flags = flags;
  }

  /** Opens (or creates, or rebuilds on a key change) the cache file at `path`. `log` hears about rebuilds. */
  static open(path: string, spec: FeatureCacheSpec, log: (m: string) => void = () => {}): FeatureCache {
    const key = keyOf(spec);
    if (existsSync(path)) {
      const existing = FeatureCache.tryRead(path);
      if (existing && existing.header.key === key) return existing;
      existing?.close();
      log(`feature cache ${path}: ${existing ? 'made with other settings' : 'unreadable'}; rebuilding`);
      rmSync(path, { force: true });
    }
    mkdirSync(dirname(path), { recursive: true });
    let offset = 0;
    const taps = spec.taps.map((t) => {
      const e = { name: t.name, shape: [...t.shape] as [number, number, number], offset };
      offset += t.shape[0] * t.shape[1] * t.shape[2] * 2;
      return e;
    });
    const slotBytes = roundUp(offset, 64);
    const slots = spec.ids.length * spec.variants.length;
    const base = { key, describe: spec.describe, ids: [...spec.ids], variants: [...spec.variants], taps, slotBytes, slots };
    // The offsets depend on the header's own length: grow until stable.
    let flagsOffset = ALIGN;
    let json = '';
    for (;;) {
      json = JSON.stringify({ ...base, flagsOffset, dataOffset: roundUp(flagsOffset + slots, ALIGN) });
      const need = roundUp(16 + Buffer.byteLength(json), ALIGN);
      if (need <= flagsOffset) break;
      flagsOffset = need;
    }
    const header: Header = JSON.parse(json) as Header;
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w+');
    const head = Buffer.alloc(flagsOffset, 0x20);
    head.write(MAGIC, 0, 'latin1');
    head.writeBigUInt64LE(BigInt(flagsOffset - 16), 8);
    head.write(json, 16, 'utf8');
    writeSync(fd, head, 0, head.length, 0);
    ftruncateSync(fd, header.dataOffset + slots * slotBytes);
    closeSync(fd);
    renameSync(tmp, path);
    const opened = FeatureCache.tryRead(path);
    if (!opened) throw new Diff2in1Error('feature-cache', 'could not reopen the cache file just written', { file: path });
    return opened;
  }

  private static tryRead(path: string): FeatureCache | undefined {
    const fd = openSync(path, 'r+');
    try {
      const pre = Buffer.alloc(16);
      if (readSync(fd, pre, 0, 16, 0) !== 16 || pre.toString('latin1', 0, 8) !== MAGIC) throw new Error('magic');
      const len = Number(pre.readBigUInt64LE(8));
      const hb = Buffer.alloc(len);
      readSync(fd, hb, 0, len, 16);
      const header = JSON.parse(hb.toString('utf8').trimEnd()) as Header;
      if (fstatSync(fd).size < header.dataOffset + header.slots * header.slotBytes) throw new Error('short file');
      const flags = new Uint8Array(header.slots);
      readSync(fd, flags, 0, header.slots, header.flagsOffset);
      return new FeatureCache(path, fd, header, flags);
    } catch {
      closeSync(fd);
      return undefined;
    }
  }

  get ids(): readonly string[] {
    return this.header.ids;
  }

  get variants(): readonly string[] {
    return this.header.variants;
  }

  /** Slot number of (dataset index, variant). */
  slot(index: number, variant: string): number {
    const v = this.header.variants.indexOf(variant);
    if (v < 0 || !(index >= 0 && index < this.header.ids.length)) {
      throw new Diff2in1Error('feature-cache', `no slot for sample ${index} / variant '${variant}' (${this.header.ids.length} samples, variants ${this.header.variants.join(', ')})`, { file: this.path });
    }
    return index * this.header.variants.length + v;
  }

  has(slot: number): boolean {
    return this.#flags[slot] === 1;
  }

  /** Slots filled so far. */
  get filled(): number {
    let n = 0;
    for (const f of this.#flags) n += f;
    return n;
  }

  /** The features of a slot as float32 [1, C, h, w] per tap, or undefined when the slot is empty. */
  get(slot: number): Record<string, Tensor<'float32'>> | undefined {
    if (!this.has(slot)) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    const buf = Buffer.alloc(this.header.slotBytes);
    const pos = this.header.dataOffset + slot * this.header.slotBytes;
    let got = 0;
    while (got < buf.length) {
      const n = readSync(this.#fd, buf, got, buf.length - got, pos + got);
      if (n === 0) throw new Diff2in1Error('feature-cache', `short read of slot ${slot}`, { file: this.path });
      got += n;
    }
    const out: Record<string, Tensor<'float32'>> = {};
    for (const t of this.header.taps) {
      const n = t.shape[0] * t.shape[1] * t.shape[2];
      const bits = new Uint16Array(buf.buffer, buf.byteOffset + t.offset, n);
      out[t.name] = new Tensor('float32', [1, ...t.shape], float16ArrayToFloat32(bits));
    }
    return out;
  }

  /**
   * Stores a slot's features (float32 [1, C, h, w] or [C, h, w] per tap, rounded to fp16) and returns them as
   * the cache will give them back (fp16-rounded), so a run computes with the same numbers whether a slot was
   * just filled or read back.
   */
  put(slot: number, feats: Readonly<Record<string, Tensor<'float32'>>>): Record<string, Tensor<'float32'>> {
    const buf = Buffer.alloc(this.header.slotBytes);
    const out: Record<string, Tensor<'float32'>> = {};
    for (const t of this.header.taps) {
      const f = feats[t.name];
      const n = t.shape[0] * t.shape[1] * t.shape[2];
      if (!f || f.size !== n) throw new Diff2in1Error('feature-cache', `put: '${t.name}' must have ${t.shape.join('×')} values, got ${f ? `[${f.shape.join(', ')}]` : 'none'}`, { file: this.path });
      const bits = new Uint16Array(buf.buffer, buf.byteOffset + t.offset, n);
      float32ArrayToFloat16(f.data, bits);
      out[t.name] = new Tensor('float32', [1, ...t.shape], float16ArrayToFloat32(bits));
    }
    writeSync(this.#fd, buf, 0, buf.length, this.header.dataOffset + slot * this.header.slotBytes);
    this.#flags[slot] = 1;
    writeSync(this.#fd, this.#flags, slot, 1, this.header.flagsOffset + slot);
    return out;
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}

/** Features rounded to fp16 and back (what a cached run computes with). */
export function roundToFloat16(t: Tensor<'float32'>): Tensor<'float32'> {
  return new Tensor('float32', t.shape, float16ArrayToFloat32(float32ArrayToFloat16(t.data)));
}
