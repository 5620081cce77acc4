#!/usr/bin/env node
// Issue 6's acceptance run from one command: toyworld normals (128×128, 200 train / 100 test) → frozen tiny SD
// features → adapter + Bae head warm-up → test metrics against the "predict the training set's mean normal"
// baseline. Writes <out>/warmup-toyworld.json and prints the figures.
//
//   node packages/self-improver/dist/bin/warmup-toyworld.js [--out DIR] [--size 128] [--train 200] [--test 100]
//        [--epochs N] [--batch 8] [--lr 0.000357] [--sd tiny|toy-pretrained|DIR] [--taps vpd|all] [--adapter eq9|sn-module]
//        [--preset small|official] [--latent sample|mean] [--threads 2] [--seed 0] [--no-cache]
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { openFolder } from '@diff2in1/datasets';
import { loadStableDiffusion, type TapSetName } from '@diff2in1/backbone-sd';
import { exportDataset } from '@diff2in1/toyworld';
import { writeFileAtomicSync } from '@diff2in1/tensor';
import { meanNormalBaseline } from '../evaluate.js';
import { oneCycleLr } from '../lr-schedule.js';
import { ensureToyPretrainedSd } from '../toy-sd.js';
import { runWarmup, summarize } from '../warmup.js';
import type { LatentMode } from '../features.js';
import type { Augmentation } from '../schedule.js';

const { values: a } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/warmup-toyworld' },
    data: { type: 'string' },
    size: { type: 'string', default: '128' },
    train: { type: 'string', default: '200' },
    test: { type: 'string', default: '100' },
    epochs: { type: 'string', default: '20' },
    iterations: { type: 'string' },
    batch: { type: 'string', default: '8' },
    lr: { type: 'string', default: '0.000357' },
    sd: { type: 'string', default: 'tiny' },
    taps: { type: 'string', default: 'vpd' },
    adapter: { type: 'string', default: 'eq9' },
    preset: { type: 'string', default: 'small' },
    latent: { type: 'string', default: 'sample' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    'eval-every': { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
    augment: { type: 'string', default: 'none' },
    recipe: { type: 'string', default: 'official' },
    channels: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  process.stdout.write('usage: warmup-toyworld [--out DIR] [--size 128] [--train 200] [--test 100] [--epochs 20] [--batch 8] [--lr 0.000357]\n' +
    '         [--sd tiny|toy-pretrained|DIR] [--taps vpd|all] [--adapter eq9|sn-module] [--preset small|official] [--latent sample|mean]\n' +
    '         [--threads 2] [--seed 0] [--eval-every N] [--no-cache] [--augment none|hflip|hflip+color] [--recipe official|bae] [--channels JSON (Bae channels)] [--data DIR (an existing toyworld folder export)]\n');
  process.exit(0);
}
const num = (k: keyof typeof a): number => Number(a[k]);
const out = resolve(a.out!);
const size = num('size');
const data = a.data ? resolve(a.data) : join(out, `toyworld-${size}-${num('train')}-${num('test')}`);
if (!existsSync(join(data, 'splits', 'test.txt'))) {
  process.stderr.write(`making toyworld ${size}×${size}: ${num('train')} train / ${num('test')} test → ${data}\n`);
  await exportDataset({ layout: 'folder', out: data, count: num('train'), testCount: num('test'), width: size, height: size, seed: num('seed') });
}
const train = await openFolder(data, { split: 'train', tasks: ['normals'] });
const test = await openFolder(data, { split: 'test', tasks: ['normals'] });
const threads = num('threads');
// --sd toy-pretrained: the toy-pretrained tiny SD beside the run (made on first use, ~1 h on 2 cores; reused after).
const sdSource = a.sd === 'toy-pretrained' ? (await ensureToyPretrainedSd({ dir: join(out, '..', 'toy-sd'), session: { device: 'cpu', intraOpThreads: threads } })).dir : a.sd!;
const sd = await loadStableDiffusion(sdSource, { device: 'cpu', threads });
const baseline = await meanNormalBaseline(train, test);
process.stderr.write(`baseline (training set's mean normal [${baseline.meanNormal.map((x) => x.toFixed(3)).join(', ')}]): mean ${(baseline.metrics.mean as number).toFixed(2)}°\n`);
if (a.recipe !== 'official' && a.recipe !== 'bae') throw new Error(`--recipe '${a.recipe}' is unknown; one of: official, bae`);
const total = a.iterations ? num('iterations') : num('epochs') * Math.floor(train.length / num('batch'));
const recipe = a.recipe === 'bae'
  ? { optimizer: 'adamw' as const, weightDecay: 0.01, lr: oneCycleLr({ total, maxLr: num('lr') }) }
  : { lr: num('lr') };
const t0 = performance.now();
const r = await runWarmup({
  backbone: sd, train, test, out: join(out, 'warmup'),
  cache: a['no-cache'] ? false : join(out, 'feature-cache'),
  batchSize: num('batch'), ...recipe, seed: num('seed'),
  ...(a.iterations ? { iterations: num('iterations') } : { epochs: num('epochs') }),
  ...(a['eval-every'] ? { evalEvery: num('eval-every') } : {}),
  model: { taps: a.taps as TapSetName, adapter: { kind: a.adapter as 'eq9' | 'sn-module' }, headOptions: { preset: a.preset, ...(a.channels ? { channels: JSON.parse(a.channels) as unknown } : {}) } },
  augment: a.augment as Augmentation,
  features: { latentMode: a.latent as LatentMode },
  session: { device: 'cpu', intraOpThreads: threads },
});
const wall = (performance.now() - t0) / 1000;
await sd.dispose();
const mean = (r.metrics?.normals as { mean: number } | undefined)?.mean ?? NaN;
const base = baseline.metrics.mean as number;
const summary = {
  command: process.argv.slice(1).join(' '), data, sd: sdSource, size, train: train.length, test: test.length,
  settings: { epochs: a.iterations ? null : num('epochs'), iterations: r.iterations, batch: num('batch'), lr: num('lr'), taps: a.taps, adapter: a.adapter, preset: a.preset, channels: a.channels ? JSON.parse(a.channels) as unknown : null, augment: a.augment, recipe: a.recipe, latent: a.latent, seed: num('seed'), threads },
  baseline: { meanNormal: baseline.meanNormal, metrics: baseline.metrics },
  warmup: { metrics: r.metrics, secondsPerIteration: r.secondsPerIteration, wallSeconds: wall, weights: r.weights },
  acceptance: { meanError: mean, baselineMeanError: base, ratio: base / mean, atMost20deg: mean <= 20, atLeast2xBetter: base / mean >= 2 },
};
writeFileAtomicSync(join(out, 'warmup-toyworld.json'), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`warm-up: ${r.metrics ? summarize(r.metrics) : 'no metrics'}\nbaseline mean ${base.toFixed(2)}° → ratio ${(base / mean).toFixed(2)}×; ≤ 20°: ${mean <= 20}; ≥ 2× better: ${base / mean >= 2}\n${join(out, 'warmup-toyworld.json')}\n`);
