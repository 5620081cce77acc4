// Training-step sessions: run a compiled training step (forward + loss + gradients + optimizer update in one ONNX
// model, built by @diff2in1/graph's compileTrainStep) while holding the training state — parameters, buffers
// (BatchNorm running stats), optimizer slots and the step count — between calls. `steps(n, ...)` runs n
// micro-steps in one call through the program's ONNX Loop model (bit-identical to n single steps).
//
// The program is described structurally (TrainStepProgram below) so this package does not depend on the graph
// builder. I/O names: state `<name>` in / `<name>:next` out, `lr` (float64; [steps] in the Loop), batch inputs
// by name (leading `steps` axis in the Loop), per-step outputs ('loss' first; stacked in the Loop).
import { Diff2in1Error, Tensor, type DType, type TensorSource, readSafetensors, writeSafetensors } from '@diff2in1/tensor';
import { createSession, type Session, type SessionOptions } from './session.js';

export type TrainStateKind = 'parameter' | 'buffer' | 'optimizer';

export interface TrainStateSpec {
  readonly name: string;
  readonly kind: TrainStateKind;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** In the exported state dict (false for non-persistent buffers). */
  readonly persistent: boolean;
}

/** A compiled training step (what @diff2in1/graph's compileTrainStep returns). */
export interface TrainStepProgram {
  readonly name: string;
  readonly optimizer: string;
  readonly state: readonly TrainStateSpec[];
  readonly batch: readonly { readonly name: string; readonly dtype: DType; readonly shape: readonly number[] }[];
  /** Per-step outputs, 'loss' first. */
  readonly outputs: readonly string[];
  initialState(): Record<string, Tensor>;
  stepModel(): Uint8Array;
  loopModel(): Uint8Array;
}

/** The completed-step counter's state name. */
export const TRAIN_STEP_COUNTER = 'optimizer.step';
/** `format` value in exported state files' metadata. */
export const TRAIN_STATE_FORMAT = 'diff2in1-train-state/1';

export interface TrainStepSessionOptions extends SessionOptions {
  /** Learning rate: a constant, or a schedule of the number of completed steps (0 for the first step). */
  lr: number | ((completedSteps: number) => number);
  /** Initial state (default: program.initialState()); names and shapes must match the program. */
  state?: Readonly<Record<string, Tensor>>;
}

export interface StepResult {
  loss: number;
  /** All per-step outputs of the program ('loss' and extras). */
  outputs: Record<string, Tensor>;
}

function checkState(program: TrainStepProgram, state: Readonly<Record<string, Tensor>>, what: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const problems: string[] = [];
  for (const e of program.state) {
    const t = state[e.name];
    if (!t) problems.push(`missing '${e.name}'`);
    else if (t.dtype !== e.dtype || t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
      problems.push(`'${e.name}' is ${t.dtype} [${t.shape.join(', ')}], expected ${e.dtype} [${e.shape.join(', ')}]`);
    } else out[e.name] = t;
  }
  if (problems.length) throw new Diff2in1Error('train-state', `${what} does not fit train step '${program.name}': ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? `; ... ${problems.length - 20} more` : ''}`);
  return out;
}

/** Stacks n tensors of one shape along a new leading axis. */
function stack(ts: readonly Tensor[], name: string): Tensor {
  const first = ts[0]!;
  for (const t of ts) {
    if (t.dtype !== first.dtype || t.shape.join() !== first.shape.join()) {
      throw new Diff2in1Error('train-state', `steps(): batch input '${name}' differs between micro-batches (${first} vs ${t})`);
    }
  }
  const data = new (first.data.constructor as new (n: number) => Tensor['data'])(first.size * ts.length);
  ts.forEach((t, i) => (data as Float32Array).set(t.data as Float32Array, i * first.size));
  return new Tensor(first.dtype, [ts.length, ...first.shape], data);
}

/** A compiled training step with its state held between calls (see the file comment and README.md). */
export class TrainStepSession {
  #state: Record<string, Tensor>;
  #loop: Session | undefined;
  #released = false;

  private constructor(
    readonly program: TrainStepProgram,
    private readonly session: Session,
    private readonly options: TrainStepSessionOptions,
    state: Record<string, Tensor>,
  ) {
    this.#state = state;
  }

  /** Loads the program's single-step model and the initial state. */
  static async create(program: TrainStepProgram, options: TrainStepSessionOptions): Promise<TrainStepSession> {
    const state = checkState(program, options.state ?? program.initialState(), 'initial state');
    const session = await createSession(program.stepModel(), { ...options, name: options.name ?? `${program.name} (train step)` });
    return new TrainStepSession(program, session, options, state);
  }

  /** Steps completed so far (the optimizer's step counter). */
  get stepCount(): number {
    return Number(this.#state[TRAIN_STEP_COUNTER]?.data[0] ?? 0);
  }

  /** The current state by name (parameters, buffers, optimizer.*). Tensors are replaced, never mutated, by steps. */
  get state(): Readonly<Record<string, Tensor>> {
    return this.#state;
  }

  /** Trained parameters and persistent buffers by their upstream state_dict names. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const e of this.program.state) if (e.kind !== 'optimizer' && e.persistent) out[e.name] = this.#state[e.name]!;
    return out;
  }

  private lrAt(completed: number, override?: number): number {
    if (override !== undefined) return override;
    const lr = this.options.lr;
    const v = typeof lr === 'number' ? lr : lr(completed);
    if (!Number.isFinite(v)) throw new Diff2in1Error('train-state', `${this.program.name}: learning rate for step ${completed} is ${v}`);
    return v;
  }

  private live(): void {
    if (this.#released) throw new Diff2in1Error('session', `${this.program.name}: train step session used after release()`);
  }

  private takeState(out: Record<string, Tensor>): void {
    const next: Record<string, Tensor> = {};
    for (const e of this.program.state) next[e.name] = out[`${e.name}:next`]!;
    this.#state = next;
  }

  /** One training step on `batch`; returns the loss and the step's outputs. */
  async stepWithOutputs(batch: Readonly<Record<string, Tensor>>, opts: { lr?: number } = {}): Promise<StepResult> {
    this.live();
    const lr = new Tensor('float64', [], Float64Array.of(this.lrAt(this.stepCount, opts.lr)));
    const out = await this.session.run({ ...this.#state, ...batch, lr });
    this.takeState(out);
    const outputs = Object.fromEntries(this.program.outputs.map((k) => [k, out[k]!]));
    return { loss: Number(out.loss!.data[0]), outputs };
  }

  /** One training step on `batch`; returns the loss. */
  async step(batch: Readonly<Record<string, Tensor>>, opts: { lr?: number } = {}): Promise<number> {
    return (await this.stepWithOutputs(batch, opts)).loss;
  }

  /**
   * n micro-steps in one run (ONNX Loop): `batches` is n batch records, or one record whose tensors are stacked
   * along a leading axis of length n. Returns each step's loss; per-step outputs stacked in `outputs`.
   */
  async steps(n: number, batches: readonly Readonly<Record<string, Tensor>>[] | Readonly<Record<string, Tensor>>): Promise<{ losses: number[]; outputs: Record<string, Tensor> }> {
    this.live();
    if (!Number.isSafeInteger(n) || n < 1) throw new Diff2in1Error('train-state', `steps(n): n must be a positive integer, got ${n}`);
    let feeds: Record<string, Tensor>;
    if (Array.isArray(batches)) {
      if (batches.length !== n) throw new Diff2in1Error('train-state', `steps(${n}): got ${batches.length} batches`);
      feeds = Object.fromEntries(this.program.batch.map((b) => [b.name, stack(batches.map((r) => {
        const t = (r as Record<string, Tensor>)[b.name];
        if (!t) throw new Diff2in1Error('train-state', `steps(): a micro-batch lacks input '${b.name}'`);
        return t;
      }), b.name)]));
    } else {
      feeds = { ...(batches as Record<string, Tensor>) };
      for (const b of this.program.batch) {
        if (feeds[b.name]?.shape[0] !== n) throw new Diff2in1Error('train-state', `steps(${n}): stacked input '${b.name}' must have a leading axis of ${n}`);
      }
    }
    const base = this.stepCount;
    feeds.lr = new Tensor('float64', [n], Float64Array.from({ length: n }, (_, i) => this.lrAt(base + i)));
    this.#loop ??= await createSession(this.program.loopModel(), { ...this.options, name: `${this.program.name} (train loop)` });
    const out = await this.#loop.run({ ...this.#state, ...feeds });
    this.takeState(out);
    const losses = Array.from(out.loss!.data as Float32Array | Float64Array, Number);
    return { losses, outputs: Object.fromEntries(this.program.outputs.map((k) => [k, out[k]!])) };
  }

  /**
   * Writes the state as safetensors: parameters and persistent buffers under their upstream names, optimizer
   * state under `optimizer.*` (unless `optimizer: false`), metadata { format, program, optimizer, step }.
   */
  exportState(path: string, opts: { optimizer?: boolean } = {}): void {
    const tensors: Record<string, Tensor> = this.stateDict();
    if (opts.optimizer !== false) for (const e of this.program.state) if (e.kind === 'optimizer') tensors[e.name] = this.#state[e.name]!;
    writeSafetensors(path, tensors, { format: TRAIN_STATE_FORMAT, program: this.program.name, optimizer: this.program.optimizer, step: String(this.stepCount) });
  }

  /**
   * Replaces the state from a safetensors path, a TensorSource or a name → Tensor record. Parameters and buffers
   * are required; missing optimizer state restarts the optimizer (zeros, step 0) unless `requireOptimizer`.
   * Non-persistent buffers keep their current values.
   */
  importState(source: string | TensorSource | Readonly<Record<string, Tensor>>, opts: { requireOptimizer?: boolean } = {}): void {
    const get: (n: string) => Tensor | undefined = typeof source === 'string'
      ? ((r) => (n: string) => r[n])(readSafetensors(source))
      : typeof (source as TensorSource).names === 'function'
        ? (n) => ((source as TensorSource).has(n) ? (source as TensorSource).get(n) : undefined)
        : (n) => (source as Record<string, Tensor>)[n];
    const file = typeof source === 'string' ? source : undefined;
    const optimizerPresent = this.program.state.some((e) => e.kind === 'optimizer' && get(e.name) !== undefined);
    const fresh = this.program.initialState();
    const merged: Record<string, Tensor> = {};
    for (const e of this.program.state) {
      const t = get(e.name);
      if (t) merged[e.name] = t;
      else if (e.kind === 'buffer' && !e.persistent) merged[e.name] = this.#state[e.name]!;
      else if (e.kind === 'optimizer' && !optimizerPresent && !opts.requireOptimizer) merged[e.name] = fresh[e.name]!;
    }
    this.#state = checkState(this.program, merged, file ?? 'imported state');
  }

  async release(): Promise<void> {
    this.#released = true;
    await this.session.release();
    await this.#loop?.release();
  }
}
