// The model stages end to end on a tiny run (64×64 toyworld, tiny SD), each checked against a second computation:
// eval's metrics vs @diff2in1/self-improver's own evaluate(); the official 180/3.14 angle unit as the closed-form
// rescaling of the exact one; predict's output vs eval's prediction of the same image; warmup-only's θW metrics vs
// the same θW evaluated in diff2in1 mode.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStableDiffusion } from '@diff2in1/backbone-sd';
import { openFolder } from '@diff2in1/datasets';
import { FeatureExtractor, Predictor, SampleSource, buildModel, evaluate, modelSpecOf } from '@diff2in1/self-improver';
import { getTask } from '@diff2in1/tasks';
import { readRawImage, readSafetensors } from '@diff2in1/tensor';
import { validateConfig } from '../config/load.js';
import { readMetrics } from '../metrics.js';
import { runStages } from '../pipeline.js';
import { RunDir } from '../run-dir.js';
import { STAGE_DEFINITIONS, planPipeline } from '../stage-definitions.js';
import { StageRegistry } from '../stages.js';
import { createDataStage, readDataManifest } from './data.js';
import { IMPLEMENTATIONS } from './implementations.js';

const registry = (): StageRegistry => new StageRegistry(STAGE_DEFINITIONS).with({ ...IMPLEMENTATIONS, data: createDataStage({ workers: 1 }) });
const raw = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  run: { device: 'cpu', threads: 1 },
  data: { imageSize: { height: 64, width: 64 }, counts: { train: 6, test: 3 } },
  head: { id: 'bae', options: { preset: 'small' } },
  caption: { captioner: 'scene' },
  warmup: { iterations: 3, batchSize: 2, featureCache: false, checkpointEvery: 2 },
  synthesis: { steps: 4, maxSamples: 3 },
  selfImprove: { iterations: 3, batchSize: 2, K: 2, alpha: 0.9, checkpointEvery: 2 },
  eval: { batchSize: 2 },
  report: { grids: 2 },
  ...extra,
});

describe('model stages on a tiny run', () => {
  it('train → eval metrics equal the self-improver\'s evaluate(); angle units; predict = eval; generate; warmup-only', async () => {
    const root = mkdtempSync(join(tmpdir(), 'stages-'));
    const runDir = RunDir.create(root);
    const config = validateConfig(raw(), { runDir: root });
    await runStages({ registry: registry(), runDir, config, stages: planPipeline(config), quiet: true });
    const entries = readMetrics(root).entries.filter((e) => e.stage === 'eval');
    expect(entries.map((e) => `${e.mode}/${e.model}/${e.task}/${e.split}`).sort()).toEqual(['diff2in1/creation/normals/test', 'diff2in1/exploitation/normals/test', 'diff2in1/warmup/normals/test']);

    // 1. The package's evaluate() on θW and θC, from its own SampleSource, gives the same numbers.
    const sd = await loadStableDiffusion('tiny', { device: 'cpu', threads: 1 });
    const spec = modelSpecOf({ head: 'bae', headOptions: { preset: 'small' }, adapter: { kind: 'eq9' }, taps: 'vpd' });
    const model = buildModel(sd, spec, [64, 64], config.run.seed);
    const predictor = await Predictor.create(model, { device: 'cpu', intraOpThreads: 1 });
    const test = await openFolder(join(root, 'data/toyworld'), { split: 'test', tasks: ['normals'] });
    const source = new SampleSource(test, new FeatureExtractor(sd, { taps: 'vpd', timestep: 0, prompt: '', seed: config.run.seed }), [64, 64]);
    for (const role of ['warmup', 'creation'] as const) {
      const m = await evaluate(predictor, readSafetensors(join(root, `checkpoints/${role}.safetensors`)), source, { batchSize: 3 });
      const mine = entries.find((e) => e.model === role)!.metrics;
      const ref = m['normals'] as { mean: number; median: number; rmse: number; within: Record<string, number> };
      expect(mine['mean']).toBeCloseTo(ref.mean, 4);
      expect(mine['median']).toBeCloseTo(ref.median, 4);
      expect(mine['rmse']).toBeCloseTo(ref.rmse, 4);
      expect(mine['within.11.25']).toBeCloseTo(ref.within['11.25']!, 4);
    }
    await predictor.release();
    await sd.dispose();

    // 2. eval.angleUnit "official-3.14": degrees are the exact ones × π / 3.14 (evaluation.py's 180/3.14).
    const official = validateConfig(raw({ eval: { batchSize: 2, angleUnit: 'official-3.14' } }), { runDir: root });
    await runStages({ registry: registry(), runDir, config: official, stages: ['eval'], quiet: true });
    const again = readMetrics(root).entries.find((e) => e.stage === 'eval' && e.model === 'warmup')!.metrics;
    const exact = entries.find((e) => e.model === 'warmup')!.metrics;
    for (const k of ['mean', 'median', 'rmse']) expect(again[k]! / exact[k]!).toBeCloseTo(Math.PI / 3.14, 6);

    // 3. predict on the first test image = eval's θC prediction of it (same features: index 0, no cache).
    const id = readDataManifest(root).splits.test.ids[0]!;
    const out = join(root, 'pred');
    await runStages({ registry: registry(), runDir, config, stages: ['predict'], args: { input: [join(root, 'data/toyworld/images', `${id}.png`)], out }, quiet: true });
    const evalPic = await readRawImage(join(root, `samples/eval/${id}-normals-creation.png`));
    const vis = await readRawImage(join(out, `${id}-normals-vis.png`));
    expect([vis.width, vis.height]).toEqual([128, 64]); // input | prediction
    const right = new Uint8Array(64 * 64 * 3);
    for (let y = 0; y < 64; y++) right.set(vis.data.subarray((y * 128 + 64) * 3, (y * 128 + 128) * 3), y * 64 * 3);
    expect(Buffer.from(right).equals(Buffer.from(evalPic.data))).toBe(true);
    const label = getTask('normals').codec.decodePng(await readRawImage(join(out, `${id}-normals.png`)), {});
    expect(label.value.shape).toEqual([3, 64, 64]);

    // 4. generate: RGB + label pairs from noise with θC, and a grid for the report.
    await runStages({ registry: registry(), runDir, config, stages: ['generate'], args: { count: 2, prompt: ['a room with a red box'] }, quiet: true });
    const gen = JSON.parse(readFileSync(join(root, 'samples/generated/grid.json'), 'utf8')) as { rows: { images: string[]; caption: string }[] };
    expect(gen.rows).toHaveLength(2);
    expect(gen.rows[0]!.caption).toBe('a room with a red box');
    for (const r of gen.rows) for (const img of r.images) expect(existsSync(join(root, img))).toBe(true);
    const rgb = await readRawImage(join(root, 'samples/generated/gen_0000.png'));
    expect([rgb.width, rgb.height, rgb.channels]).toEqual([64, 64, 3]);

    // 5. warmup-only: data → warmup → eval → report; θW unchanged, so its metrics equal diff2in1 mode's θW ones.
    const only = validateConfig(raw({ selfImprove: { mode: 'warmup-only', iterations: 3 } }), { runDir: root });
    const outcomes = await runStages({ registry: registry(), runDir, config: only, stages: planPipeline(only), quiet: true });
    expect(outcomes.map((o) => `${o.stage}:${o.status}`)).toEqual(['data:skipped', 'warmup:skipped', 'eval:ran', 'report:ran']);
    const w = readMetrics(root).entries.find((e) => e.stage === 'eval' && e.mode === 'warmup-only')!;
    expect(w.model).toBe('warmup');
    expect(w.metrics).toEqual(exact);
  });
});
