// toyImage: scene + render + caption in one call; its labels as @diff2in1/tasks labels (encoded to files with
// the tasks codecs, the same ones the dataset readers decode with); RGB and stored label ids as RawImages.
import type { DenseLabel, Labels } from '@diff2in1/tasks';
import { encodeNormalsPng } from '@diff2in1/tasks';
import type { RawImage } from '@diff2in1/tensor';
import { Tensor } from '@diff2in1/tensor';
import { captionOf, visibleObjects } from './caption.js';
import type { ClassInfo, ObjectKind } from './classes.js';
import { IGNORE_INDEX, PART_CLASSES, SEMANTIC_CLASSES } from './classes.js';
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

/** A [H, W] bool tensor from a 0/1 mask (copied), or all true. */
function validOf(h: number, w: number, mask?: Uint8Array): Tensor<'bool'> {
  const t = new Tensor('bool', [h, w]);
  if (mask) t.data.set(mask);
  else t.data.fill(1);
  return t;
}

/** The rendered normals as a @diff2in1/tasks label: value [3, H, W] (from HWC), valid where a surface was hit. */
export function normalsLabel(img: { width: number; height: number; normals: Float32Array; valid: Uint8Array }): DenseLabel {
  const { width: w, height: h } = img;
  const hw = w * h;
  const value = new Tensor('float32', [3, h, w]);
  for (let p = 0; p < hw; p++) for (let c = 0; c < 3; c++) value.data[c * hw + p] = img.normals[3 * p + c] as number;
  return { value, valid: validOf(h, w, img.valid) };
}

/**
 * Every label of a rendered image as @diff2in1/tasks labels — what a dataset reader returns for its exported
 * files, before 8/16-bit quantisation: normals [3, H, W]; depth [1, H, W] metres; semseg (255 where no surface,
 * invalid there); parts (all valid; 0 off persons); saliency [1, H, W] in {0, 1}.
 */
export function toyLabels(img: RenderResult): Required<Labels> {
  const { width: w, height: h } = img;
  const semseg = new Tensor('int32', [h, w], Int32Array.from(img.semantic));
  const semValid = validOf(h, w);
  for (let p = 0; p < w * h; p++) if (img.semantic[p] === IGNORE_INDEX) semValid.data[p] = 0;
  return {
    normals: normalsLabel(img),
    depth: { value: new Tensor('float32', [1, h, w], img.depth.slice()), valid: validOf(h, w, img.valid) },
    semseg: { value: semseg, valid: semValid },
    parts: { value: new Tensor('int32', [h, w], Int32Array.from(img.parts)), valid: validOf(h, w) },
    saliency: { value: new Tensor('float32', [1, h, w], Float32Array.from(img.saliency)), valid: validOf(h, w) },
  };
}

/**
 * Normals → 8-bit RGB as in Bae et al.'s NYUv2 release: rgb = round((n + 1) / 2 · 255) per channel, (0, 0, 0)
 * where invalid (@diff2in1/tasks encodeNormalsPng, the codec every reader decodes with).
 */
export function normalsToRaw(img: { width: number; height: number; normals: Float32Array; valid: Uint8Array }): RawImage {
  return encodeNormalsPng(normalsLabel(img));
}
