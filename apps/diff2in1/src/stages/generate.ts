// `diff2in1 generate`: multi-modal pairs from Gaussian noise with θC (paper §3.2, the generative view of the unified
// model): DDIM from N(0, I) under a prompt to a latent z̃0 (@diff2in1/synthesis generateFromNoise), decoded to the RGB
// image x̃; the SAME latent goes through the UNet at backbone.timestep with the empty prompt (with the training
// features' q_sample noise, so θC sees what it was trained on) and θC's adapter + head for the label ỹ.
// Written to --out (default samples/generated/, shown in the report):
//   <id>.png  <id>-<task>.png (label file, tasks codec)  <id>-<task>-vis.png (visualisation)  captions.json
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { tapInputName } from '@diff2in1/feature-pyramid';
import { generateFromNoise, sampleSeed } from '@diff2in1/synthesis';
import type { TaskName } from '@diff2in1/tasks';
import { getTask } from '@diff2in1/tasks';
import type { RawImage } from '@diff2in1/tensor';
import { Rng, Tensor, randn, writeFileAtomicSync, writePng } from '@diff2in1/tensor';
import type { StageContext } from '../stages.js';
import { openBackbone } from './backbone.js';
import { CAPTIONS_FILE } from './caption.js';
import { Inference, loadWeights, predictionValue, visualize } from './inference.js';
import { featureSettings } from './model.js';

/** The prompts of --prompt, else the run's training captions in turn, else the empty prompt. */
function prompts(ctx: StageContext): string[] {
  const given = ctx.args['prompt'];
  const list = Array.isArray(given) ? (given as string[]) : typeof given === 'string' ? [given] : [];
  if (list.length) return list;
  const p = ctx.path(CAPTIONS_FILE);
  if (existsSync(p)) {
    const caps = Object.values(JSON.parse(readFileSync(p, 'utf8')) as Record<string, string>);
    if (caps.length) return caps;
  }
  return [''];
}

export async function runGenerate(ctx: StageContext): Promise<void> {
  const { config } = ctx;
  const count = typeof ctx.args['count'] === 'number' ? ctx.args['count'] : 8;
  const defaultOut = ctx.path('samples/generated');
  const out = typeof ctx.args['out'] === 'string' ? ctx.args['out'] : defaultOut;
  const texts = prompts(ctx);
  const state = loadWeights(ctx, 'creation');
  const [height, width] = [config.data.imageSize.height, config.data.imageSize.width];
  const s = config.synthesis;
  if (out === defaultOut) rmSync(out, { recursive: true, force: true });
  const sd = await openBackbone(config);
  let inf: Inference | undefined;
  try {
    inf = await Inference.create(ctx, sd, { cache: false });
    const tasks = inf.model.tasks as readonly TaskName[];
    const f = featureSettings(config);
    const context = await sd.encodePrompt([f.prompt ?? '']);
    const p = ctx.progress('generate', count);
    const captions: Record<string, string> = {};
    const rows: { label: string; caption: string; images: string[] }[] = [];
    for (let i = 0; i < count; i++) {
      if (ctx.signal.aborted) break;
      const id = `gen_${String(i).padStart(4, '0')}`;
      const prompt = texts[i % texts.length]!;
      const seed = sampleSeed(BigInt(s.seed), 'generate', i);
      const g = await generateFromNoise(sd, {
        prompt, height, width, steps: s.steps, scheduler: s.scheduler, eta: s.eta, guidanceScale: s.guidanceScale, negativePrompt: s.negativePrompt, seed,
      });
      // Features of z̃0 as FeatureExtractor computes them for images: q_sample at the feature timestep, one UNet pass.
      const eps = randn(new Rng(seed).fork('q_sample'), g.latent.shape);
      const zt = new Tensor('float32', g.latent.shape, sd.scheduler.addNoise(g.latent.data, eps.data, f.timestep ?? 0));
      const taps = await sd.features(zt, f.timestep ?? 0, context, config.backbone.taps);
      const features = Object.fromEntries(inf.extractor.taps.map((t) => [tapInputName(t.name), taps[t.name]!]));
      const pred = await inf.predict(state, features);
      await writePng(join(out, `${id}.png`), g.image);
      const files = [`${id}.png`];
      for (const t of tasks) {
        const v = predictionValue(t, pred[t]!, 0);
        const [h, w] = v.shape.slice(-2) as [number, number];
        const codec = getTask(t).codec as { encodePng(l: unknown): RawImage };
        await writePng(join(out, `${id}-${t}.png`), codec.encodePng({ value: v, valid: new Tensor('bool', [h, w], new Uint8Array(h * w).fill(1)) }));
        await writePng(join(out, `${id}-${t}-vis.png`), visualize(t, v));
        files.push(`${id}-${t}-vis.png`);
      }
      captions[id] = prompt;
      rows.push({ label: id, caption: prompt, images: files });
      p.tick(1);
    }
    p.done();
    writeFileAtomicSync(join(out, 'captions.json'), `${JSON.stringify(captions, null, 1)}\n`);
    // A grid for the report when the pairs are inside the run directory.
    const rel = relative(ctx.runDir.root, out);
    if (rel && !rel.startsWith('..') && !rel.startsWith(sep) && rows.length) {
      const base = rel.split(sep).join('/');
      ctx.writeGrid(base.startsWith('samples/') && !base.slice(8).includes('/') ? base.slice(8) : 'generated', {
        title: `Generated from noise with θC: RGB + ${tasks.join(', ')} (${s.steps}-step ${s.scheduler})`,
        columns: ['RGB x̃', ...tasks.map((t) => `θC ${t} ỹ`)],
        rows: rows.map((r) => ({ ...r, images: r.images.map((f2) => `${base}/${f2}`) })),
        order: 40,
      });
    }
    ctx.info(`generate: ${rows.length} RGB + label pair(s) → ${out}`);
  } finally {
    await inf?.release();
    await sd.dispose();
  }
}
