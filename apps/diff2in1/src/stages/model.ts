// What the training, evaluation and inference stages share: the perception model spec from the config, the run's
// datasets brought to data.imageSize, feature settings, ORT session options, the feature cache, and mirroring the
// self-improver's own JSONL logs into logs/<stage>.jsonl for the report.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, Sample } from '@diff2in1/datasets';
import { centerCrop, resizeSample } from '@diff2in1/datasets';
import type { FeatureSettings, ModelSpec, StageCommon } from '@diff2in1/self-improver';
import { Diff2in1Error, readJsonl, writeFileAtomicSync } from '@diff2in1/tensor';
import type { Diff2in1Config } from '../config/finalize.js';
import type { StageContext } from '../stages.js';
import { openRunDataset } from './data.js';

type Tasks = Diff2in1Config['data']['tasks'];

/** The perception model of the config: head plugin + options, adapter (Eq. 9/10 or the official SNmodule), taps. */
export function modelSpec(config: Diff2in1Config): ModelSpec {
  return {
    head: config.head.id,
    headOptions: config.head.options,
    adapter: config.adapter.variant === 'official' ? { kind: 'sn-module' } : { kind: 'eq9' },
    taps: config.backbone.taps,
  };
}

/** Frozen-feature settings: UNet timestep and prompt (the official t = 0, empty prompt). */
export function featureSettings(config: Diff2in1Config): FeatureSettings {
  return { timestep: config.backbone.timestep, prompt: config.backbone.prompt };
}

/** ORT options of the trainable graphs (fixed thread count when run.threads is set: bit-exact resumes). */
export function sessionOptions(config: Diff2in1Config): NonNullable<StageCommon['session']> {
  return { device: config.run.device, ...(config.run.threads > 0 ? { intraOpThreads: config.run.threads } : {}) };
}

/**
 * The fp16 cache of frozen features of real images (warmup.featureCache), shared by the warm-up, self-improving and
 * evaluation stages: work/feature-cache/ (keyed by the self-improver on backbone, dataset and settings).
 */
export function featureCache(ctx: StageContext): string | false {
  return ctx.config.warmup.featureCache ? ctx.path('work/feature-cache') : false;
}

/** A dataset whose samples are brought to data.imageSize by data.resize (no-op when they already are). */
export function sized(ds: Dataset, config: Diff2in1Config): Dataset {
  const { imageSize, resize } = config.data;
  const size = [imageSize.height, imageSize.width] as const;
  const fit = (s: Sample): Sample => {
    const [h, w] = [s.image.shape[1]!, s.image.shape[2]!];
    if (h === size[0] && w === size[1]) return s;
    if (resize === 'official-512') return resizeSample(s, size, 'official');
    // A random crop would need per-iteration randomness the cached-feature loops do not draw: the centre crop
    // is used for training and evaluation alike.
    if (typeof resize === 'object') {
      if (h < size[0] || w < size[1]) throw new Diff2in1Error('dataset', `data.imageSize: image '${s.id}' is ${h}×${w}, smaller than the ${size[0]}×${size[1]} crop`);
      return centerCrop(s, size);
    }
    throw new Diff2in1Error('dataset', `data.resize "none": image '${s.id}' of ${ds.root} is ${h}×${w}, not data.imageSize ${size[0]}×${size[1]}; set data.resize ("official-512" or { "crop": "center" }) or data.imageSize`);
  };
  return Object.assign(Object.create(ds) as Dataset, {
    async get(index: number): Promise<Sample> {
      return fit(await ds.get(index));
    },
  });
}

/** A split of the run's dataset at data.imageSize. */
export async function runSplit(ctx: StageContext, role: 'train' | 'test', tasks?: Tasks): Promise<Dataset> {
  return sized(await openRunDataset(ctx.runDir.root, role, tasks), ctx.config);
}

/** Folder-format reader for the synthetic images (samples/synthetic/: images/, splits/train.txt, no labels). */
export async function syntheticSplit(ctx: StageContext): Promise<Dataset> {
  const { openFolder } = await import('@diff2in1/datasets');
  const dir = ctx.path('samples/synthetic');
  if (!existsSync(join(dir, 'splits', 'train.txt'))) {
    throw new Diff2in1Error('run-dir', 'samples/synthetic/ has no finished synthesis (splits/train.txt is missing): run `diff2in1 synthesize`', { file: dir });
  }
  return openFolder(dir, { split: 'train', tasks: [] });
}

interface PackageLogRecord {
  iteration?: number;
  loss?: number;
  model?: string;
  metrics?: Record<string, Record<string, unknown>>;
  [k: string]: unknown;
}

const MODEL_ROLE: Record<string, string> = { theta_w: 'warmup', theta_c: 'creation', theta_e: 'exploitation' };

/** The report's log records ({event: 'train' | 'eval', step, ...}) from the self-improver's log.jsonl / eval.jsonl. */
export function translateLogs(workDir: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const r of readJsonl<PackageLogRecord>(join(workDir, 'log.jsonl'))) {
    const { iteration, stage: _s, ...rest } = r;
    out.push({ event: 'train', step: iteration, ...rest });
  }
  for (const r of readJsonl<PackageLogRecord>(join(workDir, 'eval.jsonl'))) {
    for (const [task, metrics] of Object.entries(r.metrics ?? {})) {
      out.push({ event: 'eval', step: r.iteration, model: MODEL_ROLE[r.model ?? ''] ?? r.model, task, metrics });
    }
  }
  return out;
}

/**
 * Mirrors the package's logs into logs/<stage>.jsonl while the stage runs (for watchers), and at the end rewrites
 * that file from the package's logs, which a resume trims to the checkpoint — so the final log holds each step once.
 */
export class LogMirror {
  #timer: NodeJS.Timeout | undefined;
  #offsets = new Map<string, number>();

  constructor(private readonly ctx: StageContext, private readonly workDir: string) {}

  start(intervalMs = 2000): this {
    writeFileAtomicSync(this.ctx.runDir.logPath(this.ctx.stage), '');
    this.#timer = setInterval(() => this.poll(), intervalMs);
    this.#timer.unref();
    return this;
  }

  private poll(): void {
    for (const name of ['log.jsonl', 'eval.jsonl']) {
      const p = join(this.workDir, name);
      if (!existsSync(p)) continue;
      const text = readFileSync(p, 'utf8');
      const from = this.#offsets.get(name) ?? 0;
      if (text.length < from) this.#offsets.set(name, 0); // trimmed on resume
      const end = text.lastIndexOf('\n') + 1;
      const start = Math.min(from, text.length);
      if (end <= start) continue;
      for (const line of text.slice(start, end).split('\n')) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as PackageLogRecord;
          if (name === 'log.jsonl') this.ctx.log({ event: 'train', step: r.iteration, loss: r.loss });
        } catch {
          // a torn line is read again at the end
        }
      }
      this.#offsets.set(name, end);
    }
  }

  /** Stops mirroring; `final` rewrites logs/<stage>.jsonl from the package's logs plus `extra` records. */
  stop(final: boolean, extra: Record<string, unknown>[] = []): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (!final) return;
    const t = new Date().toISOString();
    const lines = [...translateLogs(this.workDir), ...extra].map((r) => JSON.stringify({ t, stage: this.ctx.stage, ...r }));
    writeFileAtomicSync(this.ctx.runDir.logPath(this.ctx.stage), lines.length ? `${lines.join('\n')}\n` : '');
  }
}
