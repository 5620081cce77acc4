// Shared pieces of the dataset layouts: items, file encoders, label helpers.
import sharp from 'sharp';
import { encodePng } from '@diff2in1/tensor';
import type { RawImage } from '@diff2in1/tensor';
import type { ToyImage } from '../toy-image.js';

export type LayoutName = 'folder' | 'nyuv2' | 'nyudmt' | 'pascal' | 'ade20k';
export const LAYOUT_NAMES: readonly LayoutName[] = ['folder', 'nyuv2', 'nyudmt', 'pascal', 'ade20k'];

/** One image of an export: train items use scene indices 0..N−1, test items N..N+M−1. */
export interface ExportItem {
  split: 'train' | 'test';
  /** Position within its split (0-based). */
  ordinal: number;
  /** Scene index passed to makeScene(seed, index). */
  index: number;
}

export interface LayoutContext {
  seed: number;
  width: number;
  height: number;
  /** NYUD-MT flavour: 'invpt' (InvPT/ATRC: PNG images, normals and edges) or 'mtinet' (MTI-Net: JPEG images, .npy normals and edges). */
  variant: 'invpt' | 'mtinet';
  jpegQuality: number;
}

/** What an item leaves for the index files: its caption and layout-specific facts (kept in a sidecar). */
export interface ItemMeta {
  caption: string;
  /** PASCAL: VOC category of each object in human_parts/<id>.mat (ImageSets/Parts). */
  partObjects?: number[];
}

export interface Layout {
  name: LayoutName;
  /** Paths (relative to the output directory) that item writes; all present = item done. */
  files(item: ExportItem, ctx: LayoutContext): string[];
  /** The encoded files of one item (keyed by the paths `files` lists) and its meta. */
  encode(item: ExportItem, img: ToyImage, ctx: LayoutContext): Promise<{ files: Map<string, Uint8Array>; meta: ItemMeta }>;
  /** Index files (split lists, captions, class tables), from every item's meta. */
  finish(items: readonly ExportItem[], metas: readonly ItemMeta[], ctx: LayoutContext): Map<string, Uint8Array | string>;
}

export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export async function png(raw: RawImage): Promise<Uint8Array> {
  return new Uint8Array(await encodePng(raw));
}

/** Baseline JPEG, 4:4:4 chroma (no colour bleeding across label edges), at `quality`. */
export async function jpeg(img: { width: number; height: number; rgb: Uint8Array }, quality: number): Promise<Uint8Array> {
  const buf = await sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:4:4' })
    .toBuffer();
  return new Uint8Array(buf);
}

/** captions.json: {"<id>": "<caption>"} for every item, in item order (the folder format's captions file). */
export function captionsJson(items: readonly ExportItem[], metas: readonly ItemMeta[], idOf: (item: ExportItem) => string): string {
  const caps: Record<string, string> = {};
  items.forEach((it, k) => { caps[idOf(it)] = (metas[k] as ItemMeta).caption; });
  return JSON.stringify(caps, null, 1) + '\n';
}

/** One line per entry, each ended by '\n'. */
export function lines(items: readonly string[]): string {
  return items.map((s) => `${s}\n`).join('');
}

/**
 * Binary edge map (0/255): a pixel is an edge when its right or lower neighbour has a different label or a
 * different object instance (a one-pixel-wide boundary).
 */
export function edgeMap(width: number, height: number, labels: ArrayLike<number>, instance: Uint8Array): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const p = j * width + i;
      const l = labels[p], k = instance[p];
      if ((i + 1 < width && (labels[p + 1] !== l || instance[p + 1] !== k)) || (j + 1 < height && (labels[p + width] !== l || instance[p + width] !== k))) out[p] = 255;
    }
  }
  return out;
}
