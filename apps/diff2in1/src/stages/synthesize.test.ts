import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../config/load.js';
import { runStages } from '../pipeline.js';
import { RunDir } from '../run-dir.js';
import { STAGE_DEFINITIONS } from '../stage-definitions.js';
import type { StageContext } from '../stages.js';
import { StageRegistry } from '../stages.js';
import { runCaption } from './caption.js';
import { createDataStage, readDataManifest } from './data.js';
import { runSynthesize } from './synthesize.js';

const reg = (synthesize = runSynthesize): StageRegistry =>
  new StageRegistry(STAGE_DEFINITIONS).with({ data: createDataStage({ workers: 1 }), caption: runCaption, synthesize });
const base = (extra: Record<string, unknown> = {}) => ({
  data: { imageSize: { height: 64, width: 64 }, counts: { train: 3, test: 1 } },
  caption: { captioner: 'scene' },
  synthesis: { steps: 5, maxSamples: 3 },
  run: { device: 'cpu', threads: 1 },
  ...extra,
});
const readJson = (p: string): Record<string, unknown> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
const bytes = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(join(dir, 'images')).sort().map((f) => [f, readFileSync(join(dir, 'images', f)).toString('base64')]));

describe('synthesize stage', () => {
  it('partial noise: one image per training image, conditioned on the run captions; an interrupted run resumes to the same bytes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synth-'));
    const runDir = RunDir.create(root);
    const config = validateConfig(base(), { runDir: root });
    await runStages({ registry: reg(), runDir, config, stages: ['data', 'caption', 'synthesize'], quiet: true });
    const out = join(root, 'samples/synthetic');
    const ids = readDataManifest(root).splits.train.ids;
    expect(Object.keys(bytes(out))).toEqual(ids.map((id) => `${id}_k0.png`));
    // The job's folder-format captions are the caption stage's captions of each source image.
    const runCaptions = readJson(join(root, 'captions/captions.json'));
    const synthCaptions = readJson(join(out, 'captions.json'));
    for (const id of ids) expect(synthCaptions[`${id}_k0`]).toBe(runCaptions[id]);
    const job = readJson(join(out, 'job.json')) as { settings: { T: number; steps: number; seed: string } };
    expect(job.settings).toMatchObject({ T: 600, steps: 5, seed: '42' });
    const grid = readJson(join(root, 'samples/synthesis/grid.json')) as { rows: unknown[]; columns: string[] };
    expect(grid.columns).toEqual(['real', 'synthetic']);
    expect(grid.rows).toHaveLength(3);

    // Interrupt a fresh run after its first image, then resume: the same bytes as the uninterrupted run.
    const other = mkdtempSync(join(tmpdir(), 'synth-'));
    cpSync(join(root, 'data'), join(other, 'data'), { recursive: true });
    const otherDir = RunDir.create(other);
    await runStages({ registry: reg(), runDir: otherDir, config: validateConfig(base(), { runDir: other }), stages: ['data', 'caption'], quiet: true });
    const ac = new AbortController();
    const stopping = async (ctx: StageContext): Promise<void> => {
      const timer = setInterval(() => {
        if (existsSync(join(other, 'samples/synthetic/manifest.shard-0-of-1.jsonl'))) ac.abort();
      }, 5);
      try {
        await runSynthesize(ctx);
      } finally {
        clearInterval(timer);
      }
    };
    const cfg2 = validateConfig(base(), { runDir: other });
    await expect(runStages({ registry: reg(stopping), runDir: otherDir, config: cfg2, stages: ['synthesize'], quiet: true, signal: ac.signal })).rejects.toThrow(/interrupted/);
    const partial = Object.keys(bytes(join(other, 'samples/synthetic')));
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(3);
    await runStages({ registry: reg(), runDir: otherDir, config: cfg2, stages: ['synthesize'], quiet: true });
    expect(bytes(join(other, 'samples/synthetic'))).toEqual(bytes(out));
  });

  it('gna: images from Gaussian noise in the folder format, prompts from the captions in turn', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synth-'));
    const runDir = RunDir.create(root);
    const config = validateConfig(base({ selfImprove: { mode: 'gna' }, synthesis: { steps: 3, maxSamples: 4, samplesPerImage: 2 } }), { runDir: root });
    expect(config.synthesis.mode).toBe('noise');
    await runStages({ registry: reg(), runDir, config, stages: ['data', 'caption', 'synthesize'], quiet: true });
    const out = join(root, 'samples/synthetic');
    const names = Object.keys(bytes(out));
    expect(names).toEqual(['noise_000000.png', 'noise_000001.png', 'noise_000002.png', 'noise_000003.png']);
    const ids = readDataManifest(root).splits.train.ids;
    const runCaptions = readJson(join(root, 'captions/captions.json'));
    const caps = readJson(join(out, 'captions.json'));
    expect(caps['noise_000003']).toBe(runCaptions[ids[0]!]); // 4th image: the first caption again
    expect(readFileSync(join(out, 'splits/train.txt'), 'utf8').trim().split('\n')).toEqual(names.map((n) => n.replace('.png', '')));
  });
});
