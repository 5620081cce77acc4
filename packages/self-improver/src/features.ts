// Frozen-backbone features, computed as the official code does before its adapter (training_1st_stage.py and
// training_2nd_stage.py of github.com/zsh2000/diff-2-in-1):
//   z   = get_first_stage_encoding(encode_first_stage(x))   a SAMPLE of the VAE posterior × 0.18215 ('sample'),
//   z_t = q_sample(z, t = 0, randn_like(z))                 √ᾱ₀·z + √(1 − ᾱ₀)·ε  (ᾱ₀ = 1 − β₀: ε scaled by ≈ 0.029 for SD)
//   apply_model(z_t, t = 0, c = get_learned_conditioning([""]))   → the tapped UNet features
// Our randomness is per SAMPLE, not per batch: the posterior draw and ε of a sample come from
// Rng(seed).fork('features').fork(key) with key = "<dataset index>/<variant>" ('fixed' noise) or
// "<dataset index>/<variant>/<visit>" ('fresh': a new draw at every visit, as upstream's randn_like each iteration).
// So a sample's features never depend on which other samples share its batch, and 'fixed' features can be cached.
import { statSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type TapSpec, fromBackboneTaps, tapInputName } from '@diff2in1/feature-pyramid';
import { type SdConfigs, type TapSetName, TAP_SETS, unetTaps } from '@diff2in1/backbone-sd';
import type { AnyScheduler } from '@diff2in1/schedulers';
import { Diff2in1Error, Rng, Tensor, choices, randn } from '@diff2in1/tensor';

/** What feature extraction needs from a backbone (@diff2in1/backbone-sd's StableDiffusion fits structurally). */
export interface FeatureBackbone {
  readonly source: string;
  readonly configs: SdConfigs;
  readonly vaeScaleFactor: number;
  readonly scheduler: Pick<AnyScheduler, 'addNoise'>;
  encodePrompt(texts: string[]): Promise<Tensor<'float32'>>;
  encodeImage(images: Tensor<'float32'>, opts?: { mode?: 'mean' | 'sample'; rng?: Rng }): Promise<Tensor<'float32'>>;
  features(latents: Tensor<'float32'>, t: number | readonly number[], context: Tensor<'float32'>, taps: TapSetName): Promise<Record<string, Tensor<'float32'>>>;
}

export const LATENT_MODES = ['sample', 'mean'] as const;
export type LatentMode = (typeof LATENT_MODES)[number];
export const FEATURE_NOISE = ['fixed', 'fresh'] as const;
/** 'fixed': one seeded draw per (sample, variant) — cacheable; 'fresh': a new draw per visit (upstream). */
export type FeatureNoise = (typeof FEATURE_NOISE)[number];
export const VARIANTS = ['none', 'hflip'] as const;
/** The image variant the features were computed on ('hflip': mirrored left-right). */
export type Variant = (typeof VARIANTS)[number];

export interface FeatureOptions {
  /** Tap set (default 'vpd'); 'all' feeds the official SNmodule adapter. */
  taps?: TapSetName;
  /** VAE encoding (default 'sample', as upstream's get_first_stage_encoding). */
  latentMode?: LatentMode;
  /** Timestep of the single UNet pass (default 0, upstream). */
  timestep?: number;
  /** Add q_sample noise at `timestep` (default true, upstream; t = 0 still adds √(1−ᾱ₀)·ε). */
  qSample?: boolean;
  /** Prompt of the pass (default '', upstream's empty prompt). */
  prompt?: string;
  seed?: number;
}

/** The taps of a set at IMAGE strides (backbone-sd's latent strides × the VAE factor). */
export function featureTaps(backbone: Pick<FeatureBackbone, 'configs' | 'vaeScaleFactor'>, set: TapSetName = 'vpd'): TapSpec[] {
  if (!(TAP_SETS as readonly string[]).includes(set)) throw new Diff2in1Error('self-improver', `taps '${String(set)}' is unknown; ${choices(TAP_SETS)}`);
  return fromBackboneTaps(unetTaps(backbone.configs.unet, set), backbone.vaeScaleFactor);
}

/**
 * An identity of the backbone's weights for cache keys: the source, the configs and, for a folder, the size and
 * modification time of every weight file (a re-downloaded or re-trained model invalidates caches).
 */
export function backboneFingerprint(backbone: Pick<FeatureBackbone, 'source' | 'configs'>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ source: backbone.source, configs: backbone.configs }));
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory() && depth < 2) walk(p, depth + 1);
      else if (/\.(safetensors|onnx|onnx_data|bin|json)$/.test(n)) h.update(`${p}:${st.size}:${st.mtimeMs}\n`);
    }
  };
  if (backbone.source !== 'tiny' && backbone.source !== 'tiny-onnx') walk(backbone.source, 0);
  return h.digest('hex').slice(0, 16);
}

/** One sample to extract: image [3, H, W] in 0..1 (dataset convention) and the key of its random draws. */
export interface FeatureRequest {
  image: Tensor<'float32'>;
  key: string;
}

export class FeatureExtractor {
  readonly taps: TapSpec[];
  readonly set: TapSetName;
  readonly latentMode: LatentMode;
  readonly timestep: number;
  readonly qSample: boolean;
  readonly prompt: string;
  readonly seed: number;
  #context: Tensor<'float32'> | undefined;

  constructor(readonly backbone: FeatureBackbone, o: FeatureOptions = {}) {
    this.set = o.taps ?? 'vpd';
    this.taps = featureTaps(backbone, this.set);
    this.latentMode = o.latentMode ?? 'sample';
    if (!(LATENT_MODES as readonly string[]).includes(this.latentMode)) throw new Diff2in1Error('self-improver', `latentMode '${this.latentMode}' is unknown; ${choices(LATENT_MODES)}`);
    this.timestep = o.timestep ?? 0;
    this.qSample = o.qSample ?? true;
    this.prompt = o.prompt ?? '';
    this.seed = o.seed ?? 0;
  }

  /** What the features depend on besides the backbone and the images (cache keys). */
  describe(): Record<string, unknown> {
    return { taps: this.set, latentMode: this.latentMode, timestep: this.timestep, qSample: this.qSample, prompt: this.prompt, seed: this.seed };
  }

  private async context(): Promise<Tensor<'float32'>> {
    return (this.#context ??= await this.backbone.encodePrompt([this.prompt]));
  }

  /**
   * Tap features of a batch, by train-step input name `tap.<module>`, [B, C, h, w] each. Images are encoded one
   * at a time (each sample its own posterior draw), the UNet runs once on the whole batch.
   */
  async extract(requests: readonly FeatureRequest[]): Promise<Record<string, Tensor<'float32'>>> {
    if (requests.length === 0) throw new Diff2in1Error('self-improver', 'extract: no images');
    const latents: Tensor<'float32'>[] = [];
    for (const r of requests) {
      const img = r.image;
      if (img.dtype !== 'float32' || img.rank !== 3 || img.shape[0] !== 3) throw new Diff2in1Error('self-improver', `extract: image '${r.key}' must be float32 [3, H, W] in 0..1, got ${img.dtype} [${img.shape.join(', ')}]`);
      const x = new Tensor('float32', [1, ...img.shape]);
      for (let i = 0; i < img.size; i++) x.data[i] = img.data[i]! * 2 - 1;
      const rng = new Rng(this.seed).fork('features').fork(r.key);
      const z = await this.backbone.encodeImage(x, { mode: this.latentMode, rng: rng.fork('posterior') });
      if (this.qSample) {
        const eps = randn(rng.fork('q_sample'), z.shape);
        latents.push(new Tensor('float32', z.shape, this.backbone.scheduler.addNoise(z.data, eps.data, this.timestep)));
      } else latents.push(z);
    }
    const first = latents[0]!;
    const batch = new Tensor('float32', [latents.length, ...first.shape.slice(1)]);
    latents.forEach((z, i) => batch.data.set(z.data, i * first.size));
    const feats = await this.backbone.features(batch, this.timestep, await this.context(), this.set);
    const out: Record<string, Tensor<'float32'>> = {};
    for (const t of this.taps) {
      const f = feats[t.name];
      if (!f) throw new Diff2in1Error('self-improver', `the backbone returned no '${t.name}' feature (got ${Object.keys(feats).join(', ')})`);
      out[tapInputName(t.name)] = f;
    }
    return out;
  }
}

/** Mirrors an image [3, H, W] left-right (a fresh tensor). */
export function hflipImage(img: Tensor<'float32'>): Tensor<'float32'> {
  const [c, h, w] = img.shape as [number, number, number];
  const out = new Tensor('float32', [c, h, w]);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) {
    const row = (k * h + y) * w;
    for (let x = 0; x < w; x++) out.data[row + x] = img.data[row + w - 1 - x]!;
  }
  return out;
}
