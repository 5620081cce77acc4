// Depth labels, in metres, 0 = no measurement.
//
// PNG: 16-bit grey in millimetres (the NYUv2 convention of BTS' extract_official_train_test_set_from_mat.py,
// depth·1000 → uint16, and of eval_with_pngs.py, png/1000). 0 = invalid.
// .npy (NYUD-MT `depth/*.npy`, MTI-Net / ATRC / InvPT): float metres [H, W] or [H, W, 1]; 0, negative or
// non-finite = invalid (InvPT AddIgnoreRegions maps depth 0 to the ignore value).
import type { RawImage } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';
import type { DenseLabel } from '../labels.js';
import { checkDenseLabel } from '../labels.js';
import type { CodecOptions, NumericArray } from './array.js';
import { elementAt, fileOpt, planeShape } from './array.js';

export interface DepthPngOptions extends CodecOptions {
  /** Stored units per metre (default 1000: millimetres). */
  unitsPerMetre?: number;
}

/** Decodes a 16-bit grey depth PNG (mm) to a [1, H, W] label in metres; 0 → invalid. */
export function decodeDepthPng(raw: RawImage, opts: DepthPngOptions = {}): DenseLabel {
  const { width: w, height: h, channels, bitDepth, data } = raw;
  if (bitDepth !== 16 || channels !== 1) {
    throw new Diff2in1Error('label', `depth PNG must be 16-bit grey (millimetres), got ${bitDepth}-bit with ${channels} channel(s)`, fileOpt(opts.file));
  }
  const scale = opts.unitsPerMetre ?? 1000;
  const hw = h * w;
  const value = new Float32Array(hw);
  const valid = new Uint8Array(hw);
  for (let p = 0; p < hw; p++) {
    const mm = data[p] as number;
    value[p] = mm / scale;
    valid[p] = mm > 0 ? 1 : 0;
  }
  return { value: new Tensor('float32', [1, h, w], value), valid: new Tensor('bool', [h, w], valid) };
}

/** Decodes a float depth array in metres ([H, W], [H, W, 1] or [1, H, W]); ≤ 0 or non-finite → invalid. */
export function decodeDepthArray(arr: NumericArray, opts: CodecOptions = {}): DenseLabel {
  const { h, w } = planeShape(arr, 1, 'depth', opts.file);
  const hw = h * w;
  const value = new Float32Array(hw);
  const valid = new Uint8Array(hw);
  for (let p = 0; p < hw; p++) {
    const d = elementAt(arr.data, p);
    const ok = Number.isFinite(d) && d > 0;
    value[p] = ok ? d : 0;
    valid[p] = ok ? 1 : 0;
  }
  return { value: new Tensor('float32', [1, h, w], value), valid: new Tensor('bool', [h, w], valid) };
}

/**
 * Encodes a depth label as a 16-bit grey PNG in millimetres (round to nearest mm), invalid → 0. Throws for a
 * valid depth that does not fit (below 0.5 mm reads back as invalid; above 65.535 m overflows).
 */
export function encodeDepthPng(label: DenseLabel, opts: DepthPngOptions = {}): RawImage {
  checkDenseLabel(label, 1, 'depth');
  const [, h, w] = label.value.shape as [number, number, number];
  const scale = opts.unitsPerMetre ?? 1000;
  const hw = h * w;
  const out = new Uint16Array(hw);
  const v = label.value.data;
  const ok = label.valid.data;
  for (let p = 0; p < hw; p++) {
    if (!ok[p]) continue;
    const q = Math.round((v[p] as number) * scale);
    if (!(q >= 1 && q <= 65535)) {
      throw new Diff2in1Error('label', `valid depth ${v[p]} m at pixel (${Math.floor(p / w)}, ${p % w}) does not fit a 16-bit PNG at ${scale} units/m (range ${1 / scale}..${65535 / scale} m)`, fileOpt(opts.file));
    }
    out[p] = q;
  }
  return { width: w, height: h, channels: 1, bitDepth: 16, data: out };
}
