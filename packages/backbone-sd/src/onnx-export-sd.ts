// Stable Diffusion from an existing ONNX export in the diffusers / optimum layout: text_encoder/model.onnx,
// unet/model.onnx (+ external weights), vae_encoder/model.onnx (→ latent_parameters = mean ‖ logvar),
// vae_decoder/model.onnx (unscaled latent_sample → sample), tokenizer/, scheduler/ and each folder's config.json.
// Feature taps: the tap modules' output tensors are found by torch.onnx's scope names (taps.ts findOnnxTaps) and
// added as graph outputs of a copy of the UNet model (graph package addModelOutputs; the weights stay external).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addModelOutputs } from '@diff2in1/graph';
import { type IOInfo, type Session, SessionCache } from '@diff2in1/runtime';
import { fromConfig } from '@diff2in1/schedulers';
import { Diff2in1Error, Tensor, toFloat16, toFloat32 } from '@diff2in1/tensor';
import { parseJsonText } from './config.js';
import { type SdConfigFiles, parseSdConfigs } from './configs/sd-configs.js';
import { openSession, sessionOptions } from './compiled-sd.js';
import { readOnnxGraph } from './onnx-nodes.js';
import { type LoadStableDiffusionOptions, SdPipeline, type SdRunners } from './stable-diffusion.js';
import { TAP_SETS, findOnnxTaps, unetTaps } from './taps.js';
import { loadClipTokenizer } from './tokenizer.js';
import type { UNetOutputs } from './graphs.js';

/** The files of an ONNX export this project reads. */
export const ONNX_EXPORT_LAYOUT = [
  'model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/vocab.json', 'tokenizer/merges.txt',
  'text_encoder/model.onnx', 'text_encoder/config.json', 'unet/model.onnx', 'unet/config.json',
  'vae_encoder/model.onnx', 'vae_decoder/model.onnx', 'vae_decoder/config.json',
] as const;

/** True when `dir` looks like an ONNX export (unet/model.onnx) rather than a diffusers folder. */
export function isOnnxExport(dir: string): boolean {
  return existsSync(join(dir, 'unet', 'model.onnx'));
}

function need(dir: string, rel: string): string {
  const f = join(dir, rel);
  if (!existsSync(f)) {
    throw new Diff2in1Error('sd-folder', `missing ${rel}; an ONNX Stable Diffusion export (diffusers / optimum layout) holds: ${ONNX_EXPORT_LAYOUT.join(', ')}`, { file: f });
  }
  return f;
}

function readJson(dir: string, rel: string): SdConfigFiles['unet'] {
  const f = need(dir, rel);
  return parseJsonText(readFileSync(f, 'utf8'), f);
}

/** A float32 / int tensor converted to what a session input declares. */
function asInput(t: Tensor, info: IOInfo | undefined, what: string): Tensor {
  const want = info?.dtype;
  if (want === undefined || want === t.dtype) return t;
  if (want === 'float16' && t.dtype === 'float32') return toFloat16(t);
  if (want === 'float32' && t.dtype === 'float16') return toFloat32(t);
  if (want === 'int32' && t.dtype === 'int64') return new Tensor('int32', t.shape, Int32Array.from(t.data as BigInt64Array, Number));
  if (want === 'int64' && t.dtype === 'float32') {
    const v = t.data as Float32Array;
    if (v.some((x) => !Number.isInteger(x))) throw new Diff2in1Error('input', `${what} takes int64 timesteps; got fractional ones [${[...v].join(', ')}]`);
    return new Tensor('int64', t.shape, BigInt64Array.from(v, (x) => BigInt(x)));
  }
  if (want === 'int32' && t.dtype === 'float32') return new Tensor('int32', t.shape, Int32Array.from(t.data as Float32Array));
  if (want === 'float16' && t.dtype === 'int64') return toFloat16(new Tensor('float32', t.shape, Float32Array.from(t.data as BigInt64Array, Number)));
  if (want === 'float32' && t.dtype === 'int64') return new Tensor('float32', t.shape, Float32Array.from(t.data as BigInt64Array, Number));
  throw new Diff2in1Error('input', `${what}: cannot feed ${t.dtype} to an input of type ${want}`);
}

function f32(t: Tensor | undefined, what: string): Tensor<'float32'> {
  if (!t) throw new Diff2in1Error('session', `${what} returned no output`);
  return (t.dtype === 'float32' ? t : toFloat32(t)) as Tensor<'float32'>;
}

class OnnxExportRunners implements SdRunners {
  readonly sessions = new SessionCache();
  #unet: Promise<{ s: Session; taps: Map<string, string> }> | undefined;
  constructor(readonly dir: string, readonly opts: LoadStableDiffusionOptions, readonly scaling: number, readonly shift: number | null,
    readonly unetConfig: ReturnType<typeof parseSdConfigs>['unet']) {}

  private open(rel: string, key = rel, bytes?: Uint8Array): Promise<Session> {
    return this.sessions.get(key, () => {
      const file = need(this.dir, rel);
      const so = sessionOptions(this.opts, `${file}${key === rel ? '' : ` (${key})`}`);
      return openSession(bytes ?? file, this.opts, bytes ? { ...so, externalDataDir: join(file, '..') } : so);
    });
  }

  private input(s: Session, name: string): IOInfo | undefined {
    return s.inputs.find((i) => i.name === name);
  }

  async text(ids: Tensor<'int64'>): Promise<Tensor> {
    const s = await this.open('text_encoder/model.onnx');
    const name = s.inputNames.includes('input_ids') ? 'input_ids' : s.inputNames[0]!;
    const out = await s.run({ [name]: asInput(ids, this.input(s, name), 'text_encoder/model.onnx') }, [s.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : s.outputNames[0]!]);
    return f32(Object.values(out)[0], 'text_encoder/model.onnx');
  }

  /**
   * One session for everything the UNet is asked: the export with the tensors of every tap (both sets) added as
   * outputs — ORT runs the whole graph either way, and one session loads the weights once.
   */
  private unetSession(): Promise<{ s: Session; taps: Map<string, string> }> {
    return (this.#unet ??= (async () => {
      const file = need(this.dir, 'unet/model.onnx');
      const bytes = readFileSync(file);
      const modules = [...new Set(TAP_SETS.flatMap((set) => unetTaps(this.unetConfig, set).map((x) => x.module)))];
      const found = findOnnxTaps(readOnnxGraph(bytes, file).nodes, modules);
      const taps = new Map(modules.map((m) => [m, found.get(m)!.tensor]));
      // output types are left to ORT (float32 or float16 exports alike)
      const s = await this.open('unet/model.onnx', 'unet/model.onnx+taps', addModelOutputs(bytes, [...new Set(taps.values())].map((name) => ({ name })), file));
      return { s, taps };
    })());
  }

  async unet(sample: Tensor, t: Tensor<'float32'>, context: Tensor, outputs: UNetOutputs): Promise<Record<string, Tensor>> {
    const { s, taps } = await this.unetSession();
    const tInfo = this.input(s, 'timestep');
    const tFeed = tInfo && tInfo.shape.length === 0 ? new Tensor('float32', [], Float32Array.of(t.data[0]!)) : t;
    const feeds = {
      sample: asInput(sample, this.input(s, 'sample'), 'unet sample'),
      timestep: asInput(tFeed, tInfo, 'unet/model.onnx'),
      encoder_hidden_states: asInput(context, this.input(s, 'encoder_hidden_states'), 'unet context'),
    };
    const wanted = outputs === 'noise' ? [] : unetTaps(this.unetConfig, outputs).map((x) => x.module);
    const names = outputs === 'noise' ? [s.outputNames.includes('out_sample') ? 'out_sample' : s.outputNames[0]!] : [...new Set(wanted.map((m) => taps.get(m)!))];
    let out: Record<string, Tensor>;
    try {
      out = await s.run(feeds, names);
    } catch (e) {
      const factor = 2 ** (this.unetConfig.block_out_channels.length - 1);
      const [h, w] = [sample.shape[2]!, sample.shape[3]!];
      if (h % factor === 0 && w % factor === 0) throw e;
      // torch.onnx traces diffusers' `forward_upsample_size` as a constant: an export made with a latent divisible
      // by 2^upsamplers always upsamples ×2 and cannot join skips of other sizes.
      throw new Diff2in1Error('input', `this ONNX export cannot run ${h}×${w} latents: exports traced at sizes divisible by ${factor} upsample by 2 ` +
        `unconditionally, so latents (image size / 8) must be multiples of ${factor} (images multiples of ${8 * factor}); ` +
        `resize or pad the input, or load the diffusers folder instead (its compiled graphs take any size)`, { file: join(this.dir, 'unet/model.onnx'), cause: e });
    }
    if (outputs === 'noise') return { out_sample: f32(out[names[0]!], 'unet/model.onnx') };
    const res: Record<string, Tensor> = {};
    for (const m of wanted) res[m] = f32(out[taps.get(m)!], `unet/model.onnx tap ${m}`);
    return res;
  }

  async vaeEncode(images: Tensor, noise: Tensor): Promise<Tensor> {
    const s = await this.open('vae_encoder/model.onnx');
    if (!s.outputNames.includes('latent_parameters')) {
      throw new Diff2in1Error('model', `vae_encoder/model.onnx has outputs ${s.outputNames.join(', ')}; this project reads 'latent_parameters' (mean ‖ logvar, optimum ≥ 1.14 exports)`, { file: join(this.dir, 'vae_encoder/model.onnx') });
    }
    const name = s.inputNames.includes('sample') ? 'sample' : s.inputNames[0]!;
    const m = f32((await s.run({ [name]: asInput(images, this.input(s, name), 'vae_encoder') }, ['latent_parameters']))['latent_parameters'], 'vae_encoder/model.onnx');
    const eps = noise.dtype === 'float32' ? (noise.data as Float32Array) : toFloat32(noise).data;
    // DiagonalGaussianDistribution: logvar clamped to [−30, 20], std = exp(logvar / 2); latents = (mean + std·ε − shift)·sf
    const [b, c2, h, w] = m.shape as [number, number, number, number];
    const c = c2 / 2;
    const hw = h * w;
    const out = new Tensor('float32', [b, c, h, w]);
    const f = Math.fround;
    for (let n = 0; n < b; n++) {
      for (let i = 0; i < c * hw; i++) {
        const mean = m.data[n * c2 * hw + i]!;
        const logvar = Math.min(20, Math.max(-30, m.data[n * c2 * hw + c * hw + i]!));
        let z = f(mean + f(f(Math.exp(f(0.5 * logvar))) * eps[n * c * hw + i]!));
        if (this.shift !== null) z = f(z - this.shift);
        out.data[n * c * hw + i] = f(z * this.scaling);
      }
    }
    return out;
  }

  async vaeDecode(latents: Tensor): Promise<Tensor> {
    const s = await this.open('vae_decoder/model.onnx');
    const z = f32(latents, 'latents');
    const un = new Tensor('float32', z.shape, z.data.map((v) => Math.fround(v / this.scaling) + (this.shift ?? 0)));
    const name = s.inputNames.includes('latent_sample') ? 'latent_sample' : s.inputNames[0]!;
    const out = await s.run({ [name]: asInput(un, this.input(s, name), 'vae_decoder') }, [s.outputNames.includes('sample') ? 'sample' : s.outputNames[0]!]);
    return f32(Object.values(out)[0], 'vae_decoder/model.onnx');
  }

  release(): Promise<void> {
    this.#unet = undefined;
    return this.sessions.releaseAll();
  }
}

/** A StableDiffusion over the ONNX export in `dir`. */
export function loadOnnxExportStableDiffusion(dir: string, opts: LoadStableDiffusionOptions = {}, source = dir): SdPipeline {
  const root = resolve(dir);
  const index = readJson(root, 'model_index.json');
  const sched = Array.isArray(index['scheduler']) ? index['scheduler'] : ['diffusers', 'PNDMScheduler'];
  const vaeRel = existsSync(join(root, 'vae_decoder/config.json')) ? 'vae_decoder/config.json' : 'vae_encoder/config.json';
  const files: SdConfigFiles = {
    model_index: {
      _class_name: 'StableDiffusionPipeline', scheduler: sched, unet: ['diffusers', 'UNet2DConditionModel'], vae: ['diffusers', 'AutoencoderKL'],
      text_encoder: ['transformers', 'CLIPTextModel'], tokenizer: ['transformers', 'CLIPTokenizer'],
    },
    unet: readJson(root, 'unet/config.json'),
    vae: readJson(root, vaeRel),
    text_encoder: readJson(root, 'text_encoder/config.json'),
    scheduler: readJson(root, 'scheduler/scheduler_config.json'),
    tokenizer_config: existsSync(join(root, 'tokenizer/tokenizer_config.json')) ? readJson(root, 'tokenizer/tokenizer_config.json') : {},
    special_tokens_map: existsSync(join(root, 'tokenizer/special_tokens_map.json')) ? readJson(root, 'tokenizer/special_tokens_map.json') : {},
  };
  const configs = parseSdConfigs(files, root);
  need(root, 'tokenizer/vocab.json');
  need(root, 'tokenizer/merges.txt');
  const scheduler = fromConfig(files.scheduler, { file: join(root, 'scheduler/scheduler_config.json') });
  const runners = new OnnxExportRunners(root, opts, configs.vae.scaling_factor, configs.vae.shift_factor, configs.unet);
  // The export's own dtype is read from each session's inputs; the pipeline feeds float32 and converts per input.
  return new SdPipeline(source, configs, scheduler, loadClipTokenizer(join(root, 'tokenizer')), runners, 'float32');
}
