// Surface-normal labels.
//
// PNG: rgb/255·2 − 1 per channel, invalid where r = g = b = 0. This is the decoding of Bae et al.
// (baegwangbin/surface_normal_uncertainty, data/dataloader_nyu.py: norm_valid_mask = not(all three channels
// 0); norm = (rgb/255)·2 − 1) and of the official Diff-2-in-1 code (ldm/data/nyu.py: sn = rgb/255·2 − 1,
// mask = sum(rgb) ≠ 0). Neither renormalises the decoded vectors, so we do not either: 8-bit quantisation
// leaves |n| within ~0.5% of 1, and every evaluation normalises both vectors before taking the angle
// (torch.cosine_similarity in Bae et al.'s validate(); normal_ize in MTI-Net's eval_normals).
// Frame: as the files store it (Bae et al.'s NYUv2 maps: x left, y up, z towards the camera, per
// @diff2in1/toyworld's analysis). x is the horizontal axis either way, so a left-right flip negates x.
//
// .npy (MTI-Net / ATRC NYUD-MT `normals/*.npy`): float [H, W, 3], invalid where the vector is zero
// (MTI-Net eval_normals: valid = ‖n‖ ≠ 0; InvPT AddIgnoreRegions: norm = 0 → ignore).
import type { RawImage } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor, roundHalfEven } from '@diff2in1/tensor';
import type { DenseLabel } from '../labels.js';
import { checkDenseLabel } from '../labels.js';
import type { CodecOptions, NumericArray } from './array.js';
import { elementAt, fileOpt, planeShape } from './array.js';

/** Decodes an RGB(A) normals PNG (8- or 16-bit; alpha ignored) to a [3, H, W] label. */
export function decodeNormalsPng(raw: RawImage, opts: CodecOptions = {}): DenseLabel {
  const { width: w, height: h, channels: c, bitDepth, data } = raw;
  if (c < 3) {
    throw new Diff2in1Error('label', `normals PNG must be RGB (3 or 4 channels), got ${c} channel(s)`, fileOpt(opts.file));
  }
  const max = bitDepth === 16 ? 65535 : 255;
  const hw = h * w;
  const value = new Float32Array(3 * hw);
  const valid = new Uint8Array(hw);
  for (let p = 0; p < hw; p++) {
    const r = data[p * c] as number, g = data[p * c + 1] as number, b = data[p * c + 2] as number;
    value[p] = (r / max) * 2 - 1;
    value[hw + p] = (g / max) * 2 - 1;
    value[2 * hw + p] = (b / max) * 2 - 1;
    valid[p] = r !== 0 || g !== 0 || b !== 0 ? 1 : 0;
  }
  return { value: new Tensor('float32', [3, h, w], value), valid: new Tensor('bool', [h, w], valid) };
}

/** Decodes a float normals array [H, W, 3] (channels last, as numpy stores them); zero or non-finite → invalid. */
export function decodeNormalsArray(arr: NumericArray, opts: CodecOptions = {}): DenseLabel {
  const { h, w } = planeShape(arr, 3, 'normals', opts.file);
  const hw = h * w;
  const value = new Float32Array(3 * hw);
  const valid = new Uint8Array(hw);
  for (let p = 0; p < hw; p++) {
    const x = elementAt(arr.data, 3 * p), y = elementAt(arr.data, 3 * p + 1), z = elementAt(arr.data, 3 * p + 2);
    value[p] = x; value[hw + p] = y; value[2 * hw + p] = z;
    valid[p] = Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z) && (x !== 0 || y !== 0 || z !== 0) ? 1 : 0;
  }
  return { value: new Tensor('float32', [3, h, w], value), valid: new Tensor('bool', [h, w], valid) };
}

/**
 * Encodes a normals label as 8-bit RGB: round((n+1)/2·255) (half to even, clamped), invalid → black. Throws
 * if a valid pixel would encode to black, which would read back as invalid.
 */
export function encodeNormalsPng(label: DenseLabel, opts: CodecOptions = {}): RawImage {
  checkDenseLabel(label, 3, 'normals');
  const [, h, w] = label.value.shape as [number, number, number];
  const hw = h * w;
  const v = label.value.data;
  const ok = label.valid.data;
  const out = new Uint8Array(3 * hw);
  for (let p = 0; p < hw; p++) {
    if (!ok[p]) continue;
    let sum = 0;
    for (let c = 0; c < 3; c++) {
      const x = ((v[c * hw + p] as number) + 1) * 0.5 * 255;
      const q = x > 0 ? (x < 255 ? roundHalfEven(x) : 255) : 0;
      out[3 * p + c] = q;
      sum += q;
    }
    if (sum === 0) {
      throw new Diff2in1Error('label', `valid normal at pixel (${Math.floor(p / w)}, ${p % w}) encodes to black (0,0,0), which means "invalid" in this format`, fileOpt(opts.file));
    }
  }
  return { width: w, height: h, channels: 3, bitDepth: 8, data: out };
}
