// toyImage: scene + render + caption in one call, and the codecs that turn label arrays into the integer
// images the dataset layouts store (RawImage from @diff2in1/tensor, ready for writePng).
import type { RawImage } from '@diff2in1/tensor';
import { captionOf, visibleObjects } from './caption.js';
import type { ClassInfo, ObjectKind } from './classes.js';
import { PART_CLASSES, SEMANTIC_CLASSES } from './classes.js';
import { renderScene } from './render.js';
import type { RenderResult } from './render.js';
import { makeScene } from './scene.js';
import type { SceneOptions } from './scene.js';
import type { Scene } from './types.js';

export interface ToyImageOptions {
  width: number;
  height: number;
  /** RGB samples per axis per pixel (default 2 → 2×2). */
  samples?: number;
  /** Depth range of the simulated sensor in metres (default 10). */
  maxDepth?: number;
  scene?: SceneOptions;
}

export interface ToyObjectInfo {
  /** Value of this object in `instance`. */
  instance: number;
  kind: ObjectKind;
  colorName: string;
  /** Listed in the caption (visible in the 80×60 probe render). */
  captioned: boolean;
}

export interface ToyImage extends RenderResult {
  /** "<seed>-<index>". */
  id: string;
  seed: number;
  index: number;
  caption: string;
  classes: readonly ClassInfo[];
  partClasses: typeof PART_CLASSES;
  objects: ToyObjectInfo[];
  /** The scene that was rendered (plain data). */
  scene: Scene;
}

/** Renders image `index` of dataset `seed` with all its labels. Same arguments → byte-identical output. */
export function toyImage(seed: number, index: number, opts: ToyImageOptions): ToyImage {
  const scene = makeScene(seed, index, opts.scene);
  const r = renderScene(scene, { width: opts.width, height: opts.height, samples: opts.samples, maxDepth: opts.maxDepth });
  const visible = visibleObjects(scene);
  const vis = new Set(visible);
  return {
    ...r,
    id: scene.id,
    seed,
    index,
    caption: captionOf(visible.map((k) => scene.objects[k] as { kind: ObjectKind; colorName: string })),
    classes: SEMANTIC_CLASSES,
    partClasses: PART_CLASSES,
    objects: scene.objects.map((o, k) => ({ instance: k + 1, kind: o.kind, colorName: o.colorName, captioned: vis.has(k) })),
    scene,
  };
}

/** RGB as an 8-bit 3-channel RawImage (no copy). */
export function rgbToRaw(img: { width: number; height: number; rgb: Uint8Array }): RawImage {
  return { width: img.width, height: img.height, channels: 3, bitDepth: 8, data: img.rgb };
}

/** A one-channel label map as a RawImage (no copy): 8-bit for a Uint8Array, 16-bit for a Uint16Array. */
export function labelToRaw(width: number, height: number, labels: Uint8Array | Uint16Array): RawImage {
  return { width, height, channels: 1, bitDepth: labels instanceof Uint16Array ? 16 : 8, data: labels };
}

/**
 * Normals → 8-bit RGB as in Bae et al.'s NYUv2 release: rgb = round((n + 1) / 2 · 255) per channel, and
 * (0, 0, 0) where invalid. Decoding is rgb / 255 · 2 − 1 (error ≤ 1/255 per component).
 */
export function encodeNormals(normals: Float32Array, valid: Uint8Array): Uint8Array {
  const out = new Uint8Array(normals.length);
  for (let p = 0; p < valid.length; p++) {
    if (!valid[p]) continue;
    for (let c = 0; c < 3; c++) {
      const v = Math.round(((normals[3 * p + c] as number) + 1) * 127.5);
      out[3 * p + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/** Inverse of encodeNormals: unit-ish vectors (not renormalised) and the validity mask (any channel > 0). */
export function decodeNormals(rgb: Uint8Array): { normals: Float32Array; valid: Uint8Array } {
  const n = rgb.length / 3;
  const normals = new Float32Array(rgb.length);
  const valid = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const r = rgb[3 * p] as number, g = rgb[3 * p + 1] as number, b = rgb[3 * p + 2] as number;
    if (r === 0 && g === 0 && b === 0) continue;
    valid[p] = 1;
    normals[3 * p] = (r / 255) * 2 - 1;
    normals[3 * p + 1] = (g / 255) * 2 - 1;
    normals[3 * p + 2] = (b / 255) * 2 - 1;
  }
  return { normals, valid };
}

/** Normals as a 3-channel 8-bit RawImage (encodeNormals). */
export function normalsToRaw(img: { width: number; height: number; normals: Float32Array; valid: Uint8Array }): RawImage {
  return { width: img.width, height: img.height, channels: 3, bitDepth: 8, data: encodeNormals(img.normals, img.valid) };
}

/** Depth in metres → 16-bit millimetres (rounded; 0 = invalid; clamped to 65535). */
export function depthToMillimetres(depth: Float32Array): Uint16Array {
  const out = new Uint16Array(depth.length);
  for (let i = 0; i < depth.length; i++) {
    const mm = Math.round((depth[i] as number) * 1000);
    out[i] = mm <= 0 ? 0 : mm > 65535 ? 65535 : mm;
  }
  return out;
}

/** Depth as a 16-bit 1-channel RawImage in millimetres. */
export function depthToRaw(img: { width: number; height: number; depth: Float32Array }): RawImage {
  return { width: img.width, height: img.height, channels: 1, bitDepth: 16, data: depthToMillimetres(img.depth) };
}

/** 0/1 mask → 0/255 8-bit RawImage (saliency PNGs). */
export function maskToRaw(width: number, height: number, mask: Uint8Array): RawImage {
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] ? 255 : 0;
  return { width, height, channels: 1, bitDepth: 8, data: out };
}
