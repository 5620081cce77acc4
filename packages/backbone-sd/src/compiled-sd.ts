// Stable Diffusion from a diffusers folder: each component's graph is compiled from its config (the modules in
// unet-2d-condition.ts, autoencoder-kl.ts, clip-text-model.ts), cached on disk with the weights as external data
// (compile-cache.ts), and run with @diff2in1/runtime. Graphs are fixed per spatial size and compiled on first use.
import { type Session, SessionCache, type SessionOptions, createSession, createWorkerSession } from '@diff2in1/runtime';
import { fromConfig } from '@diff2in1/schedulers';
import type { Tensor } from '@diff2in1/tensor';
import type { AttentionImpl } from './attention.js';
import { AutoencoderKL } from './autoencoder-kl.js';
import { CLIPTextModel } from './clip-text-model.js';
import { compiledModel, defaultCacheDir, weightsIdentity } from './compile-cache.js';
import { SD_CONFIG_PATHS } from './configs/sd-configs.js';
import { type SdFolder, openSdFolder } from './folder.js';
import { type UNetOutputs, textEncoderGraph, unetGraph, vaeDecoderGraph, vaeEncoderGraph } from './graphs.js';
import type { SdDType } from './layers.js';
import { type LoadStableDiffusionOptions, SdPipeline, type SdRunners } from './stable-diffusion.js';
import type { SdComponent } from './state-dict.js';
import { UNet2DConditionModel } from './unet-2d-condition.js';

/** The resolved build settings of a compiled pipeline. */
export interface CompiledSdSettings {
  dtype: SdDType;
  attention: AttentionImpl;
  cacheDir: string;
}

export function compiledSettings(o: LoadStableDiffusionOptions): CompiledSdSettings {
  const dtype: SdDType = o.fp16 ? 'float16' : 'float32';
  return { dtype, attention: o.attention ?? (dtype === 'float32' ? 'mha' : 'matmul'), cacheDir: o.cacheDir ?? defaultCacheDir() };
}

export function sessionOptions(o: LoadStableDiffusionOptions, name: string): SessionOptions {
  return {
    device: o.device ?? 'auto',
    graphOptimization: 'all',
    name,
    ...(o.threads !== undefined ? { intraOpThreads: o.threads } : {}),
  };
}

export async function openSession(model: string | Uint8Array, o: LoadStableDiffusionOptions, so: SessionOptions): Promise<Session> {
  return o.worker ? createWorkerSession(model, so) : createSession(model, so);
}

class CompiledRunners implements SdRunners {
  readonly sessions = new SessionCache();
  readonly models: { unet?: UNet2DConditionModel; vae?: AutoencoderKL; text_encoder?: CLIPTextModel } = {};
  readonly ids = new Map<SdComponent, string>();

  constructor(readonly folder: SdFolder, readonly settings: CompiledSdSettings, readonly opts: LoadStableDiffusionOptions) {}

  private weightsId(c: SdComponent): string {
    let id = this.ids.get(c);
    if (id === undefined) {
      id = weightsIdentity(this.folder.weightFile(c));
      this.ids.set(c, id);
    }
    return id;
  }

  private unetModel(): UNet2DConditionModel {
    return (this.models.unet ??= new UNet2DConditionModel(this.folder.configs.unet, { dtype: this.settings.dtype, attention: this.settings.attention }));
  }

  private vaeModel(): AutoencoderKL {
    return (this.models.vae ??= new AutoencoderKL(this.folder.configs.vae, { dtype: this.settings.dtype }));
  }

  private textModel(): CLIPTextModel {
    return (this.models.text_encoder ??= new CLIPTextModel(this.folder.configs.text_encoder, { dtype: this.settings.dtype }));
  }

  /** Compiles (or finds in the cache) a graph and opens its session once. */
  private session(component: SdComponent, model: UNet2DConditionModel | AutoencoderKL | CLIPTextModel, variant: string, variantKey: object, build: () => ReturnType<typeof unetGraph>): Promise<Session> {
    const key = `${component}:${variant}:${JSON.stringify(variantKey)}`;
    return this.sessions.get(key, async () => {
      const file = compiledModel({
        cacheDir: this.settings.cacheDir, component, model, modelKey: { config: model.config, dtype: this.settings.dtype },
        weightsId: this.weightsId(component), weights: () => this.folder.weights(component), variant,
        variantKey: { ...variantKey, dtype: this.settings.dtype, attention: this.settings.attention }, build,
      });
      return openSession(file, this.opts, sessionOptions(this.opts, `${this.folder.dir} ${component} (${variant})`));
    });
  }

  async text(ids: Tensor<'int64'>): Promise<Tensor> {
    const m = this.textModel();
    const s = ids.shape[1]!;
    const session = await this.session('text_encoder', m, 'text', { s }, () => textEncoderGraph(m, { sequenceLength: s }));
    return (await session.run({ input_ids: ids }))['last_hidden_state']!;
  }

  async unet(sample: Tensor, t: Tensor<'float32'>, context: Tensor, outputs: UNetOutputs): Promise<Record<string, Tensor>> {
    const m = this.unetModel();
    const [h, w] = [sample.shape[2]!, sample.shape[3]!];
    const s = context.shape[1]!;
    const session = await this.session('unet', m, `unet-${outputs}`, { h, w, s, outputs }, () => unetGraph(m, { height: h, width: w, sequenceLength: s, outputs }));
    return session.run({ sample, timestep: t, encoder_hidden_states: context });
  }

  async vaeEncode(images: Tensor, noise: Tensor): Promise<Tensor> {
    const m = this.vaeModel();
    const [h, w] = [images.shape[2]!, images.shape[3]!];
    const session = await this.session('vae', m, 'vae-encoder', { h, w }, () => vaeEncoderGraph(m, { height: h, width: w }));
    return (await session.run({ sample: images, noise }))['latents']!;
  }

  async vaeDecode(latents: Tensor): Promise<Tensor> {
    const m = this.vaeModel();
    const [h, w] = [latents.shape[2]!, latents.shape[3]!];
    const session = await this.session('vae', m, 'vae-decoder', { h, w }, () => vaeDecoderGraph(m, { height: h, width: w }));
    return (await session.run({ latents }))['sample']!;
  }

  release(): Promise<void> {
    return this.sessions.releaseAll();
  }
}

/** A StableDiffusion over graphs compiled from the diffusers folder `dir`. */
export function loadCompiledStableDiffusion(dir: string, opts: LoadStableDiffusionOptions = {}, source = dir): SdPipeline {
  const folder = openSdFolder(dir);
  const settings = compiledSettings(opts);
  const scheduler = fromConfig(folder.files.scheduler, { file: `${folder.dir}/${SD_CONFIG_PATHS.scheduler}` });
  return new SdPipeline(source, folder.configs, scheduler, folder.tokenizer(), new CompiledRunners(folder, settings, opts), settings.dtype);
}
