import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openFolder } from '@diff2in1/datasets';
import { readJsonl } from '@diff2in1/tensor';
import { runWarmup } from './warmup.js';
import { runSelfImprove } from './self-improve.js';
import { tinySd, tmp, toyFolder, toySplits } from './testing/fixtures.js';

const session = { device: 'cpu' as const, intraOpThreads: 1 };
const model = { headOptions: { preset: 'small' } };

describe('self-improving stage', () => {
  test('diff2in1 mode runs with EMA every 4 samples', async () => {
    const { train, test: testSet } = await toySplits(32, 8, 4);
    // Stand-in synthetic images: another toyworld draw (labels ignored: the stage reads images only).
    const synRoot = await toyFolder(32, 8, 0, 7);
    const synthetic = await openFolder(synRoot, { split: 'train', tasks: [] });
    const sd = await tinySd();
    const out = tmp('si');
    const w = await runWarmup({ backbone: sd, train, out: join(out, 'warmup'), batchSize: 2, iterations: 4, lr: 1e-3, model, session, quiet: true });
    const t0 = performance.now();
    const r = await runSelfImprove({ mode: 'diff2in1', backbone: sd, train, synthetic, test: testSet, warmup: w.state, out: join(out, 'si'), batchSize: 2, iterations: 6, ema: { everySamples: 4 }, model, session, quiet: true });
    console.log('self-improve 6 it', ((performance.now() - t0) / 1000).toFixed(1), 's', r.emaUpdates, r.metrics);
    expect(r.emaUpdates).toBe(3);
    const log = readJsonl<{ iteration: number; real: number; synthetic: number; ema: boolean }>(join(out, 'si', 'log.jsonl'));
    expect(log.map((l) => l.ema)).toEqual([false, true, false, true, false, true]);
    expect(log.every((l) => l.real + l.synthetic === 2)).toBe(true);
  }, 300_000);
});
