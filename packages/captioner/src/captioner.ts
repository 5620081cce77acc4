// The one captioning interface every kind implements (none, template, scene, transformers.js, BLIP-2), and the
// image inputs it accepts.
import { basename, extname } from 'node:path';
import { Diff2in1Error, checkRawImage, convertBitDepth, convertChannels, readRawImage } from '@diff2in1/tensor';
import type { RawImage } from '@diff2in1/tensor';

/** An image to caption: a file path (PNG, JPEG, ...) or decoded pixels. */
export type ImageInput = string | RawImage;

export interface CaptionOptions {
  /**
   * Dataset ids of the images, one per image. Captioners that look captions up (scene) need them for RawImage
   * inputs; for paths the id defaults to the file name without its extension.
   */
  ids?: readonly string[];
  /** Upper bound on generated tokens per caption (generative captioners). */
  maxNewTokens?: number;
}

/** Images in, one caption per image out (same order). */
export interface Captioner {
  /**
   * Identifies the captioner and its settings, e.g. 'none', 'template:a photo', 'transformers:vit-gpt2'. Stored
   * next to each caption in captions.meta.json so a dataset records which captioner wrote which caption.
   */
  readonly id: string;
  caption(images: readonly ImageInput[], opts?: CaptionOptions): Promise<string[]>;
  /** Releases sessions / model memory. The captioner must not be used afterwards. */
  dispose(): Promise<void>;
}

/** The id of an image: `opts.ids[i]` if given, else the file name without extension for a path. */
export function imageId(image: ImageInput, index: number, opts: CaptionOptions | undefined): string | undefined {
  const given = opts?.ids?.[index];
  if (given !== undefined) return given;
  return typeof image === 'string' ? basename(image, extname(image)) : undefined;
}

/** Checks that `opts.ids`, when given, has one id per image. */
export function checkIds(images: readonly ImageInput[], opts: CaptionOptions | undefined, who: string): void {
  if (opts?.ids !== undefined && opts.ids.length !== images.length) {
    throw new Diff2in1Error('captioner', `${who}: caption() got ${images.length} images but ${opts.ids.length} ids (give one id per image)`);
  }
}

/** Decodes an ImageInput to 8-bit RGB pixels (grey is replicated, alpha dropped, 16-bit rounded to 8). */
export async function loadRgb8(image: ImageInput): Promise<RawImage> {
  let raw: RawImage;
  if (typeof image === 'string') {
    raw = await readRawImage(image);
  } else {
    checkRawImage(image, 'caption image');
    raw = image;
  }
  return convertChannels(convertBitDepth(raw, 8), 3);
}
