// NumPy .npy writer, format version 1.0 (numpy/lib/format.py; NEP 1): magic "\x93NUMPY", version bytes 1 0,
// a little-endian uint16 header length, then an ASCII dict literal {'descr', 'fortran_order', 'shape'} padded
// with spaces and ended by '\n' so that magic + length + header is a multiple of 64 bytes, then the raw
// C-order little-endian data.

export type NpyArray = Float32Array | Float64Array | Uint8Array | Uint16Array | Int32Array;

function descr(data: NpyArray): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Uint16Array) return '<u2';
  return '<i4';
}

/** Encodes a C-order array of `shape` as .npy bytes (the host is little-endian, as every Node platform is). */
export function encodeNpy(data: NpyArray, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] holds ${count} values, data has ${data.length}`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr(data)}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
