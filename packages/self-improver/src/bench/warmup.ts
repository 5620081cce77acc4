// pnpm bench → bench/results/warmup.json: warm-up seconds per iteration with and without the fp16 feature cache,
// measured in the same process on the same data and settings (toyworld normals, tiny SD, Bae 'small' head).
//   cached:   epoch 0 computes and stores features (UNet + VAE), epochs ≥ 1 read them back (positional reads)
//   uncached: every epoch runs the VAE encoder and the UNet again
// Environment: BENCH_SIZE (128), BENCH_TRAIN (64), BENCH_EPOCHS (3), BENCH_BATCH (8), BENCH_THREADS (2), BENCH_SD ('tiny').
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFolder } from '@diff2in1/datasets';
import { loadStableDiffusion } from '@diff2in1/backbone-sd';
import { exportDataset } from '@diff2in1/toyworld';
import { writeFileAtomicSync } from '@diff2in1/tensor';
import { runWarmup, type WarmupResult } from '../warmup.js';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const size = env('BENCH_SIZE', 128), nTrain = env('BENCH_TRAIN', 64), epochs = env('BENCH_EPOCHS', 3), batch = env('BENCH_BATCH', 8), threads = env('BENCH_THREADS', 2);
const sdSource = process.env.BENCH_SD ?? 'tiny';
const root = mkdtempSync(join(tmpdir(), 'd2i-bench-warmup-'));
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
try {
  const data = join(root, 'toy');
  await exportDataset({ layout: 'folder', out: data, count: nTrain, testCount: 0, width: size, height: size, seed: 0, workers: 1 });
  const train = await openFolder(data, { split: 'train', tasks: ['normals'] });
  const sd = await loadStableDiffusion(sdSource, { device: 'cpu', threads, cacheDir: join(root, 'sd-cache') });
  const run = (cache: boolean): Promise<WarmupResult> => runWarmup({
    backbone: sd, train, out: join(root, cache ? 'cached' : 'uncached'), cache: cache ? join(root, 'features') : false, epochs, batchSize: batch,
    model: { headOptions: { preset: 'small' } }, session: { device: 'cpu', intraOpThreads: threads }, evalEvery: 0, quiet: true,
  });
  const load0 = loadavg()[0];
  const uncached = await run(false);
  const cached = await run(true);
  await sd.dispose();
  const later = (r: WarmupResult) => r.secondsPerIteration.laterEpochs ?? NaN;
  const result = {
    benchmark: 'warmup',
    description: `warm-up iterations on toyworld ${size}×${size} (${nTrain} train, batch ${batch}, ${epochs} epochs) with the ${sdSource} SD (vpd taps, eq9 adapter, Bae 'small' head); epoch 0 of the cached run fills the fp16 cache, later epochs read it`,
    date: new Date().toISOString(),
    platform: `${process.platform}/${process.arch}`, node: process.version, cores: cpus().length, threads, loadAverageAtStart: load0,
    secondsPerIteration: {
      withCache: later(cached),
      withoutCache: later(uncached),
      withCacheFirstEpoch: cached.secondsPerIteration.firstEpoch ?? null,
    },
    speedup: later(uncached) / later(cached),
    breakdown: { withCache: cached.breakdown.laterEpochs, withoutCache: uncached.breakdown.laterEpochs, cacheFill: cached.breakdown.firstEpoch },
    cache: cached.cache,
    note: 'seconds per iteration over epochs ≥ 1 (epoch 0 includes graph compilation); load = images + labels + features (backbone or cache), step = the compiled train step',
  };
  writeFileAtomicSync(join(repo, 'bench', 'results', 'warmup.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
