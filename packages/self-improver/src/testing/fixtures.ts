// Test fixtures: a small toyworld folder dataset (exact normals) made once per process, and the tiny SD.
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFolder, type Dataset } from '@diff2in1/datasets';
import { exportDataset } from '@diff2in1/toyworld';
import { loadStableDiffusion, type StableDiffusion } from '@diff2in1/backbone-sd';

const made = new Map<string, Promise<string>>();

/** A toyworld folder dataset of `train` + `test` images at size×size (cached per process). */
export function toyFolder(size: number, train: number, test: number, seed = 0): Promise<string> {
  const key = `${size}/${train}/${test}/${seed}`;
  let p = made.get(key);
  if (!p) {
    const out = join(mkdtempSync(join(tmpdir(), 'd2i-si-toy-')), 'toy');
    p = exportDataset({ layout: 'folder', out, count: train, testCount: test, width: size, height: size, seed, samples: 1, workers: 1 }).then(() => out);
    made.set(key, p);
  }
  return p;
}

export async function toySplits(size: number, train: number, test: number): Promise<{ root: string; train: Dataset; test: Dataset }> {
  const root = await toyFolder(size, train, test);
  return { root, train: await openFolder(root, { split: 'train', tasks: ['normals'] }), test: await openFolder(root, { split: 'test', tasks: ['normals'] }) };
}

let sd: Promise<StableDiffusion> | undefined;
/** The committed tiny SD (random seeded weights), compiled once per process into a temp cache, 1 thread. */
export function tinySd(): Promise<StableDiffusion> {
  const cacheDir = process.env.DIFF2IN1_TEST_CACHE ?? join(tmpdir(), 'd2i-si-sd-cache');
  return (sd ??= loadStableDiffusion('tiny', { device: 'cpu', threads: 1, cacheDir }));
}

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `d2i-si-${prefix}-`));
}

export { existsSync };
