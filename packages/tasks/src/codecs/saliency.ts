// Saliency labels: binary {0, 1} as [1, H, W].
//
// PNG: grey 0..255, salient where v/255 > 0.5 — PASCAL-Context `sal_distill` as MTI-Net and InvPT read it
// (data/pascal_context.py _load_sal_distilled: (png/255 > 0.5)). So 8-bit values ≥ 128 are salient.
// These files have no ignore value; every pixel is valid.
import type { RawImage } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';
import type { DenseLabel } from '../labels.js';
import { checkDenseLabel } from '../labels.js';
import type { CodecOptions, NumericArray } from './array.js';
import { elementAt, fileOpt, planeShape } from './array.js';

/** Decodes a one-channel saliency PNG (8- or 16-bit) to a binary [1, H, W] label; all pixels valid. */
export function decodeSaliencyPng(raw: RawImage, opts: CodecOptions = {}): DenseLabel {
  const { width: w, height: h, channels, bitDepth, data } = raw;
  if (channels !== 1) throw new Diff2in1Error('label', `saliency PNG must have one channel, got ${channels}`, fileOpt(opts.file));
  const max = bitDepth === 16 ? 65535 : 255;
  const value = new Float32Array(h * w);
  for (let p = 0; p < value.length; p++) value[p] = (data[p] as number) / max > 0.5 ? 1 : 0;
  const valid = new Tensor('bool', [h, w]);
  valid.data.fill(1);
  return { value: new Tensor('float32', [1, h, w], value), valid };
}

/** Decodes a saliency array in 0..1 ([H, W] or [H, W, 1]): > 0.5 salient; non-finite → invalid. */
export function decodeSaliencyArray(arr: NumericArray, opts: CodecOptions = {}): DenseLabel {
  const { h, w } = planeShape(arr, 1, 'saliency', opts.file);
  const value = new Float32Array(h * w);
  const valid = new Uint8Array(h * w);
  for (let p = 0; p < value.length; p++) {
    const v = elementAt(arr.data, p);
    valid[p] = Number.isFinite(v) ? 1 : 0;
    value[p] = v > 0.5 ? 1 : 0;
  }
  return { value: new Tensor('float32', [1, h, w], value), valid: new Tensor('bool', [h, w], valid) };
}

/**
 * Encodes a binary saliency label as 8-bit grey (0 / 255). The format has no ignore value, so a label with
 * invalid pixels is an error rather than a silent "not salient".
 */
export function encodeSaliencyPng(label: DenseLabel, opts: CodecOptions = {}): RawImage {
  checkDenseLabel(label, 1, 'saliency');
  const [, h, w] = label.value.shape as [number, number, number];
  const out = new Uint8Array(h * w);
  const v = label.value.data;
  const ok = label.valid.data;
  for (let p = 0; p < out.length; p++) {
    if (!ok[p]) throw new Diff2in1Error('label', `saliency PNGs cannot store invalid pixels (pixel (${Math.floor(p / w)}, ${p % w}) is invalid)`, fileOpt(opts.file));
    out[p] = (v[p] as number) > 0.5 ? 255 : 0;
  }
  return { width: w, height: h, channels: 1, bitDepth: 8, data: out };
}
