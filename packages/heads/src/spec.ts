// TaskNetworkV1: the versioned plugin spec every task head implements (the vercel/ai provider pattern: a light
// spec package, one package per implementation, a registry that third-party packages join on import).
//
// A plugin is a factory. `create(hyperParameters)` gives an instance that owns its parameters (a Module whose
// state_dict names are the upstream keys), says which pyramid levels it reads, builds its graph from pyramid
// features, builds its loss from targets and valid masks, and turns output tensors into task labels.
import type { Dim, GraphBuilder, Module, Value } from '@diff2in1/graph';
import type { PyramidFeature, PyramidRequest } from '@diff2in1/feature-pyramid';
import type { TaskName } from '@diff2in1/tasks';
import type { DType, Rng, Tensor } from '@diff2in1/tensor';

export type BuildMode = 'train' | 'eval';

export interface BuildOptions {
  /**
   * 'train': the graph a training step differentiates (heads may subsample, e.g. Bae et al.'s point sampling);
   * 'eval': dense predictions. Independent of the modules' train()/eval() flags (batch statistics, buffer
   * updates), which the caller sets: the official self-improving stage runs θC with eval() modules in 'train' mode.
   */
  mode: BuildMode;
  /** Input image [H, W]; outputs at stride 1 have this size. */
  image: readonly [number, number];
  /**
   * Valid masks of the targets (train mode), for heads whose forward reads them — Bae et al.'s point sampling
   * skips pixels without ground truth. Heads must work without them (prediction-only graphs).
   */
  valid?: ValidMasks;
  /**
   * Values for the head's step feeds (see `stepFeeds`), e.g. batch inputs of a compiled training step. Missing
   * ones become graph inputs named after the feed.
   */
  feeds?: Readonly<Record<string, Value>>;
}

/**
 * A per-step graph input the host must feed (e.g. random sample positions): name, dtype, shape, and how to draw
 * it from a seeded Rng, so runs are reproducible and the graph itself is deterministic.
 */
export interface StepFeed {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  sample(rng: Rng): Tensor;
}

export interface BuildResult {
  /** Named outputs (the loss reads them; 'eval' outputs are what `postprocess` reads). */
  readonly outputs: Readonly<Record<string, Value>>;
  /** Extra inputs to feed every run (none for most heads). */
  readonly feeds: readonly StepFeed[];
}

/** Ground truth for the loss, per task: dense targets [N, C, H, W] or class ids [N, H, W] (int64). */
export type Targets = Partial<Record<TaskName, Value>>;
/** Valid masks per task, float32 0/1 [N, 1, H, W]. */
export type ValidMasks = Partial<Record<TaskName, Value>>;

/** One task's prediction for a batch: [N, C, H, W] (normals: unit vectors), optional confidence [N, 1, H, W]. */
export interface TaskPrediction {
  readonly value: Tensor<'float32'>;
  readonly confidence?: Tensor<'float32'>;
}

export type Predictions = Partial<Record<TaskName, TaskPrediction>>;

/** A created task network: the spec's fields plus the parameters and graph builders of one configuration. */
export interface TaskNetworkV1<HP extends object = Record<string, unknown>> {
  readonly specVersion: 1;
  readonly id: string;
  readonly tasks: readonly TaskName[];
  /** The hyper-parameters in effect (defaults merged with the caller's). */
  readonly hyperParameters: Readonly<HP>;
  /** The pyramid levels `build` reads (any order; features are matched by stride and channels). */
  readonly pyramid: PyramidRequest;
  /** The head's parameters and buffers, named as the upstream state_dict. */
  readonly module: Module;
  /** The per-step inputs `build` will read for a batch of `batch` images (declare them before building). */
  stepFeeds(batch: number, opts: Pick<BuildOptions, 'mode' | 'image'>): StepFeed[];
  build(g: GraphBuilder, features: readonly PyramidFeature[], opts: BuildOptions): BuildResult;
  /** A scalar loss from `build`'s outputs (train mode), targets and valid masks. */
  loss(g: GraphBuilder, outputs: Readonly<Record<string, Value>>, targets: Targets, valid: ValidMasks): Value;
  /** Task labels from the tensors of an 'eval' run's outputs. */
  postprocess(outputs: Readonly<Record<string, Tensor>>): Predictions;
}

/** The plugin: identity, defaults and a factory. */
export interface TaskNetworkPluginV1<HP extends object = Record<string, unknown>> {
  readonly specVersion: 1;
  readonly id: string;
  readonly description: string;
  readonly tasks: readonly TaskName[];
  /** Default hyper-parameters (the upstream training recipe where one exists). */
  readonly defaults: Readonly<HP>;
  create(hyperParameters?: Partial<HP>): TaskNetworkV1<HP>;
}

/** Graph input names for targets and valid masks (what trainers feed). */
export const targetInputName = (task: TaskName): string => `target.${task}`;
export const validInputName = (task: TaskName): string => `valid.${task}`;

/** Channels of dense targets; class tasks use int64 ids [N, H, W]. */
export const TARGET_CHANNELS: Readonly<Record<TaskName, number | 'classes'>> = { normals: 3, depth: 1, saliency: 1, semseg: 'classes', parts: 'classes' };

/** Target and valid-mask graph inputs for `tasks` at image size. */
export function targetInputs(g: GraphBuilder, tasks: readonly TaskName[], batch: Dim, image: readonly [number, number]): { targets: Targets; valid: ValidMasks } {
  const targets: Targets = {};
  const valid: ValidMasks = {};
  for (const t of tasks) {
    const c = TARGET_CHANNELS[t];
    targets[t] = c === 'classes' ? g.input(targetInputName(t), 'int64', [batch, image[0], image[1]]) : g.input(targetInputName(t), 'float32', [batch, c, image[0], image[1]]);
    valid[t] = g.input(validInputName(t), 'float32', [batch, 1, image[0], image[1]]);
  }
  return { targets, valid };
}
