// Test helpers: the committed golden files and max-abs-error comparison.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor, readSafetensors } from '@diff2in1/tensor';

export const fixture = (rel: string): string => fileURLToPath(new URL(`../fixtures/${rel}`, import.meta.url));

export function golden(name: 'unet' | 'unet-odd' | 'vae' | 'clip-text'): Record<string, Tensor> {
  return readSafetensors(fixture(`golden/${name}.safetensors`));
}

/** Prompts of golden/clip-text.safetensors (its metadata). */
export const CLIP_PROMPTS = [
  '', 'a photo of a cat',
  'an indoor scene of a cluttered living room with a grey sofa, two wooden chairs, a glass coffee table, bookshelves full of books, a television, potted plants by the window, framed paintings on the walls, a rug on the floor, warm evening light, highly detailed photograph',
];

export function f32(t: Tensor | undefined): Tensor<'float32'> {
  if (!t || t.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${t?.dtype}`);
  return t as Tensor<'float32'>;
}

/** Max |a − b|; throws when the shapes differ. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.shape.join(',') !== b.shape.join(',')) throw new Error(`shape [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs((a.data[i] as number) - (b.data[i] as number)));
  return m;
}

/** Rows [start, start + n) of a tensor along axis 0. */
export function rows(t: Tensor<'float32'>, start: number, n = 1): Tensor<'float32'> {
  const per = t.size / t.shape[0]!;
  return new Tensor('float32', [n, ...t.shape.slice(1)], t.data.slice(start * per, (start + n) * per));
}

/** Golden timesteps (int64) as numbers. */
export function timesteps(t: Tensor): number[] {
  return Array.from(t.data as BigInt64Array, Number);
}

/** A fresh temp directory for a compile cache. */
export function tempCache(tag: string): string {
  return mkdtempSync(join(tmpdir(), `d2i-sd-${tag}-`));
}
