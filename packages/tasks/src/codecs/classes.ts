// Class-id labels (semantic segmentation, human parts).
//
// Stored conventions, each turned into ids 0..numClasses−1 plus the ignore index (255) and a valid mask:
//  'plain'  — the value is the id; `ignoreIndex` (255) = ignore. PASCAL-Context MT semseg
//             (semseg/VOC12|pascal-context/*.png, 21 classes incl. background) and our folder format.
//  'nyudmt' — 0 = void, id = value − 1. NYUD-MT 40-class segmentation as MTI-Net
//             (data/nyud.py _load_semseg: 0 → 256, then −1) and ATRC/InvPT (value − 1, −1 → 255) read it.
//  'ade20k' — mmseg's reduce_zero_label: 0 → 255 (ignore), id = value − 1, and 255 stays 255
//             (mmseg LoadAnnotations: label[label == 0] = 255; label −= 1; label[label == 254] = 255).
// A stored value that maps outside 0..numClasses−1 (and is not ignore) is an error naming the file, the value
// and how many pixels carry it: a wrong number of classes must never pass silently.
import type { RawImage } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor, choices } from '@diff2in1/tensor';
import type { ClassLabel } from '../labels.js';
import { IGNORE_INDEX, checkClassLabel } from '../labels.js';
import type { CodecOptions, NumericArray } from './array.js';
import { elementAt, fileOpt, planeShape } from './array.js';

export type ClassConvention = 'plain' | 'nyudmt' | 'ade20k';
/** The stored-value conventions classLabelFromValues understands (see the file comment). */
export const CLASS_CONVENTIONS: readonly ClassConvention[] = ['plain', 'nyudmt', 'ade20k'];

export interface ClassCodecOptions extends CodecOptions {
  /** Number of classes (ids 0..numClasses−1). */
  numClasses: number;
  /** How stored values map to ids (default 'plain'). */
  convention?: ClassConvention;
  /** The ignore value, stored and decoded (default 255). */
  ignoreIndex?: number;
}

/** Maps stored values (one per pixel, row-major [H, W]) to a class label. */
export function classLabelFromValues(values: ArrayLike<number> | NumericArray['data'], h: number, w: number, opts: ClassCodecOptions): ClassLabel {
  const convention = opts.convention ?? 'plain';
  if (!CLASS_CONVENTIONS.includes(convention)) {
    throw new Diff2in1Error('label', `class convention '${String(convention)}' is not valid; ${choices(CLASS_CONVENTIONS)}`, fileOpt(opts.file));
  }
  const n = opts.numClasses;
  if (!Number.isSafeInteger(n) || n < 1) throw new Diff2in1Error('label', `numClasses must be a positive integer, got ${n}`, fileOpt(opts.file));
  const ignore = opts.ignoreIndex ?? IGNORE_INDEX;
  if (ignore >= 0 && ignore < n) throw new Diff2in1Error('label', `ignoreIndex ${ignore} collides with class ids 0..${n - 1}`, fileOpt(opts.file));
  const hw = h * w;
  const value = new Int32Array(hw);
  const valid = new Uint8Array(hw);
  const bad = new Map<number, number>();
  const data = values as NumericArray['data'];
  for (let p = 0; p < hw; p++) {
    const v = elementAt(data, p);
    let id: number;
    if (convention === 'plain') id = v === ignore ? -1 : v;
    else if (convention === 'nyudmt') id = v === 0 ? -1 : v - 1;
    else id = v === 0 || v === 255 ? -1 : v - 1;
    if (id === -1) { value[p] = ignore; continue; }
    if (!(Number.isInteger(id) && id >= 0 && id < n)) { bad.set(v, (bad.get(v) ?? 0) + 1); value[p] = ignore; continue; }
    value[p] = id;
    valid[p] = 1;
  }
  if (bad.size > 0) {
    const list = [...bad.entries()].sort((a, b) => a[0] - b[0]).slice(0, 8).map(([v, c]) => `${v} (${c} px)`).join(', ');
    throw new Diff2in1Error('label', `label values out of range for ${n} classes with convention '${convention}' (ignore ${ignore}): ${list}${bad.size > 8 ? ', ...' : ''}`, fileOpt(opts.file));
  }
  return { value: new Tensor('int32', [h, w], value), valid: new Tensor('bool', [h, w], valid) };
}

/** Decodes a one-channel label PNG (grey, or palette indices as PIL reads them) to a class label. */
export function decodeClassPng(raw: RawImage, opts: ClassCodecOptions): ClassLabel {
  if (raw.channels !== 1) {
    throw new Diff2in1Error('label', `class-id PNG must have one channel (grey or palette indices), got ${raw.channels}; an RGB colour-coded label cannot be read as ids`, fileOpt(opts.file));
  }
  return classLabelFromValues(raw.data, raw.height, raw.width, opts);
}

/** Decodes an integer array [H, W] (or [H, W, 1]) of stored values to a class label. */
export function decodeClassArray(arr: NumericArray, opts: ClassCodecOptions): ClassLabel {
  const { h, w } = planeShape(arr, 1, 'class-id', opts.file);
  return classLabelFromValues(arr.data, h, w, opts);
}

/** Encodes a class label as a grey PNG of plain ids (8-bit when every value fits, else 16-bit); invalid → ignore. */
export function encodeClassPng(label: ClassLabel, opts: { ignoreIndex?: number; file?: string } = {}): RawImage {
  checkClassLabel(label, 'class label');
  const [h, w] = label.value.shape as [number, number];
  const ignore = opts.ignoreIndex ?? IGNORE_INDEX;
  const v = label.value.data;
  const ok = label.valid.data;
  let max = ignore;
  for (let p = 0; p < v.length; p++) {
    if (!ok[p]) continue;
    const id = v[p] as number;
    if (id < 0 || id === ignore) throw new Diff2in1Error('label', `valid pixel (${Math.floor(p / w)}, ${p % w}) has id ${id}, which cannot be stored (ignore index ${ignore})`, fileOpt(opts.file));
    if (id > max) max = id;
  }
  if (max > 65535) throw new Diff2in1Error('label', `class id ${max} does not fit a 16-bit PNG`, fileOpt(opts.file));
  const out = max <= 255 ? new Uint8Array(h * w) : new Uint16Array(h * w);
  for (let p = 0; p < out.length; p++) out[p] = ok[p] ? (v[p] as number) : ignore;
  return { width: w, height: h, channels: 1, bitDepth: max <= 255 ? 8 : 16, data: out };
}

/**
 * InvPT's rule for human parts (data/transforms.py AddIgnoreRegions): an image whose part label holds only
 * background or ignore has no part annotation at all, so every pixel becomes ignore. Returns a new label.
 */
export function ignoreIfNoParts(label: ClassLabel, ignoreIndex = IGNORE_INDEX): ClassLabel {
  const v = label.value.data;
  const ok = label.valid.data;
  for (let p = 0; p < v.length; p++) if (ok[p] && v[p] !== 0) return label;
  const value = new Tensor('int32', label.value.shape);
  value.data.fill(ignoreIndex);
  return { value, valid: new Tensor('bool', label.valid.shape) };
}
