// loadStableDiffusion: a diffusers folder (graphs compiled from its configs and weights), an ONNX export in the
// diffusers / optimum layout, or 'tiny' — the committed tiny fixture (src/fixtures/tiny-sd), for tests and demos.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Diff2in1Error } from '@diff2in1/tensor';
import { loadCompiledStableDiffusion } from './compiled-sd.js';
import { isOnnxExport, loadOnnxExportStableDiffusion } from './onnx-export-sd.js';
import type { LoadStableDiffusionOptions, StableDiffusion } from './stable-diffusion.js';

/** Named fixtures accepted as `source`. */
export const SD_FIXTURES = { tiny: 'tiny-sd', 'tiny-onnx': 'tiny-sd-onnx' } as const;

/** The folder of a committed fixture, from src/ (tests) or dist/ (built package run inside the repository). */
export function fixtureDir(name: keyof typeof SD_FIXTURES): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, 'fixtures'), join(here, '..', 'src', 'fixtures')]) {
    const d = join(dir, SD_FIXTURES[name]);
    if (existsSync(d)) return d;
  }
  throw new Diff2in1Error('sd-folder', `the '${name}' fixture is not installed (it lives in the repository's packages/backbone-sd/src/fixtures/${SD_FIXTURES[name]})`);
}

/**
 * Loads Stable Diffusion from `source`: a diffusers folder, an ONNX export folder (unet/model.onnx present), or
 * 'tiny' / 'tiny-onnx' (the committed fixtures). Nothing is compiled or run until first use.
 */
export async function loadStableDiffusion(source: string, opts: LoadStableDiffusionOptions = {}): Promise<StableDiffusion> {
  await Promise.resolve();
  const dir = source === 'tiny' || source === 'tiny-onnx' ? fixtureDir(source) : resolve(source);
  return isOnnxExport(dir) ? loadOnnxExportStableDiffusion(dir, opts, source) : loadCompiledStableDiffusion(dir, opts, source);
}
