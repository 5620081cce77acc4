// A decoded numeric array (from .npy, .mat or HDF5) handed to the label codecs: row-major (C order) data and
// its shape. Readers turn every on-disk layout into this before a codec sees it.
import { Diff2in1Error } from '@diff2in1/tensor';

export type NumericArrayData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/** A row-major numeric array. */
export interface NumericArray {
  shape: readonly number[];
  data: NumericArrayData;
}

/** Options every codec accepts: the file the data came from, used in error messages. */
export interface CodecOptions {
  file?: string;
}

/** Reads element i as a JS number (bigint arrays included; values beyond 2^53 lose precision). */
export function elementAt(data: NumericArrayData, i: number): number {
  const v = data[i] as number | bigint;
  return typeof v === 'bigint' ? Number(v) : v;
}

/**
 * The [H, W] of an array holding one plane per pixel group: accepts [H, W], [H, W, 1] and [1, H, W] for
 * `channels` = 1, and [H, W, C] (channels last, as numpy image arrays) for `channels` = C.
 */
export function planeShape(arr: NumericArray, channels: number, what: string, file?: string): { h: number; w: number; channelsLast: boolean } {
  const s = arr.shape;
  const bad = (): never => {
    const want = channels === 1 ? '[H, W], [H, W, 1] or [1, H, W]' : `[H, W, ${channels}]`;
    throw new Diff2in1Error('label', `${what} array must be ${want}, got [${s.join(', ')}]`, file === undefined ? {} : { file });
  };
  let h: number, w: number, channelsLast = true;
  if (channels === 1 && s.length === 2) [h, w] = s as [number, number];
  else if (s.length === 3 && s[2] === channels) [h, w] = s as [number, number];
  else if (channels === 1 && s.length === 3 && s[0] === 1) { [, h, w] = s as [number, number, number]; channelsLast = false; }
  else return bad();
  if (arr.data.length !== h * w * channels) {
    throw new Diff2in1Error('label', `${what} array of shape [${s.join(', ')}] has ${arr.data.length} values`, file === undefined ? {} : { file });
  }
  return { h, w, channelsLast };
}

/** `{ file }` for Diff2in1Error options, or `{}` when the source has no file name. */
export function fileOpt(file: string | undefined): { file?: string } {
  return file === undefined ? {} : { file };
}
