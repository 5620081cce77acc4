import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readJsonl } from '@diff2in1/tensor';
import { runWarmup } from './warmup.js';
import { tinySd, tmp, toySplits } from './testing/fixtures.js';

const session = { device: 'cpu' as const, intraOpThreads: 1 };

describe('warm-up stage', () => {
  test('trains, logs, checkpoints and evaluates on toyworld 32×32 with the tiny SD', async () => {
    const { train, test: testSet } = await toySplits(32, 8, 4);
    const sd = await tinySd();
    const out = tmp('warmup');
    const t0 = performance.now();
    const r = await runWarmup({ backbone: sd, train, test: testSet, out, batchSize: 2, iterations: 6, lr: 1e-3, model: { headOptions: { preset: 'small' } }, session, quiet: true, checkpointEvery: 3 });
    console.log('warm-up 6 it', ((performance.now() - t0) / 1000).toFixed(1), 's', r.secondsPerIteration, r.metrics);
    expect(r.iterations).toBe(6);
    const log = readJsonl<{ iteration: number; loss: number }>(join(out, 'log.jsonl'));
    expect(log.map((l) => l.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(log.every((l) => Number.isFinite(l.loss))).toBe(true);
    expect(existsSync(join(out, 'theta_w.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'checkpoint.json'), 'utf8')).iteration).toBe(6);
  }, 300_000);
});
