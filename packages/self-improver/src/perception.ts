// The trainable half of the unified model: feature-pyramid adapter + task head over frozen UNet taps, compiled
// into the graphs the training stages run.
//
//   inference graph  taps → head outputs ('eval' build: dense predictions). Parameters and buffers are graph
//                    INPUTS, so one compiled session serves θC, θE and θW: each run feeds its own state.
//   label graph      the official self-improving stage's pseudo-label forward: θC's modules in eval() mode but the
//                    head built in 'train' mode (training_2nd_stage.py: `sn_module_c.eval(); bae_module_c.eval()`,
//                    then `bae_module_c(..., gt_norm_mask=..., mode='train')`, label = norm_out_list_c[-1]); for
//                    Bae et al. that is the ×2-upsampled res2 prediction with the sampled 40 % of pixels refined.
//                    Static batch (the head's random draws are inputs), parameters as inputs.
//   train step       taps + targets + valid masks + the head's step feeds (+ lr) → loss and the next parameters,
//                    buffers and optimizer state (compileTrainStep), with the modules in train() mode (BatchNorm
//                    batch statistics and SNConv2d power iterations update buffers, as upstream's θE).
// State names are `adapter.<upstream key>` and `head.<upstream key>` (SNmodule / Decoder state_dict keys).
import { type AdapterOptions, type PyramidAdapter, type TapSpec, createAdapter, tapInputName, tapShapes } from '@diff2in1/feature-pyramid';
import { GraphBuilder, Module, type Optimizer, type TrainStepProgram, type Value, adam, adamW, compileTrainStep, initParameters, serialize, stateDict } from '@diff2in1/graph';
import { type StepFeed, type TaskNetworkV1, TARGET_CHANNELS, getTaskNetwork, targetInputName, validInputName } from '@diff2in1/heads';
import '@diff2in1/head-bae';
import { Diff2in1Error, Rng, type Tensor, choices } from '@diff2in1/tensor';

export const OPTIMIZERS = ['adam', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface PerceptionModelOptions {
  /** Tapped backbone features at IMAGE strides (see featureTaps). */
  taps: readonly TapSpec[];
  /** Input image [H, W]. */
  image: readonly [number, number];
  /** A registered head id ('bae') and its hyper-parameters, or a created network. */
  head: { id: string; hyperParameters?: Record<string, unknown> } | TaskNetworkV1<object>;
  adapter?: AdapterOptions;
  /** Seeds the parameter initialisation (PyTorch default initialisers, per parameter name). */
  seed?: number;
}

/** Optimizer of the training stages; the official warm-up and self-improving stages use Adam (no weight decay). */
export function makeOptimizer(name: OptimizerName, weightDecay?: number): Optimizer {
  if (name === 'adam') return adam(weightDecay === undefined ? {} : { weightDecay });
  if (name === 'adamw') return adamW(weightDecay === undefined ? {} : { weightDecay });
  throw new Diff2in1Error('self-improver', `optimizer '${String(name)}' is unknown; ${choices(OPTIMIZERS)}`);
}

export class PerceptionModel {
  readonly module = new Module();
  readonly adapter: PyramidAdapter;
  readonly head: TaskNetworkV1<object>;
  readonly taps: readonly TapSpec[];
  readonly image: readonly [number, number];
  #inference: Uint8Array | undefined;
  readonly #labels = new Map<number, { bytes: Uint8Array; feeds: StepFeed[] }>();

  constructor(readonly options: PerceptionModelOptions) {
    this.taps = options.taps;
    this.image = [options.image[0], options.image[1]];
    const h = options.head;
    this.head = 'specVersion' in h ? h : (getTaskNetwork(h.id).create(h.hyperParameters ?? {}) as TaskNetworkV1<object>);
    this.adapter = createAdapter(options.taps, this.head.pyramid, options.adapter ?? {});
    this.module.addModule('adapter', this.adapter);
    this.module.addModule('head', this.head.module);
    initParameters(this.module, new Rng(options.seed ?? 0).fork('init'));
  }

  get tasks(): TaskNetworkV1<object>['tasks'] {
    return this.head.tasks;
  }

  /** Parameters and persistent buffers at initialisation (θ0), by state name. */
  initialState(): Record<string, Tensor> {
    return stateDict(this.module);
  }

  /** Tap feature shapes of a batch, by graph input name `tap.<module>`. */
  tapShapes(batch: number): Record<string, { dtype: 'float32'; shape: number[] }> {
    return tapShapes(this.taps, batch, this.image);
  }

  private pyramid(values: Readonly<Record<string, Value>>): ReturnType<PyramidAdapter['forward']> {
    return this.adapter.forward(Object.fromEntries(this.taps.map((t) => [t.name, values[tapInputName(t.name)]!])));
  }

  /** The inference graph (modules in eval() mode, dense 'eval' build, symbolic batch); cached bytes. */
  inferenceModel(): Uint8Array {
    if (this.#inference) return this.#inference;
    this.module.eval();
    const g = new GraphBuilder('perception_eval', { params: 'input' });
    const inputs: Record<string, Value> = {};
    for (const [name, s] of Object.entries(this.tapShapes(1))) inputs[name] = g.input(name, s.dtype, ['batch', ...s.shape.slice(1)]);
    const built = this.head.build(g, this.pyramid(inputs), { mode: 'eval', image: this.image });
    for (const [k, v] of Object.entries(built.outputs)) g.output(k, v);
    this.#inference = serialize(g);
    return this.#inference;
  }

  /**
   * The official pseudo-label graph at a static batch size: modules in eval(), head built in 'train' mode with a
   * valid-mask input (`valid.<task>`) and its step feeds as inputs. Outputs: the head's outputs.
   */
  labelModel(batch: number): { bytes: Uint8Array; feeds: StepFeed[] } {
    const cached = this.#labels.get(batch);
    if (cached) return cached;
    this.module.eval();
    const g = new GraphBuilder('perception_label', { params: 'input' });
    const inputs: Record<string, Value> = {};
    for (const [name, s] of Object.entries(this.tapShapes(batch))) inputs[name] = g.input(name, s.dtype, s.shape);
    const valid: Record<string, Value> = {};
    for (const t of this.tasks) valid[t] = g.input(validInputName(t), 'float32', [batch, 1, this.image[0], this.image[1]]);
    const feeds = this.head.stepFeeds(batch, { mode: 'train', image: this.image });
    const feedValues = Object.fromEntries(feeds.map((f) => [f.name, g.input(f.name, f.dtype, f.shape)]));
    const built = this.head.build(g, this.pyramid(inputs), { mode: 'train', image: this.image, valid, feeds: feedValues });
    for (const [k, v] of Object.entries(built.outputs)) g.output(k, v);
    const r = { bytes: serialize(g), feeds };
    this.#labels.set(batch, r);
    return r;
  }

  /** Step feeds (the head's random draws) of a train step or label run at `batch`. */
  stepFeeds(batch: number): StepFeed[] {
    return this.head.stepFeeds(batch, { mode: 'train', image: this.image });
  }

  /** Batch input specs of the train step at `batch`: taps, targets, valid masks, step feeds. */
  trainBatchSpec(batch: number): Record<string, { dtype: Tensor['dtype']; shape: number[] }> {
    const [h, w] = this.image;
    const spec: Record<string, { dtype: Tensor['dtype']; shape: number[] }> = { ...this.tapShapes(batch) };
    for (const t of this.tasks) {
      const c = TARGET_CHANNELS[t];
      spec[targetInputName(t)] = c === 'classes' ? { dtype: 'int64', shape: [batch, h, w] } : { dtype: 'float32', shape: [batch, c, h, w] };
      spec[validInputName(t)] = { dtype: 'float32', shape: [batch, 1, h, w] };
    }
    for (const f of this.stepFeeds(batch)) spec[f.name] = { dtype: f.dtype, shape: [...f.shape] };
    return spec;
  }

  /**
   * The training step at a static batch size: forward ('train' build, modules in train() mode), the head's loss,
   * gradients and the optimizer update (compileTrainStep; the Loop model builds lazily and sets the mode again).
   */
  trainProgram(batch: number, optimizer: Optimizer, name = 'perception_train'): TrainStepProgram {
    const spec = this.trainBatchSpec(batch);
    return compileTrainStep({
      name,
      model: this.module,
      batch: spec,
      optimizer,
      loss: (b, g) => {
        this.module.train();
        const { targets, valid } = pick(this.tasks, b);
        const built = this.head.build(g, this.pyramid(b), { mode: 'train', image: this.image, valid, feeds: b });
        return this.head.loss(g, built.outputs, targets, valid);
      },
    });
  }
}

function pick(tasks: readonly string[], b: Record<string, Value>): { targets: Record<string, Value>; valid: Record<string, Value> } {
  const targets: Record<string, Value> = {};
  const valid: Record<string, Value> = {};
  for (const t of tasks) {
    targets[t] = b[targetInputName(t as never)]!;
    valid[t] = b[validInputName(t as never)]!;
  }
  return { targets, valid };
}
