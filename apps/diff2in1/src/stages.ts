// The stage registry: each step of Diff-2-in-1 as the orchestrator sees it — what it does, which run-directory
// artifacts it reads and writes, which config sections it depends on, and its implementation. Implementations
// come from the model packages (see stages/implementations.ts); a stage whose package has not landed has none,
// and running it fails with a Diff2in1Error('stage-unavailable') naming the package. No stage is ever faked.
import type { Progress, ProgressStream } from '@diff2in1/tensor';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Diff2in1Config } from './config/finalize.js';
import type { ConfigSection } from './config/schema.js';
import type { GridManifest } from './grids.js';
import type { MetricsEntry, MetricsInput } from './metrics.js';
import type { RunDir } from './run-dir.js';

export const STAGE_NAMES = ['data', 'warmup', 'caption', 'synthesize', 'self-improve', 'eval', 'report', 'predict', 'generate'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Command-specific inputs (predict's --input, generate's --count, ...), already parsed by the CLI. */
export type StageArgs = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/** A value fixed for the stage, or computed from the config and the command's arguments. */
export type PerConfig<T> = T | ((config: Diff2in1Config, args: StageArgs) => T);

export function resolvePer<T>(v: PerConfig<T>, config: Diff2in1Config, args: StageArgs = {}): T {
  return typeof v === 'function' ? (v as (c: Diff2in1Config, a: StageArgs) => T)(config, args) : v;
}

/** What a stage implementation gets. */
export interface StageContext {
  readonly stage: StageName;
  /** The resolved config (config.resolved.json). */
  readonly config: Diff2in1Config;
  readonly runDir: RunDir;
  readonly args: StageArgs;
  /** Hash of the config fields this stage reads and of its inputs' content; tag resumable state with it. */
  readonly fingerprint: string;
  /** work/<stage>/: scratch for resumable state. Emptied when the fingerprint changed since the last attempt. */
  readonly workDir: string;
  /** True when workDir holds state of an interrupted attempt with the same fingerprint: continue from it. */
  readonly resume: boolean;
  /** Aborted on SIGINT/SIGTERM: stop at the next safe point (after a checkpoint). */
  readonly signal: AbortSignal;
  /** Absolute path of a run-relative path. */
  path(rel: string): string;
  /** Appends {t, stage, ...record} to logs/<stage>.jsonl. Training steps: {event:'train', step, loss, ...};
   * evaluations: {event:'eval', step, model, task, metrics}. The report plots both. */
  log(record: Record<string, unknown>): void;
  /** A progress line on stderr (a bar on a terminal, throttled lines in CI). */
  progress(label: string, total?: number): Progress;
  /** Where progress goes and whether it is silenced (--quiet), for packages that draw their own progress lines. */
  readonly progressStream: ProgressStream;
  readonly quiet: boolean;
  /** Stores an evaluation result in metrics.json (mode defaults to config.selfImprove.mode, stage to this one). */
  recordMetrics(input: Omit<MetricsInput, 'stage' | 'mode'> & { stage?: string; mode?: string }): MetricsEntry;
  /** Writes samples/<name>/grid.json for the report (image paths relative to the run directory). */
  writeGrid(name: string, grid: GridManifest): void;
  /** A human-readable line on stderr. */
  info(message: string): void;
}

export type StageRun = (ctx: StageContext) => Promise<void>;

export interface StageDefinition {
  name: StageName;
  /** One line for lists. */
  summary: string;
  /** What the stage does in the method, for --help. */
  describe: string;
  /** The package that implements it ('diff2in1' for the app itself). */
  provider: PerConfig<string>;
  /** Run-relative artifacts it reads (folders end with '/'). */
  requires: PerConfig<readonly string[]>;
  /** Run-relative artifacts it writes; hashed into state.json when it completes. */
  produces: PerConfig<readonly string[]>;
  /** Config sections it reads: they enter its fingerprint and its --help. */
  sections: readonly ConfigSection[];
  /** Part of `train`'s pipeline (predict and generate are tools). */
  pipeline: boolean;
  /** Re-run every time even if up to date (cheap stages such as the report). */
  always?: boolean;
  /** Undefined until the provider package has landed. */
  run?: StageRun;
}

/** Thrown when a stage's implementation is not there yet. Exit code 3 in the CLI. */
export class StageUnavailableError extends Diff2in1Error {
  readonly stage: StageName;
  readonly provider: string;
  constructor(stage: StageName, provider: string) {
    super('stage-unavailable', `stage '${stage}' is not available yet: ${provider} has not landed`);
    this.stage = stage;
    this.provider = provider;
  }
}

export class StageRegistry {
  private readonly defs = new Map<StageName, StageDefinition>();

  constructor(defs: Iterable<StageDefinition>) {
    for (const d of defs) this.defs.set(d.name, { ...d });
  }

  get(name: string): StageDefinition {
    const d = this.defs.get(name as StageName);
    if (!d) throw new Diff2in1Error('stage', `unknown stage "${name}"; stages are: ${[...this.defs.keys()].join(', ')}`);
    return d;
  }

  list(): StageDefinition[] {
    return [...this.defs.values()];
  }

  /** Plugs an implementation in (what each model package's wiring does). */
  implement(name: StageName, run: StageRun): this {
    this.get(name).run = run;
    return this;
  }

  /** A copy with some implementations replaced (tests use it to run the orchestration with stand-in stages). */
  with(runs: Partial<Record<StageName, StageRun | undefined>>): StageRegistry {
    const copy = new StageRegistry(this.list());
    for (const [k, v] of Object.entries(runs)) copy.get(k).run = v;
    return copy;
  }

  /** The implementation, or StageUnavailableError naming the package that will provide it. */
  implementation(name: StageName, config: Diff2in1Config, args: StageArgs = {}): StageRun {
    const d = this.get(name);
    if (!d.run) throw new StageUnavailableError(name, resolvePer(d.provider, config, args));
    return d.run;
  }
}

/** Where each stage's main artifacts live (run-relative). */
export const ARTIFACTS = {
  data: 'data/',
  captions: 'captions/',
  warmup: 'checkpoints/warmup.safetensors',
  synthetic: 'samples/synthetic/',
  creation: 'checkpoints/creation.safetensors',
  exploitation: 'checkpoints/exploitation.safetensors',
  eval: 'samples/eval/',
  report: 'report.html',
} as const;
