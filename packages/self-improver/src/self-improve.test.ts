import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { type Dataset, openFolder } from '@diff2in1/datasets';
import { type StableDiffusion } from '@diff2in1/backbone-sd';
import { Tensor, readJsonl } from '@diff2in1/tensor';
import { runWarmup } from './warmup.js';
import { runSelfImprove, toLabels } from './self-improve.js';
import { tinySd, tmp, toyFolder, toySplits } from './testing/fixtures.js';

const session = { device: 'cpu' as const, intraOpThreads: 1 };
const model = { headOptions: { preset: 'small' } };
let sd: StableDiffusion, train: Dataset, testSet: Dataset, synthetic: Dataset, thetaW: Record<string, Tensor>, cache: string;

const same = (a: Record<string, Tensor>, b: Record<string, Tensor>): boolean =>
  Object.keys(a).every((k) => Array.from(a[k]!.data as Float32Array).every((v, i) => Object.is(v, (b[k]!.data as Float32Array)[i])));

beforeAll(async () => {
  ({ train, test: testSet } = await toySplits(32, 8, 4));
  // Stand-in synthetic images: another toyworld draw (labels ignored: the stage reads images only).
  synthetic = await openFolder(await toyFolder(32, 8, 0, 7), { split: 'train', tasks: [] });
  sd = await tinySd();
  const root = tmp('si');
  cache = join(root, 'cache');
  thetaW = (await runWarmup({ backbone: sd, train, out: join(root, 'warmup'), cache, batchSize: 2, iterations: 4, lr: 1e-3, model, session, quiet: true })).state;
}, 300_000);

const run = (o: Partial<Parameters<typeof runSelfImprove>[0]> & { mode: Parameters<typeof runSelfImprove>[0]['mode'] }) =>
  runSelfImprove({ backbone: sd, train, synthetic, warmup: thetaW, out: tmp('si-run'), cache, batchSize: 2, iterations: 4, lr: 1e-3, model, session, quiet: true, evalEvery: 0, ...o });

describe('self-improving stage', () => {
  test('diff2in1: pool batches, EMA every 4 samples, θC and θE evaluated', async () => {
    const out = tmp('si-d2i');
    const r = await run({ mode: 'diff2in1', test: testSet, out, iterations: 6, ema: { everySamples: 4 }, evalEvery: 3 });
    expect(r.emaUpdates).toBe(3);
    const log = readJsonl<{ iteration: number; real: number; synthetic: number; ema: boolean }>(join(out, 'log.jsonl'));
    expect(log.map((l) => l.ema)).toEqual([false, true, false, true, false, true]);
    expect(log.every((l) => l.real + l.synthetic === 2)).toBe(true);
    expect(log.some((l) => l.synthetic > 0) && log.some((l) => l.real > 0)).toBe(true);
    const evals = readJsonl<{ iteration: number; model: string }>(join(out, 'eval.jsonl')).map((e) => `${e.iteration}:${e.model}`);
    expect(evals).toEqual(['3:theta_e', '3:theta_c', '6:theta_e', '6:theta_c']);
    expect(r.metrics.final).toEqual(r.metrics.creation);
    expect(same(r.final, r.creation)).toBe(true);
  }, 300_000);

  test('EMA limits: α = 1 keeps θC = θW bit for bit; α = 0 makes θC = θE after an EMA on the last iteration', async () => {
    const keep = await run({ mode: 'diff2in1', ema: { alpha: 1, everySamples: 2 } });
    expect(keep.emaUpdates).toBe(4);
    expect(same(keep.creation, thetaW)).toBe(true);
    expect(same(keep.exploitation, thetaW)).toBe(false);
    const copy = await run({ mode: 'diff2in1', ema: { alpha: 0, everySamples: 8 } });
    expect(copy.emaUpdates).toBe(1);
    expect(same(copy.creation, copy.exploitation)).toBe(true);
  }, 300_000);

  test('da-fusion: no EMA (θC stays θW), final = θE; m + n mixing; warmup-only hands θW on', async () => {
    const out = tmp('si-daf');
    const d = await run({ mode: 'da-fusion', out, mixing: { real: 1, synthetic: 1 } });
    expect(d.emaUpdates).toBe(0);
    expect(same(d.creation, thetaW)).toBe(true);
    expect(same(d.final, d.exploitation)).toBe(true);
    expect(readJsonl<{ real: number; synthetic: number }>(join(out, 'log.jsonl')).every((l) => l.real === 1 && l.synthetic === 1)).toBe(true);
    const w = await run({ mode: 'warmup-only', synthetic: undefined });
    expect(w.iterations).toBe(0);
    expect(same(w.final, thetaW)).toBe(true);
    await expect(run({ mode: 'gna', synthetic: undefined })).rejects.toThrow(/needs synthetic images/);
    await expect(run({ mode: 'bogus' as never })).rejects.toThrow(/one of: warmup-only, gna, da-fusion, diff2in1/);
  }, 300_000);

  test('pseudo-labels keep the raw xyz; κ masking marks pixels below the threshold invalid', () => {
    const value = new Tensor('float32', [1, 3, 1, 2], Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6));
    const confidence = new Tensor('float32', [1, 1, 1, 2], Float32Array.of(5, 50));
    const plain = toLabels({ normals: { value, confidence } });
    expect(Array.from(plain.normals!.value.data)).toEqual(Array.from(value.data));
    expect(Array.from(plain.normals!.valid.data)).toEqual([1, 1]);
    expect(Array.from(toLabels({ normals: { value, confidence } }, 10).normals!.valid.data)).toEqual([0, 1]);
  });
});
