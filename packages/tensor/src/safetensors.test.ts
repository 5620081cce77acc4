import { afterAll, describe, expect, it } from 'vitest';
import { closeSync, ftruncateSync, mkdtempSync, rmSync, openSync, readFileSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Diff2in1Error } from './errors.js';
import { SafetensorsFile, assertNotPickle, buildHeader, readSafetensors, writeSafetensors } from './safetensors.js';
import { BYTES_PER_ELEMENT, Tensor, tensor } from './tensor.js';


const vals = (t: Tensor): unknown[] => Array.from(t.data as ArrayLike<unknown>);
const dir = mkdtempSync(join(tmpdir(), 'st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** Hand-builds a file: 8-byte LE length of `header` (text, used verbatim), the header, then `data`. */
function build(header: string | object, data: Uint8Array | number[] = [], opts: { length?: bigint; name?: string } = {}): string {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(opts.length ?? BigInt(h.length));
  const p = join(dir, opts.name ?? `f${counter++}.safetensors`);
  writeFileSync(p, Buffer.concat([len, h, Buffer.from(data instanceof Uint8Array ? data : new Uint8Array(data))]));
  return p;
}
const f32bytes = (...v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);

describe('safetensors reading', () => {
  it('reads a file written by an independent writer (numpy + pure-Python shim), every dtype', () => {
    // fixtures/numpy-written.safetensors: made by tools/golden-safetensors.py; data is NOT aligned there.
    const t = readSafetensors(new URL('./fixtures/numpy-written.safetensors', import.meta.url).pathname);
    expect(Object.keys(t).sort()).toEqual(['bool', 'empty', 'f16', 'f32', 'f64', 'i16', 'i32', 'i64', 'i8', 'u8']);
    expect(t['f32']!.dtype).toBe('float32');
    expect(t['f32']!.shape).toEqual([2, 3]);
    expect(vals(t['f32']!)).toEqual([1.5, -2, 3.25, 0, Math.fround(1e-8), -7]);
    expect(t['f16']!.dtype).toBe('float16');
    expect(vals(t['f16']!)).toEqual([0x3c00, 0x7bff, 0x0001, 0xb800, 0x7c00]);
    expect(vals(t['f64']!)).toEqual([Math.PI, -1e300]);
    expect(vals(t['i64']!)).toEqual([-(2n ** 62n), 5n, 2n ** 53n + 1n]);
    expect(vals(t['i32']!)).toEqual([-2147483648, 2147483647]);
    expect(t['i16']!.dtype).toBe('int32');
    expect(vals(t['i16']!)).toEqual([-32768, 32767, 1]);
    expect(vals(t['i8']!)).toEqual([-128, 127]);
    expect(vals(t['u8']!)).toEqual([0, 255, 7]);
    expect(t['bool']!.dtype).toBe('bool');
    expect(vals(t['bool']!)).toEqual([1, 0, 1]);
    expect(t['empty']!.shape).toEqual([0, 3]);
    const f = SafetensorsFile.open(new URL('./fixtures/numpy-written.safetensors', import.meta.url).pathname);
    expect(f.metadata()).toEqual({ format: 'np', made_by: 'golden-safetensors.py' });
    expect(f.info('f16')).toMatchObject({ dtype: 'F16', tensorDtype: 'float16', shape: [5], byteLength: 10 });
    f.close();
  });
  it('reads a scalar (shape []) and a zero-size tensor sharing an offset', () => {
    const p = build({
      s: { dtype: 'F32', shape: [], data_offsets: [0, 4] },
      z: { dtype: 'F32', shape: [0, 5], data_offsets: [4, 4] },
      e: { dtype: 'I64', shape: [0], data_offsets: [0, 0] },
    }, f32bytes(42));
    const t = readSafetensors(p);
    expect(t['s']!.shape).toEqual([]);
    expect(vals(t['s']!)).toEqual([42]);
    expect(t['z']!.shape).toEqual([0, 5]);
    expect(t['e']!.data.length).toBe(0);
  });
  it('converts BF16 to float32 exactly on read', () => {
    const bits = new Uint16Array([0x3f80, 0xc049, 0x7f80, 0x0001]);
    const p = build({ w: { dtype: 'BF16', shape: [2, 2], data_offsets: [0, 8] } }, new Uint8Array(bits.buffer));
    const f = SafetensorsFile.open(p);
    expect(f.info('w')).toMatchObject({ dtype: 'BF16', tensorDtype: 'float32' });
    const t = f.get('w');
    expect(t.dtype).toBe('float32');
    expect(vals(t)).toEqual([1, -3.140625, Infinity, 2 ** -133]);
    f.close();
  });
  it('reads lazily: get / getAsync fetch one tensor; errors name the tensor; closed files refuse', async () => {
    const p = build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32bytes(1, 2, 3));
    const f = SafetensorsFile.open(p);
    expect(f.names()).toEqual(['a', 'b']);
    expect(vals(f.get('b'))).toEqual([3]);
    expect(vals(await f.getAsync('a'))).toEqual([1, 2]);
    expect(() => f.get('c')).toThrow(/no tensor named "c"/);
    expect(() => f.get('c')).toThrow(p);
    f.close();
    expect(() => f.get('a')).toThrow(/closed/);
  });
  it('reads a header whose length starts with byte 0x80 (not mistaken for pickle)', () => {
    const body = JSON.stringify({ x: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } });
    const padded = body + ' '.repeat(0x280 - body.length); // length 0x0280: first bytes 0x80 0x02, like a pickle PROTO 2
    const p = build(padded, [9]);
    expect(readFileSync(p)[0]).toBe(0x80);
    expect(vals(readSafetensors(p)['x']!)).toEqual([9]);
  });
  it('reads a tensor at the end of a sparse file larger than 2 GiB, without reading the rest', async () => {
    const big = 2 ** 31 + 16; // U8 tensor of 2 GiB + 16 bytes that is never read (a hole in the file)
    const header = Buffer.from(JSON.stringify({
      big: { dtype: 'U8', shape: [big], data_offsets: [0, big] },
      tail: { dtype: 'F32', shape: [4], data_offsets: [big, big + 16] },
    }) + '  ');
    const p = join(dir, 'sparse.safetensors');
    const fd = openSync(p, 'w');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    writeSync(fd, len, 0, 8, 0);
    writeSync(fd, header, 0, header.length, 8);
    const dataStart = 8 + header.length;
    ftruncateSync(fd, dataStart + big + 16);
    writeSync(fd, f32bytes(1, -2, 3.5, 1e30), 0, 16, dataStart + big);
    closeSync(fd);
    expect(statSync(p).size).toBeGreaterThan(2 ** 31);
    const t0 = performance.now();
    const f = SafetensorsFile.open(p);
    expect(f.info('big').byteLength).toBe(big);
    expect(f.info('tail').fileOffset).toBe(dataStart + big);
    expect(vals(f.get('tail'))).toEqual([1, -2, 3.5, Math.fround(1e30)]);
    expect(vals(await f.getAsync('tail'))).toEqual([1, -2, 3.5, Math.fround(1e30)]);
    f.close();
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('safetensors malformed input → Diff2in1Error naming the file (and tensor)', () => {
  const cases: [string, () => string, RegExp][] = [
    ['empty file', () => { const p = join(dir, 'empty.safetensors'); writeFileSync(p, ''); return p; }, /0 bytes.*8-byte header length/],
    ['5-byte file', () => { const p = join(dir, 'five.safetensors'); writeFileSync(p, Buffer.from([1, 2, 3, 4, 5])); return p; }, /5 bytes/],
    ['header length past end of file', () => build('{}', [], { length: 1000n }), /header length 1000 runs past the end of the file/],
    ['absurd header length', () => build('{}', [], { length: 2n ** 60n }), /header length 1152921504606846976 is larger than the 100000000-byte limit/],
    ['header length just over the cap', () => build('{}', [], { length: 100_000_001n }), /larger than the 100000000-byte limit/],
    ['invalid JSON', () => build('{"a": {'), /not valid JSON/],
    ['invalid UTF-8', () => { const p = build('{"\u00e9":1}'); const b = readFileSync(p); b[11] = 0xff; writeFileSync(p, b); return p; }, /not valid UTF-8/],
    ['header is an array', () => build('[1, 2]'), /must be a JSON object.*an array/],
    ['header is null', () => build('null'), /must be a JSON object.*null/],
    ['entry not an object', () => build({ w: 5 }), /tensor "w": entry must be an object/],
    ['unknown dtype', () => build({ w: { dtype: 'Q7', shape: [1], data_offsets: [0, 1] } }, [0]), /tensor "w": dtype "Q7" is not supported; valid: F64, F32, F16, BF16, I64, I32, I16, U16, I8, U8, BOOL/],
    ['unsupported dtype', () => build({ w: { dtype: 'U64', shape: [1], data_offsets: [0, 8] } }, new Array(8).fill(0)), /tensor "w": dtype "U64" is not supported \(uint64/],
    ['shape × dtype ≠ offsets', () => build({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, new Array(12).fill(0)), /tensor "w": shape \[2,2\] × F32 \(4 bytes\) = 16 bytes, but data_offsets \[0, 12\] span 12/],
    ['negative shape', () => build({ w: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }), /tensor "w": shape must be an array of non-negative integers/],
    ['fractional shape', () => build({ w: { dtype: 'U8', shape: [1.5], data_offsets: [0, 1] } }, [0]), /tensor "w": shape must be/],
    ['shape not an array', () => build({ w: { dtype: 'U8', shape: '4', data_offsets: [0, 4] } }, [0, 0, 0, 0]), /tensor "w": shape must be/],
    ['huge shape (overflow)', () => build({ w: { dtype: 'U8', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 1] } }, [0]), /tensor "w": shape .* too many elements/],
    ['offsets past the end', () => build({ w: { dtype: 'U8', shape: [8], data_offsets: [0, 8] } }, [1, 2, 3]), /tensor "w": data_offsets \[0, 8\] reach past the data buffer \(3 bytes/],
    ['begin > end', () => build({ w: { dtype: 'U8', shape: [0], data_offsets: [2, 1] } }, [1, 2]), /tensor "w": data_offsets \[2, 1\] has begin > end/],
    ['offsets not a pair', () => build({ w: { dtype: 'U8', shape: [1], data_offsets: [0, 1, 2] } }, [0]), /tensor "w": data_offsets must be \[begin, end\]/],
    ['negative offset', () => build({ w: { dtype: 'U8', shape: [1], data_offsets: [-1, 0] } }, [0]), /tensor "w": data_offsets must be/],
    ['overlapping tensors', () => build({
      a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] },
    }, [0, 0, 0, 0, 0, 0]), /tensor "b": data_offsets \[2, 6\] overlap tensor "a"/],
    ['same range twice', () => build({
      a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
    }, [0, 0]), /overlap tensor "a"/],
    ['gap between tensors', () => build({
      a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [4, 6] },
    }, [0, 0, 0, 0, 0, 0]), /tensor "b": data_offsets \[4, 6\] leave a gap of 2 bytes after tensor "a"/],
    ['data not starting at 0', () => build({ a: { dtype: 'U8', shape: [2], data_offsets: [1, 3] } }, [0, 0, 0]), /tensor "a".*gap of 1 bytes after the header/],
    ['trailing bytes', () => build({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, [0, 0, 0, 0]), /cover 2 data bytes but the file has 4.*2 trailing bytes/],
    ['duplicate tensor names', () => build(
      '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', [0, 0],
    ), /repeats the key "w"; every tensor name must be unique/],
    ['duplicate names spelled with escapes', () => build(
      '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}, "\\u0077" :{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', [0, 0],
    ), /repeats the key "w"/],
    ['duplicate field inside an entry', () => build('{"w":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}', [0]), /repeats the key "dtype" \(inside "w"\)/],
    ['metadata value not a string', () => build({ __metadata__: { n: 3 } }), /"__metadata__"."n" must be a string/],
  ];
  for (const [what, make, msg] of cases) {
    it(what, () => {
      const p = make();
      let err: unknown;
      try {
        SafetensorsFile.open(p).close();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Diff2in1Error);
      expect((err as Error).message).toMatch(msg);
      expect((err as Diff2in1Error).file).toBe(p);
    });
  }
  it('reports a missing file', () => {
    expect(() => SafetensorsFile.open(join(dir, 'missing.safetensors'))).toThrow(/missing\.safetensors.*cannot open/);
  });
  it('keeps malformed-header handling fast and small (no giant allocation)', () => {
    const p = build('{}', [], { length: 2n ** 63n });
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    expect(() => SafetensorsFile.open(p)).toThrow(/limit/);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1e6);
  });
});

describe('pickle is never loaded', () => {
  it('refuses pickle extensions and says how to convert', () => {
    for (const ext of ['ckpt', 'pt', 'pth', 'bin', 'pkl']) {
      const p = join(dir, `model.${ext}`);
      writeFileSync(p, 'whatever');
      expect(() => SafetensorsFile.open(p)).toThrow(/pickle\/PyTorch checkpoint; this project never loads pickle/);
      expect(() => assertNotPickle(p)).toThrow(/safetensors\.torch import save_file/);
    }
  });
  it('refuses pickle and zip magic bytes under a .safetensors name', () => {
    const pk = join(dir, 'pk.safetensors');
    writeFileSync(pk, Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00]));
    expect(() => SafetensorsFile.open(pk)).toThrow(/pickle PROTO opcode \(protocol 2\)/);
    const zip = join(dir, 'zip.safetensors');
    writeFileSync(zip, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 0, 0, 0, 0]));
    expect(() => SafetensorsFile.open(zip)).toThrow(/zip archive \(torch\.save format\)/);
    expect(() => assertNotPickle(join(dir, 'no-such-file.safetensors'))).not.toThrow();
  });
});

describe('safetensors writing', () => {
  // Byte vectors from the reference crate's own tests (huggingface/safetensors, safetensors/src/tensor.rs:
  // test_serialization, test_empty, test_serialization_forced_alignement).
  it('writes exactly the bytes of the reference implementation', () => {
    const six = tensor('float32', [1, 2, 3], [0, 1, 2, 3, 4, 5]);
    const p = join(dir, 'ref1.safetensors');
    writeSafetensors(p, { 'attn.0': six });
    expect(Array.from(readFileSync(p))).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    writeSafetensors(p, {});
    expect(Array.from(readFileSync(p))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    writeSafetensors(p, {}, { framework: 'pt' });
    expect(Array.from(readFileSync(p))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
    writeSafetensors(p, { attn0: six.reshape([1, 1, 2, 3]) });
    const bytes = readFileSync(p);
    expect(bytes.readBigUInt64LE(0)).toBe(72n);
    expect(Array.from(bytes.subarray(8 + 65, 8 + 72))).toEqual([32, 32, 32, 32, 32, 32, 32]);
  });
  it('round-trips every dtype, sorts by alignment then name, keeps metadata, leaves no temp file', () => {
    const ts: Record<string, Tensor> = {
      z_u8: tensor('uint8', [3], [1, 2, 255]),
      a_bool: tensor('bool', [2], [1, 0]),
      f16: tensor('float16', [2], [0x3c00, 0x7c00]),
      b_f32: tensor('float32', [2, 1], [1.5, -3]),
      a_f32: tensor('float32', [1], [7]),
      f64: tensor('float64', [1], [Math.E]),
      i64: tensor('int64', [2], [-1n, 2n ** 60n]),
      i32: tensor('int32', [1], [-5]),
      view: new Tensor('float32', [2], new Float32Array([9, 8, 7, 6]).subarray(1, 3)),
    };
    const p = join(dir, 'sub', 'all.safetensors');
    writeSafetensors(p, ts, { b: '2', a: '1' });
    expect(readdirSync(join(dir, 'sub'))).toEqual(['all.safetensors']);
    const back = readSafetensors(p);
    for (const [k, t] of Object.entries(ts)) {
      expect(back[k]!.dtype).toBe(t.dtype);
      expect(back[k]!.shape).toEqual(t.shape);
      expect(vals(back[k]!)).toEqual(vals(t));
    }
    const f = SafetensorsFile.open(p);
    expect(f.metadata()).toEqual({ a: '1', b: '2' });
    const order = Object.keys(ts).sort((a, b) => f.info(a).fileOffset - f.info(b).fileOffset);
    expect(order).toEqual(['i64', 'f64', 'a_f32', 'b_f32', 'view', 'i32', 'f16', 'z_u8', 'a_bool']);
    for (const k of order) expect((f.info(k).fileOffset - f.info('i64').fileOffset) % BYTES_PER_ELEMENT[ts[k]!.dtype]).toBe(0);
    f.close();
    const { header } = buildHeader(ts);
    expect(header.length % 8).toBe(0);
  });
  it('refuses a tensor named __metadata__ and keeps the old file', () => {
    const p = join(dir, 'keep.safetensors');
    writeSafetensors(p, { a: tensor('uint8', [1], [1]) });
    expect(() => writeSafetensors(p, { __metadata__: tensor('uint8', [1], [1]) })).toThrow(/keep\.safetensors.*__metadata__/);
    expect(vals(readSafetensors(p)['a']!)).toEqual([1]);
  });
});
