#!/usr/bin/env node
// The self-improving stage on toyworld after a warm-up run (warmup-toyworld): synthesizes the synthetic images the
// modes need (partial noise at T = 600 through @diff2in1/synthesis' runSynthesisJob; from-noise for gna), then runs
// each requested mode from the same θW and writes <out>/self-improve-toyworld.json with θC / θE metrics over time.
//
//   node packages/self-improver/dist/bin/self-improve-toyworld.js --warmup-dir runs/warmup-toyworld [--modes diff2in1,da-fusion,gna]
//        [--sd tiny|DIR] [--epochs 4] [--iterations N] [--batch 4] [--eval-every 50] [--threads 2] [--seed 0]
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { openFolder } from '@diff2in1/datasets';
import { loadStableDiffusion, type TapSetName } from '@diff2in1/backbone-sd';
import { runSynthesisJob } from '@diff2in1/synthesis';
import { readJsonl, writeFileAtomicSync } from '@diff2in1/tensor';
import { synthesizeFromNoise } from '../gna.js';
import { SELF_IMPROVE_MODES, type SelfImproveMode, runSelfImprove } from '../self-improve.js';
import { summarize } from '../warmup.js';

const { values: a } = parseArgs({
  options: {
    'warmup-dir': { type: 'string', default: 'runs/warmup-toyworld' },
    out: { type: 'string' },
    modes: { type: 'string', default: 'diff2in1,da-fusion,gna' },
    epochs: { type: 'string', default: '4' },
    iterations: { type: 'string' },
    batch: { type: 'string', default: '4' },
    'eval-every': { type: 'string', default: '50' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    T: { type: 'string', default: '600' },
    steps: { type: 'string', default: '50' },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  process.stdout.write('usage: self-improve-toyworld --warmup-dir DIR [--out DIR] [--modes diff2in1,da-fusion,gna] [--epochs 4 | --iterations N] [--batch 4]\n' +
    '         [--eval-every 50] [--threads 2] [--seed 0] [--T 600] [--steps 50]\n');
  process.exit(0);
}
const wdir = resolve(a['warmup-dir']!);
const out = resolve(a.out ?? join(wdir, 'self-improve'));
// The warm-up run's settings (data, backbone, model) are reused as they were.
const w = JSON.parse(readFileSync(join(wdir, 'warmup-toyworld.json'), 'utf8')) as {
  data: string; sd: string; settings: { taps: string; adapter: string; preset: string; latent: string; seed: number };
  warmup: { weights: string };
};
const modes = a.modes!.split(',').map((m) => m.trim()) as SelfImproveMode[];
for (const m of modes) if (!(SELF_IMPROVE_MODES as readonly string[]).includes(m)) throw new Error(`--modes: '${m}' is not one of ${SELF_IMPROVE_MODES.join(', ')}`);
const threads = Number(a.threads);
const seed = Number(a.seed);
const sd = await loadStableDiffusion(w.sd, { device: 'cpu', threads });
const train = await openFolder(w.data, { split: 'train', tasks: ['normals'] });
const test = await openFolder(w.data, { split: 'test', tasks: ['normals'] });
const partial = join(out, 'synthetic-partial');
const noise = join(out, 'synthetic-noise');
if (modes.some((m) => m === 'diff2in1' || m === 'da-fusion')) {
  await runSynthesisJob({ model: sd, data: w.data, out: partial, T: Number(a.T), steps: Number(a.steps), seed });
}
if (modes.includes('gna')) await synthesizeFromNoise({ model: sd, source: train, out: noise, steps: Number(a.steps), seed });
const results: Record<string, unknown> = {};
for (const mode of modes) {
  const synthetic = await openFolder(mode === 'gna' ? noise : partial, { split: 'train', tasks: [] });
  const modeOut = join(out, mode);
  const r = await runSelfImprove({
    mode, backbone: sd, train, test, synthetic, warmup: w.warmup.weights, out: modeOut, cache: join(wdir, 'feature-cache'),
    batchSize: Number(a.batch), seed: w.settings.seed, ...(a.iterations ? { iterations: Number(a.iterations) } : { epochs: Number(a.epochs) }),
    evalEvery: Number(a['eval-every']),
    model: { taps: w.settings.taps as TapSetName, adapter: { kind: w.settings.adapter as 'eq9' | 'sn-module' }, headOptions: { preset: w.settings.preset } },
    features: { latentMode: w.settings.latent as 'sample' | 'mean' },
    session: { device: 'cpu', intraOpThreads: threads },
  });
  const curve = readJsonl<{ iteration: number; model: string; metrics: { normals?: { mean: number; median: number } } }>(join(modeOut, 'eval.jsonl'))
    .map((e) => ({ iteration: e.iteration, model: e.model, mean: e.metrics.normals?.mean, median: e.metrics.normals?.median }));
  results[mode] = { iterations: r.iterations, emaUpdates: r.emaUpdates, final: r.metrics.final, creation: r.metrics.creation, exploitation: r.metrics.exploitation, curve, seconds: r.seconds };
  process.stdout.write(`${mode}: ${r.metrics.final ? summarize(r.metrics.final) : 'no metrics'}${r.metrics.creation && r.metrics.exploitation ? ` (θC ${summarize(r.metrics.creation)} | θE ${summarize(r.metrics.exploitation)})` : ''}\n`);
}
await sd.dispose();
const warm = readJsonl<{ metrics: unknown }>(join(wdir, 'warmup', 'eval.jsonl')).at(-1)?.metrics;
writeFileAtomicSync(join(out, 'self-improve-toyworld.json'), `${JSON.stringify({ command: process.argv.slice(1).join(' '), warmup: { dir: wdir, metrics: warm }, modes: results }, null, 2)}\n`);
process.stdout.write(`${join(out, 'self-improve-toyworld.json')}\n`);
