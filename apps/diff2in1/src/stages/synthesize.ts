// The synthesize stage (paper §4.2): synthetic RGB images → samples/synthetic/ in the folder format (images/,
// captions.json, splits/train.txt, plus the job's job.json and manifest.jsonl). They carry no labels: the
// self-improving stage labels them on the fly with θC.
//   synthesis.mode 'partial' (diff2in1, da-fusion): @diff2in1/synthesis runSynthesisJob over the training split, each
//     image conditioned on its caption from captions/ — noise to T, DDIM, decode; resumable item by item.
//   synthesis.mode 'noise' (gna): generateFromNoise for each item (glue here: the package's job has no from-noise
//     mode), prompts = the training captions in turn; resumable item by item (images are written atomically).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadStableDiffusion } from '@diff2in1/backbone-sd';
import type { Dataset, Sample } from '@diff2in1/datasets';
import { resizeSample } from '@diff2in1/datasets';
import type { LoadedModel } from '@diff2in1/synthesis';
import { generateFromNoise, imagePath, readJobFile, readManifest, runSynthesisJob, sampleSeed } from '@diff2in1/synthesis';
import { Diff2in1Error, tensorToRaw, writeFileAtomicSync, writePng } from '@diff2in1/tensor';
import type { Diff2in1Config } from '../config/finalize.js';
import type { StageContext } from '../stages.js';
import { ARTIFACTS } from '../stages.js';
import { backboneOptions } from './backbone.js';
import { CAPTIONS_FILE } from './caption.js';
import { openRunDataset } from './data.js';

/** The run's captions (captions/captions.json, written by the caption stage). */
export function readRunCaptions(ctx: StageContext): Map<string, string> {
  const p = ctx.path(CAPTIONS_FILE);
  if (!existsSync(p)) throw new Diff2in1Error('run-dir', `${CAPTIONS_FILE} is missing: run \`diff2in1 caption\` first`, { file: p });
  return new Map(Object.entries(JSON.parse(readFileSync(p, 'utf8')) as Record<string, string>));
}

/** The dataset with each sample's caption replaced by the run's caption of it (a missing one is an error). */
export function withCaptions(ds: Dataset, captions: ReadonlyMap<string, string>, file: string): Dataset {
  const missing = ds.ids.filter((id) => !captions.has(id));
  if (missing.length) {
    throw new Diff2in1Error('run-dir', `${missing.length} training image(s) have no caption, e.g. ${missing.slice(0, 3).join(', ')}; re-run \`diff2in1 caption\``, { file });
  }
  return Object.assign(Object.create(ds) as Dataset, {
    async get(index: number): Promise<Sample> {
      const s = await ds.get(index);
      return { ...s, caption: captions.get(s.id) as string };
    },
  });
}

/** Synthetic images to make: synthesis.maxSamples, else every training image × samplesPerImage. */
export function synthesisCount(config: Diff2in1Config, trainCount: number): number {
  const all = trainCount * config.synthesis.samplesPerImage;
  return Math.min(all, config.synthesis.maxSamples ?? all);
}

/** The official code resizes sources to 512×512 before creation (ldm/data/nyu.py); other policies keep them. */
function sourceSize(config: Diff2in1Config): [number, number] | undefined {
  return config.data.resize === 'official-512' ? [config.data.imageSize.height, config.data.imageSize.width] : undefined;
}

function interrupted(ctx: StageContext, e: unknown): never {
  if (ctx.signal.aborted) throw new Diff2in1Error('interrupted', 'synthesis interrupted; finished images are kept and the same command resumes', { cause: e });
  throw e;
}

async function partial(ctx: StageContext, out: string, ds: Dataset): Promise<void> {
  const { synthesis } = ctx.config;
  const k = synthesis.samplesPerImage;
  const count = synthesisCount(ctx.config, ds.length);
  const limit = Math.ceil(count / k);
  const p = ctx.progress('synthesis', limit * k);
  const size = sourceSize(ctx.config);
  // Items a killed attempt finished count as done from the start (the job skips them).
  let done = readJobFile(out) ? readManifest(out).records.length : 0;
  p.update(done);
  try {
    const summary = await runSynthesisJob({
      model: ctx.config.backbone.model,
      loadModel: (source) => loadStableDiffusion(source, backboneOptions(ctx.config)) as Promise<LoadedModel>,
      data: withCaptions(ds, readRunCaptions(ctx), ctx.path(CAPTIONS_FILE)),
      out,
      samplesPerImage: k,
      ...(synthesis.strength !== undefined ? { strength: synthesis.strength } : { T: synthesis.T ?? 600 }),
      steps: synthesis.steps,
      scheduler: synthesis.scheduler,
      eta: synthesis.eta,
      guidanceScale: synthesis.guidanceScale,
      negativePrompt: synthesis.negativePrompt,
      seed: synthesis.seed,
      ...(size ? { size } : {}),
      limit,
      quiet: true,
      log: (m) => ctx.info(m),
      signal: ctx.signal,
      onItem: (r) => {
        p.update(++done);
        ctx.log({ event: 'sample', id: r.id, source: r.source, caption: r.caption, seconds: r.seconds });
      },
    });
    p.done();
    ctx.log({ event: 'info', message: 'synthesis finished', generated: summary.generated, skipped: summary.skipped, modelHash: summary.modelHash });
    ctx.info(`synthesis: ${summary.items} images (${summary.generated} new, ${summary.skipped} kept), T = ${synthesis.T ?? `strength ${synthesis.strength}`}, ${synthesis.steps}-step ${synthesis.scheduler}`);
  } catch (e) {
    interrupted(ctx, e);
  }
}

async function fromNoise(ctx: StageContext, out: string, ds: Dataset): Promise<void> {
  const { synthesis, data } = ctx.config;
  const captions = readRunCaptions(ctx);
  const prompts = ds.ids.map((id) => captions.get(id) ?? '');
  const count = synthesisCount(ctx.config, ds.length);
  // Item i: prompt of training image i mod n (its k-th use), seed hashed from (seed, 'noise', i) — order-free.
  const items = Array.from({ length: count }, (_, i) => ({ id: `noise_${String(i).padStart(6, '0')}`, prompt: prompts[i % prompts.length] as string, i }));
  const todo = items.filter((it) => !existsSync(imagePath(out, it.id)));
  const p = ctx.progress('synthesis (from noise)', count);
  p.update(count - todo.length);
  if (todo.length) {
    const sd = await loadStableDiffusion(ctx.config.backbone.model, backboneOptions(ctx.config));
    try {
      for (const it of todo) {
        if (ctx.signal.aborted) interrupted(ctx, new Error('aborted'));
        const t0 = performance.now();
        const res = await generateFromNoise(sd, {
          prompt: it.prompt, height: data.imageSize.height, width: data.imageSize.width, steps: synthesis.steps,
          scheduler: synthesis.scheduler, eta: synthesis.eta, guidanceScale: synthesis.guidanceScale,
          negativePrompt: synthesis.negativePrompt, seed: sampleSeed(BigInt(synthesis.seed), 'noise', it.i),
        });
        await writePng(imagePath(out, it.id), res.image);
        ctx.log({ event: 'sample', id: it.id, caption: it.prompt, seconds: +((performance.now() - t0) / 1000).toFixed(3) });
        p.tick(1);
      }
    } finally {
      await sd.dispose();
    }
  }
  p.done();
  // The folder format (as the job's merge writes it): captions.json and splits/train.txt.
  const caps: Record<string, string> = {};
  for (const it of items) caps[it.id] = it.prompt;
  writeFileAtomicSync(join(out, 'captions.json'), `${JSON.stringify(caps, null, 1)}\n`);
  writeFileAtomicSync(join(out, 'splits', 'train.txt'), `${items.map((it) => it.id).join('\n')}\n`);
  ctx.info(`synthesis: ${count} images from Gaussian noise (${todo.length} new), ${synthesis.steps}-step ${synthesis.scheduler}`);
}

/** A grid of real | synthetic for the report (the eval stage adds θC's labels in samples/pairs/). */
async function writeSynthesisGrid(ctx: StageContext, out: string, ds: Dataset): Promise<void> {
  const rows = [];
  const dir = 'samples/synthesis';
  const captions = readRunCaptions(ctx);
  const n = Math.min(ctx.config.report.grids, ds.length);
  for (let i = 0; i < n; i++) {
    const id = ds.ids[i] as string;
    const synthetic = ctx.config.synthesis.mode === 'partial' ? `${id}_k0` : `noise_${String(i).padStart(6, '0')}`;
    if (!existsSync(imagePath(out, synthetic))) continue;
    let s = await ds.get(i);
    const size = sourceSize(ctx.config);
    if (size) s = resizeSample(s, size, 'official');
    const real = `${dir}/${id}-real.png`;
    await writePng(ctx.path(real), tensorToRaw(s.image, { range: '0-1' }));
    rows.push({
      label: id,
      caption: ctx.config.synthesis.mode === 'partial' ? (captions.get(id) ?? '') : 'from Gaussian noise',
      images: [ctx.config.synthesis.mode === 'partial' ? real : null, `${ARTIFACTS.synthetic}images/${synthetic}.png`],
    });
  }
  ctx.writeGrid('synthesis', {
    title: ctx.config.synthesis.mode === 'partial' ? `Data creation: real → synthetic (T = ${ctx.config.synthesis.T ?? ctx.config.synthesis.strength})` : 'Data creation from Gaussian noise (GNA)',
    columns: ['real', 'synthetic'],
    rows,
    order: 20,
  });
}

export async function runSynthesize(ctx: StageContext): Promise<void> {
  const out = ctx.path(ARTIFACTS.synthetic);
  // A fresh attempt (settings or inputs changed) starts from an empty folder: the job refuses other settings.
  if (!ctx.resume) {
    rmSync(out, { recursive: true, force: true });
    rmSync(ctx.path('samples/synthesis'), { recursive: true, force: true });
  }
  const ds = await openRunDataset(ctx.runDir.root, 'train', []);
  if (ctx.config.synthesis.mode === 'partial') await partial(ctx, out, ds);
  else await fromNoise(ctx, out, ds);
  await writeSynthesisGrid(ctx, out, ds);
}
