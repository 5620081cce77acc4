// Label / prediction → 8-bit RGB pictures, written as PNG.
import type { RawImage, Tensor } from '@diff2in1/tensor';
import { Diff2in1Error, writePng } from '@diff2in1/tensor';
import { IGNORE_INDEX } from '../labels.js';
import { turbo, vocPalette } from './colormaps.js';

function planeDims(t: Tensor, channels: number, what: string): [number, number] {
  const ok = channels === 1 ? t.rank === 2 || (t.rank === 3 && t.shape[0] === 1) : t.rank === 3 && t.shape[0] === channels;
  if (!ok) throw new Diff2in1Error('visualize', `${what} must be ${channels === 1 ? '[H, W] or [1, H, W]' : `[${channels}, H, W]`}, got [${t.shape.join(', ')}]`);
  return [t.shape[t.rank - 2] as number, t.shape[t.rank - 1] as number];
}

function isValid(valid: Tensor<'bool'> | undefined, p: number): boolean {
  return valid === undefined || valid.data[p] !== 0;
}

/** Normals [3, H, W] → RGB as (n+1)/2·255 (rounded, clamped); invalid pixels black (the dataset encoding). */
export function normalsToRgb(normals: Tensor, valid?: Tensor<'bool'>): RawImage {
  const [h, w] = planeDims(normals, 3, 'normals');
  const hw = h * w;
  const out = new Uint8Array(3 * hw);
  for (let p = 0; p < hw; p++) {
    if (!isValid(valid, p)) continue;
    for (let c = 0; c < 3; c++) {
      const v = (((normals.data[c * hw + p] as number) + 1) / 2) * 255;
      out[3 * p + c] = Number.isNaN(v) ? 0 : Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return { width: w, height: h, channels: 3, bitDepth: 8, data: out };
}

export interface DepthColourOptions {
  /** Depth mapped to the start of the colour map (default 0 m). */
  min?: number;
  /** Depth mapped to the end of the colour map (default 10 m, NYUv2's range). A fixed range keeps pictures comparable. */
  max?: number;
}

/** Depth [1, H, W] or [H, W] (metres) → Turbo colours over a fixed [min, max]; invalid pixels black. */
export function depthToRgb(depth: Tensor, valid?: Tensor<'bool'>, opts: DepthColourOptions = {}): RawImage {
  const [h, w] = planeDims(depth, 1, 'depth');
  const lo = opts.min ?? 0, hi = opts.max ?? 10;
  if (!(hi > lo)) throw new Diff2in1Error('visualize', `depth colour range needs max > min, got [${lo}, ${hi}]`);
  const out = new Uint8Array(3 * h * w);
  for (let p = 0; p < h * w; p++) {
    if (!isValid(valid, p)) continue;
    const rgb = turbo(((depth.data[p] as number) - lo) / (hi - lo));
    out.set(rgb, 3 * p);
  }
  return { width: w, height: h, channels: 3, bitDepth: 8, data: out };
}

/** Class ids [H, W] → palette colours (default: PASCAL VOC); invalid pixels take the ignore index's colour. */
export function classesToRgb(ids: Tensor, valid?: Tensor<'bool'>, opts: { palette?: readonly (readonly number[])[]; ignoreIndex?: number } = {}): RawImage {
  const [h, w] = planeDims(ids, 1, 'class ids');
  const palette = opts.palette ?? vocPalette(256);
  const ignore = opts.ignoreIndex ?? IGNORE_INDEX;
  const out = new Uint8Array(3 * h * w);
  for (let p = 0; p < h * w; p++) {
    const raw = ids.data[p] as number | bigint;
    const id = isValid(valid, p) ? Number(raw) : ignore;
    const colour = palette[id];
    if (colour === undefined) throw new Diff2in1Error('visualize', `class id ${id} at pixel (${Math.floor(p / w)}, ${p % w}) has no colour; the palette has ${palette.length} entries`);
    out[3 * p] = colour[0] as number;
    out[3 * p + 1] = colour[1] as number;
    out[3 * p + 2] = colour[2] as number;
  }
  return { width: w, height: h, channels: 3, bitDepth: 8, data: out };
}

/** Saliency probabilities / labels [1, H, W] or [H, W] in 0..1 → grey 0..255; invalid pixels black. */
export function saliencyToGrey(sal: Tensor, valid?: Tensor<'bool'>): RawImage {
  const [h, w] = planeDims(sal, 1, 'saliency');
  const out = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p++) {
    const v = (sal.data[p] as number) * 255;
    out[p] = isValid(valid, p) && !Number.isNaN(v) ? Math.min(255, Math.max(0, Math.round(v))) : 0;
  }
  return { width: w, height: h, channels: 1, bitDepth: 8, data: out };
}

/** Writes a visualisation PNG (atomically). */
export async function writeVisualization(path: string, image: RawImage): Promise<void> {
  await writePng(path, image);
}
