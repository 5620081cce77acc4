// A "toy-pretrained tiny SD": the committed tiny Stable Diffusion has RANDOM weights, so its frozen features carry
// little of what SD v1-5's pretraining on web images gives (a useful latent space, a denoiser that knows scenes).
// The honest analogue at toy scale: pretrain the tiny VAE (autoencoding, L1 + β·KL as an LDM first stage without
// the perceptual / adversarial terms) and then the tiny UNet (ε-prediction on the VAE's latents, uniform t over the
// scheduler's 1000 steps, the empty prompt's CLIP embedding as context) on UNLABELLED toyworld images from scenes
// disjoint from the perception data, with our own train-step engine (compileTrainStep + TrainStepSession); the
// text encoder stays as it is (the features use the empty prompt). The result is a diffusers-layout folder any
// stage loads with loadStableDiffusion(dir). Seeded and cached: a folder whose pretrain.json records the same
// settings is reused as is. Nothing is hand-tuned per run: the recipe is these defaults.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Dataset } from '@diff2in1/datasets';
import { AutoencoderKL, UNet2DConditionModel, fixtureDir, loadStableDiffusion, openSdFolder, type SdComponent, type SdFolder } from '@diff2in1/backbone-sd';
import { type TrainStepProgram, type Value, abs, adam, chunk, clip, compileTrainStep, exp, loadStateDict, mseLoss, mul, add, sub, reduceMean, reduceSum } from '@diff2in1/graph';
import { type SessionOptions, TrainStepSession } from '@diff2in1/runtime';
import { Diff2in1Error, type ProgressStream, Rng, Tensor, appendJsonl, createProgress, randn, writeFileAtomicSync, writeSafetensors } from '@diff2in1/tensor';
import { configHash } from './checkpoint.js';
import './sd-grad-rules.js';

export interface PretrainPhase {
  steps: number;
  batchSize?: number;
  lr?: number;
}

export interface PretrainTinySdOptions {
  /** Unlabelled images (RGB in 0..1, one size), e.g. a toyworld export of other scenes than the perception data. */
  images: Dataset;
  /** The diffusers folder to write (its vae/config.json gets the measured scaling_factor). */
  out: string;
  /** Folder with the configs, tokenizer, text encoder, scheduler and the initial VAE / UNet weights (default: the tiny fixture). */
  base?: string;
  /**
   * VAE phase (default 4000 steps, batch 16, lr 1e-3, KL weight 1e-5 per pixel, random 64×64 crops). The VAE is
   * fully convolutional, so it trains on crops as LDM's first stages do (256² crops there); the KL weight is kept
   * small so the latent carries the detail perception needs (LDM's f=8 KL models: 1e-6 on a per-image sum).
   */
  vae?: PretrainPhase & { klWeight?: number; crop?: number };
  /** UNet phase (default 3000 steps, batch 32, lr 1e-3; 0 steps keeps the base UNet). */
  unet?: PretrainPhase;
  /** Random horizontal flips of the training images (default true). */
  hflip?: boolean;
  seed?: number;
  session?: SessionOptions;
  quiet?: boolean;
  progressStream?: ProgressStream;
  log?: (m: string) => void;
}

export interface PretrainResult {
  dir: string;
  /** True when an existing folder with the same settings was reused. */
  cached: boolean;
  vaeLoss: number[];
  unetLoss: number[];
}

const COPIED = ['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/merges.txt', 'tokenizer/vocab.json', 'tokenizer/tokenizer_config.json',
  'tokenizer/special_tokens_map.json', 'text_encoder/config.json', 'text_encoder/model.safetensors', 'vae/config.json', 'unet/config.json'];

function weightsOf(folder: SdFolder, c: SdComponent): Record<string, Tensor> {
  const w = folder.weights(c);
  return Object.fromEntries([...w.names].map(([name, stored]) => [name, w.source.get(stored)]));
}

/** Images as 8-bit (memory: 3·H·W bytes each) for fast random batches. */
async function loadImages(ds: Dataset): Promise<{ data: Uint8Array[]; h: number; w: number }> {
  const data: Uint8Array[] = [];
  let h = 0, w = 0;
  for (let i = 0; i < ds.length; i++) {
    const s = await ds.get(i);
    [h, w] = [s.image.shape[1]!, s.image.shape[2]!];
    data.push(Uint8Array.from(s.image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  }
  return { data, h, w };
}

/**
 * A batch of random `crop`×`crop` windows (the whole image when crop = its size) in [−1, 1], flipped left-right with
 * probability ½ each when `hflip`.
 */
function imageBatch(imgs: { data: Uint8Array[]; h: number; w: number }, rng: Rng, b: number, hflip: boolean, crop: number): Tensor<'float32'> {
  const { h, w } = imgs;
  const out = new Tensor('float32', [b, 3, crop, crop]);
  for (let i = 0; i < b; i++) {
    const src = imgs.data[rng.int(imgs.data.length)]!;
    const flip = hflip && rng.uniform() < 0.5;
    const [y0, x0] = [rng.int(h - crop + 1), rng.int(w - crop + 1)];
    const base = i * 3 * crop * crop;
    for (let c = 0; c < 3; c++) for (let y = 0; y < crop; y++) for (let x = 0; x < crop; x++) {
      const sx = x0 + (flip ? crop - 1 - x : x);
      out.data[base + (c * crop + y) * crop + x] = (src[(c * h + y0 + y) * w + sx]! / 255) * 2 - 1;
    }
  }
  return out;
}

/** Pretrains the tiny SD's VAE and UNet on `images` and writes a diffusers folder (reused when settings match). */
export async function pretrainTinySd(o: PretrainTinySdOptions): Promise<PretrainResult> {
  const base = o.base ?? fixtureDir('tiny');
  const seed = o.seed ?? 0;
  const vaeP = { steps: 4000, batchSize: 16, lr: 1e-3, klWeight: 1e-5, crop: 64, ...o.vae };
  const unetP = { steps: 3000, batchSize: 32, lr: 1e-3, ...o.unet };
  const hflip = o.hflip ?? true;
  const log = o.log ?? (o.quiet ? () => {} : (m: string) => process.stderr.write(`${m}\n`));
  const settings = { base, seed, vae: vaeP, unet: unetP, hflip, images: { root: o.images.root, split: o.images.split, n: o.images.length } };
  const hash = configHash(settings);
  const marker = join(o.out, 'pretrain.json');
  if (existsSync(marker)) {
    const prev = JSON.parse(readFileSync(marker, 'utf8')) as { hash: string; vaeLoss: number[]; unetLoss: number[] };
    if (prev.hash === hash) {
      log(`pretrained tiny SD: reusing ${o.out} (same settings)`);
      return { dir: o.out, cached: true, vaeLoss: prev.vaeLoss, unetLoss: prev.unetLoss };
    }
    throw new Diff2in1Error('pretrain', `${o.out} holds a tiny SD pretrained with other settings; choose another folder or delete it`, { file: marker });
  }
  const folder = openSdFolder(base);
  const { vae: vaeConfig, unet: unetConfig } = folder.configs;
  for (const f of COPIED) {
    mkdirSync(join(o.out, f, '..'), { recursive: true });
    copyFileSync(join(base, f), join(o.out, f));
  }
  const imgs = await loadImages(o.images);
  const f = 2 ** (vaeConfig.block_out_channels.length - 1);
  const [lh, lw] = [imgs.h / f, imgs.w / f];
  const lc = vaeConfig.latent_channels;
  const crop = Math.min(vaeP.crop, imgs.h, imgs.w);
  if (crop % f !== 0) throw new Diff2in1Error('pretrain', `vae.crop ${vaeP.crop} must be a multiple of the VAE's downsampling factor ${f}`);
  const logFile = join(o.out, 'pretrain-log.jsonl');

  // Phase 1: the VAE (vaeTrainProgram).
  const vae = new AutoencoderKL(vaeConfig);
  loadStateDict(vae, weightsOf(folder, 'vae'), { strict: true });
  const B1 = vaeP.batchSize;
  const vaeProgram = vaeTrainProgram(vae, B1, [crop, crop], vaeP.klWeight);
  const vaeLoss = await trainPhase('pretrain VAE', vaeProgram, vaeP, o, (step) => {
    const rng = new Rng(seed).fork('vae').fork(step);
    return { x: imageBatch(imgs, rng.fork('images'), B1, hflip, crop), eps: randn(rng.fork('eps'), [B1, lc, crop / f, crop / f]) };
  }, logFile, (s) => writeSafetensors(join(o.out, 'vae', 'diffusion_pytorch_model.safetensors'), s, { format: 'pt' }));
  copyFileSync(join(base, 'unet', 'diffusion_pytorch_model.safetensors'), join(o.out, 'unet', 'diffusion_pytorch_model.safetensors'));

  // The latent scale, measured as SD's was (scaling_factor = 1 / std of the latents: 0.18215 for SD v1-5): the
  // latent means of every image under the base config's factor, then the factor that gives them unit variance,
  // written into vae/config.json so the UNet below and every later user see unit-variance latents.
  const latents: Tensor<'float32'>[] = [];
  const sd = await loadStableDiffusion(o.out, { device: o.session?.device ?? 'cpu', ...(o.session?.intraOpThreads ? { threads: o.session.intraOpThreads } : {}) });
  for (let i = 0; i < imgs.data.length; i++) {
    const x = new Tensor('float32', [1, 3, imgs.h, imgs.w], Float32Array.from(imgs.data[i]!, (v) => (v / 255) * 2 - 1));
    latents.push(await sd.encodeImage(x, { mode: 'mean' }));
  }
  const std = latentStd(latents);
  const scalingFactor = vaeConfig.scaling_factor / std;
  for (const z of latents) for (let k = 0; k < z.size; k++) z.data[k] = z.data[k]! / std;
  const vaeConfigFile = join(o.out, 'vae', 'config.json');
  const rawVaeConfig = JSON.parse(readFileSync(vaeConfigFile, 'utf8')) as Record<string, unknown>;
  writeFileAtomicSync(vaeConfigFile, `${JSON.stringify({ ...rawVaeConfig, scaling_factor: scalingFactor }, null, 2)}\n`);
  const context = await sd.encodePrompt(['']);
  const scheduler = sd.scheduler;
  await sd.dispose();
  log(`VAE latents: std ${std.toFixed(4)} under scaling_factor ${vaeConfig.scaling_factor} → scaling_factor ${scalingFactor.toPrecision(6)}`);

  // Phase 2: the UNet on the new VAE's unit-variance latent means, with the empty prompt (steps 0: keep the base UNet).
  if (unetP.steps === 0) {
    writeFileAtomicSync(marker, `${JSON.stringify({ hash, settings, scalingFactor, vaeLoss, unetLoss: [], time: new Date().toISOString() }, null, 1)}\n`);
    return { dir: o.out, cached: false, vaeLoss, unetLoss: [] };
  }
  const T = 1000;
  const unet = new UNet2DConditionModel(unetConfig);
  loadStateDict(unet, weightsOf(folder, 'unet'), { strict: true });
  const B2 = unetP.batchSize;
  const [seqLen, dim] = [context.shape[1]!, context.shape[2]!];
  const unetProgram = unetTrainProgram(unet, B2, [lh, lw], [seqLen, dim]);
  const ctx = new Tensor('float32', [B2, seqLen, dim]);
  for (let i = 0; i < B2; i++) ctx.data.set(context.data, i * context.size);
  const per = lc * lh * lw;
  const unetLoss = await trainPhase('pretrain UNet', unetProgram, unetP, o, (step) => {
    const rng = new Rng(seed).fork('unet').fork(step);
    const sample = new Tensor('float32', [B2, lc, lh, lw]);
    const target = randn(rng.fork('eps'), [B2, lc, lh, lw]);
    const timestep = new Tensor('float32', [B2]);
    for (let i = 0; i < B2; i++) {
      let z = latents[rng.int(latents.length)]!.data;
      if (hflip && rng.uniform() < 0.5) {
        const m = new Float32Array(per);
        for (let c = 0; c < lc; c++) for (let y = 0; y < lh; y++) for (let x = 0; x < lw; x++) m[(c * lh + y) * lw + x] = z[(c * lh + y) * lw + lw - 1 - x]!;
        z = m;
      }
      const t = rng.int(T);
      timestep.data[i] = t;
      sample.data.set(scheduler.addNoise(z, target.data.subarray(i * per, (i + 1) * per), t), i * per);
    }
    return { sample, timestep, context: ctx, target };
  }, logFile, (s) => writeSafetensors(join(o.out, 'unet', 'diffusion_pytorch_model.safetensors'), s, { format: 'pt' }));
  writeFileAtomicSync(marker, `${JSON.stringify({ hash, settings, scalingFactor, vaeLoss, unetLoss, time: new Date().toISOString() }, null, 1)}\n`);
  return { dir: o.out, cached: false, vaeLoss, unetLoss };
}

/** Standard deviation of every element of `latents` (about their common mean), in float64. */
export function latentStd(latents: readonly Tensor<'float32'>[]): number {
  let n = 0, sum = 0, sq = 0;
  for (const z of latents) for (const v of z.data) { n++; sum += v; sq += v * v; }
  const mean = sum / n;
  const variance = sq / n - mean * mean;
  if (!(variance > 0)) throw new Diff2in1Error('pretrain', `the VAE's latents have variance ${variance}; the VAE phase diverged or collapsed`);
  return Math.sqrt(variance);
}

/**
 * The VAE's training step: loss = mean |D(z) − x| + β · KL(q(z|x) ‖ N(0, I)) / (3·H·W) with z = mean + std·ε
 * (unscaled latents; batch inputs `x` [B, 3, H, W] in [−1, 1] and `eps` [B, latent, H/f, W/f]); extra outputs l1, kl.
 */
export function vaeTrainProgram(vae: AutoencoderKL, batch: number, [h, w]: readonly [number, number], klWeight: number): TrainStepProgram {
  const f = 2 ** (vae.config.block_out_channels.length - 1);
  const lc = vae.config.latent_channels;
  return compileTrainStep({
    name: 'pretrain_vae', model: vae, optimizer: adam(),
    batch: { x: { dtype: 'float32', shape: [batch, 3, h, w] }, eps: { dtype: 'float32', shape: [batch, lc, h / f, w / f] } },
    loss: (b) => {
      const [mean, logvar0] = chunk(vae.moments(b.x!), 2, 1) as [Value, Value];
      const logvar = clip(logvar0, -30, 20);
      const z = add(mean, mul(exp(mul(logvar, 0.5)), b.eps!));
      const rec = vae.decoder.forward(vae.post_quant_conv.forward(z));
      const l1 = reduceMean(abs(sub(rec, b.x!)));
      const kl = mul(reduceSum(sub(add(mul(mean, mean), exp(logvar)), add(logvar, 1))), 0.5 / (batch * 3 * h * w));
      return { loss: add(l1, mul(kl, klWeight)), outputs: { l1, kl } };
    },
  });
}

/** The UNet's training step: MSE between ε̂(sample, timestep, context) and `target` (= ε). */
export function unetTrainProgram(unet: UNet2DConditionModel, batch: number, [h, w]: readonly [number, number], [seqLen, dim]: readonly [number, number]): TrainStepProgram {
  const lc = unet.config.in_channels;
  return compileTrainStep({
    name: 'pretrain_unet', model: unet, optimizer: adam(),
    batch: {
      sample: { dtype: 'float32', shape: [batch, lc, h, w] }, timestep: { dtype: 'float32', shape: [batch] },
      context: { dtype: 'float32', shape: [batch, seqLen, dim] }, target: { dtype: 'float32', shape: [batch, lc, h, w] },
    },
    loss: (b) => mseLoss(unet.forward(b.sample!, b.timestep!, b.context!)!, b.target!),
  });
}

/** Runs a phase's steps; returns the mean loss of each tenth of the run; `save` gets the final state dict. */
async function trainPhase(
  label: string, program: TrainStepProgram, p: Required<PretrainPhase>, o: PretrainTinySdOptions,
  batchAt: (step: number) => Record<string, Tensor>, logFile: string, save: (state: Record<string, Tensor>) => void,
): Promise<number[]> {
  const session = await TrainStepSession.create(program, { ...o.session, lr: p.lr });
  const progress = createProgress({ label, total: p.steps, unit: 'step', quiet: o.quiet, stream: o.progressStream });
  const curve: number[] = [];
  let acc = 0, n = 0;
  const chunkSize = Math.max(1, Math.floor(p.steps / 10));
  try {
    for (let step = 0; step < p.steps; step++) {
      const r = await session.stepWithOutputs(batchAt(step));
      if (!Number.isFinite(r.loss)) throw new Diff2in1Error('pretrain', `${label}: loss ${r.loss} at step ${step}`);
      acc += r.loss;
      n++;
      if ((step + 1) % chunkSize === 0 || step + 1 === p.steps) {
        curve.push(acc / n);
        appendJsonl(logFile, { phase: label, step: step + 1, loss: acc / n, ...Object.fromEntries(Object.entries(r.outputs).filter(([k]) => k !== 'loss').map(([k, v]) => [k, Number(v.data[0])])) });
        acc = 0;
        n = 0;
      }
      progress.tick(1, { loss: r.loss.toFixed(4) });
    }
    progress.done();
    save(session.stateDict());
    return curve;
  } finally {
    await session.release();
  }
}

