// Label file → label, per task and on-disk encoding. Every label PNG goes through @diff2in1/tensor's stored-sample
// decoder (readPngSamples), so palette indices, 16-bit depth and grey ids are read exactly as PIL / cv2 -1 read them.
import type { ClassCodecOptions, ClassLabel, DenseLabel } from '@diff2in1/tasks';
import {
  decodeClassArray, decodeClassPng, decodeDepthArray, decodeDepthPng, decodeNormalsArray, decodeNormalsPng,
  decodeSaliencyPng, ignoreIfNoParts,
} from '@diff2in1/tasks';
import { readNpy, readPngSamples } from '@diff2in1/tensor';

/** Normals PNG (rgb/255·2−1, black invalid); palette PNGs are expanded to colours, as cv2.imread does. */
export async function readNormalsPng(file: string): Promise<DenseLabel> {
  return decodeNormalsPng(await readPngSamples(file, { palette: 'rgb' }), { file });
}

/** Normals .npy [H, W, 3] float (MTI-Net / ATRC NYUD-MT); zero vectors invalid. */
export async function readNormalsNpy(file: string): Promise<DenseLabel> {
  return decodeNormalsArray(await readNpy(file), { file });
}

/** Depth 16-bit PNG in millimetres; 0 invalid. */
export async function readDepthPng(file: string): Promise<DenseLabel> {
  return decodeDepthPng(await readPngSamples(file), { file });
}

/** Depth .npy float metres (NYUD-MT); ≤ 0 invalid. */
export async function readDepthNpy(file: string): Promise<DenseLabel> {
  return decodeDepthArray(await readNpy(file), { file });
}

/** Class-id PNG (grey or palette indices) under a stored-value convention. */
export async function readClassPng(file: string, opts: Omit<ClassCodecOptions, 'file'>): Promise<ClassLabel> {
  return decodeClassPng(await readPngSamples(file), { ...opts, file });
}

/** Class-id .npy. */
export async function readClassNpy(file: string, opts: Omit<ClassCodecOptions, 'file'>): Promise<ClassLabel> {
  return decodeClassArray(await readNpy(file), { ...opts, file });
}

/** Human-parts PNG: plain ids; images with no part pixel are wholly ignored (InvPT AddIgnoreRegions). */
export async function readPartsPng(file: string, numClasses = 7): Promise<ClassLabel> {
  return ignoreIfNoParts(await readClassPng(file, { numClasses }));
}

/** Saliency PNG, binarised at v/255 > 0.5. */
export async function readSaliencyPng(file: string): Promise<DenseLabel> {
  return decodeSaliencyPng(await readPngSamples(file), { file });
}
