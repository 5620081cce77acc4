// Training-step programs: forward + loss + reverse-mode gradients + optimizer update as one ONNX model whose
// inputs are the batch, the learning rate and the training state (parameters, buffers, optimizer slots, step)
// and whose outputs are the loss and the next state. A second model runs several steps in an ONNX Loop with the
// state carried between iterations (fewer host round-trips). @diff2in1/runtime's TrainStepSession runs both.
//
// I/O names (the convention TrainStepSession relies on):
//   state input  `<name>`       parameters and buffers by state_dict name, `optimizer.<slot>.<param>`, `optimizer.step`
//   state output `<name>:next`
//   `lr` float64 [] (Loop: [steps]) · batch inputs by name (Loop: leading `steps` axis) · `loss` (Loop: [steps])
//   and any extra outputs of the loss function (Loop: stacked along `steps`).
import { Diff2in1Error, type DType, Tensor } from '@diff2in1/tensor';
import { GraphBuilder, type Value, attr, spec } from '../ir/graph.js';
import type { Param } from '../ir/param.js';
import { grad } from '../grad/index.js';
import { add, identity, mul } from '../ops/elementwise.js';
import { gather } from '../ops/indexing.js';
import type { Module } from '../nn/module.js';
import { serialize } from '../proto/serialize.js';
import { clipGradNorm, type Optimizer } from './optim.js';

export interface TensorSpec {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export type LossResult = Value | { loss: Value; outputs?: Record<string, Value> };

export interface TrainStepConfig {
  name?: string;
  /** The trained module: parameters with requiresGrad are trained, buffers carried; others are baked in. */
  model: Module;
  /** Batch inputs with static shapes. */
  batch: Readonly<Record<string, TensorSpec>>;
  /** Builds the scalar loss (and optional extra per-step outputs). Called once per compiled model. */
  loss: (batch: Record<string, Value>, g: GraphBuilder) => LossResult;
  optimizer: Optimizer;
  /** Global-norm gradient clipping (torch clip_grad_norm_). */
  clipGradNorm?: number;
  /**
   * torch param groups: per-parameter learning-rate factor and weight decay (e.g. no decay for norms and
   * biases, a smaller lr for a pretrained part). Default: the optimizer's settings for every parameter.
   */
  paramOptions?: (p: Param) => { lrScale?: number; weightDecay?: number } | undefined;
}

export type StateKind = 'parameter' | 'buffer' | 'optimizer';

export interface TrainStateEntry extends TensorSpec {
  readonly name: string;
  readonly kind: StateKind;
  /** Part of the exported state dict (false for non-persistent buffers). */
  readonly persistent: boolean;
}

export interface TrainStepProgram {
  readonly name: string;
  readonly optimizer: string;
  /** State in input order. */
  readonly state: readonly TrainStateEntry[];
  readonly batch: readonly (TensorSpec & { name: string })[];
  /** Per-step outputs: 'loss' first, then the loss function's extras. */
  readonly outputs: readonly string[];
  /** Current parameter/buffer data, zero optimizer slots, step 0. */
  initialState(): Record<string, Tensor>;
  /** The single-step model. */
  stepModel(): Uint8Array;
  /** The multi-step (ONNX Loop) model. */
  loopModel(): Uint8Array;
}

export const STEP_STATE = 'optimizer.step';
export const nextName = (name: string): string => `${name}:next`;
const slotName = (slot: string, p: Param): string => `optimizer.${slot}.${p.name}`;

interface Plan {
  trained: Param[];
  buffers: Param[];
  state: TrainStateEntry[];
}

function plan(cfg: TrainStepConfig): Plan {
  const trained = [...cfg.model.namedParameters().values()].filter((p) => p.requiresGrad);
  if (trained.length === 0) throw new Diff2in1Error('graph', `train step '${cfg.name ?? 'train_step'}': the model has no parameters with requiresGrad`);
  const buffers = [...cfg.model.namedBuffers().values()];
  const state: TrainStateEntry[] = [
    ...trained.map((p) => ({ name: p.name, kind: 'parameter' as const, dtype: p.dtype, shape: p.shape, persistent: true })),
    ...buffers.map((p) => ({ name: p.name, kind: 'buffer' as const, dtype: p.dtype, shape: p.shape, persistent: p.persistent })),
    ...cfg.optimizer.slots.flatMap((s) => trained.map((p) => ({ name: slotName(s, p), kind: 'optimizer' as const, dtype: p.dtype, shape: p.shape, persistent: true }))),
    { name: STEP_STATE, kind: 'optimizer', dtype: 'float64', shape: [], persistent: true },
  ];
  return { trained, buffers, state };
}

/** Parameters outside the state are baked in; a trainable one there is almost certainly a mistake. */
function paramMode(stateParams: Set<Param>, name: string): (p: Param) => 'initializer' | 'input' {
  return (p) => {
    if (stateParams.has(p)) throw new Diff2in1Error('graph', `train step '${name}': internal error, ${p.name} is not bound`);
    if (p.requiresGrad) {
      throw new Diff2in1Error('graph', `train step '${name}': parameter '${p.name}' is used by the loss but is not part of the trained model; freeze its module with .requiresGrad(false) or train it as part of the model`);
    }
    return 'initializer';
  };
}

/** Emits one step into `g`: binds the state values, builds loss, gradients and updates; returns next values. */
function emitStep(cfg: TrainStepConfig, pl: Plan, g: GraphBuilder, state: Map<string, Value>, batch: Record<string, Value>, lr: Value): { next: Map<string, Value>; outputs: Record<string, Value> } {
  for (const p of [...pl.trained, ...pl.buffers]) g.bindParam(p, state.get(p.name)!);
  const r = cfg.loss(batch, g);
  const { loss, outputs = {} } = 'graph' in r ? { loss: r } : r;
  if (loss.rank !== 0) throw new Diff2in1Error('graph', `train step '${g.name}': the loss must be a scalar, got ${loss}`);
  let grads = grad(loss, pl.trained.map((p) => state.get(p.name)!));
  if (cfg.clipGradNorm !== undefined) grads = clipGradNorm(grads, cfg.clipGradNorm).grads;
  const t = add(state.get(STEP_STATE)!, 1);
  const next = new Map<string, Value>();
  pl.trained.forEach((p, i) => {
    const slots = cfg.optimizer.slots.map((s) => state.get(slotName(s, p))!);
    const po = cfg.paramOptions?.(p) ?? {};
    const plr = po.lrScale === undefined || po.lrScale === 1 ? lr : mul(lr, po.lrScale);
    const u = cfg.optimizer.update({ lr: plr, t, ...(po.weightDecay === undefined ? {} : { weightDecay: po.weightDecay }) }, state.get(p.name)!, grads[i]!, slots);
    next.set(p.name, u.param);
    cfg.optimizer.slots.forEach((s, k) => next.set(slotName(s, p), u.slots[k]!));
  });
  for (const b of pl.buffers) next.set(b.name, g.bufferUpdates.get(b) ?? state.get(b.name)!);
  next.set(STEP_STATE, t);
  return { next, outputs: { loss, ...outputs } };
}

function buildStep(cfg: TrainStepConfig, pl: Plan): { g: GraphBuilder; outputs: string[] } {
  const name = cfg.name ?? 'train_step';
  const g = new GraphBuilder(name, { params: paramMode(new Set([...pl.trained, ...pl.buffers]), name) });
  const state = new Map(pl.state.map((e) => [e.name, g.input(e.name, e.dtype, e.shape)] as const));
  const batch = Object.fromEntries(Object.entries(cfg.batch).map(([k, s]) => [k, g.input(k, s.dtype, s.shape)]));
  const lr = g.input('lr', 'float64', []);
  const { next, outputs } = emitStep(cfg, pl, g, state, batch, lr);
  for (const [k, v] of Object.entries(outputs)) g.output(k, v);
  for (const e of pl.state) g.output(nextName(e.name), next.get(e.name)!);
  return { g, outputs: Object.keys(outputs) };
}

function buildLoop(cfg: TrainStepConfig, pl: Plan): GraphBuilder {
  const name = `${cfg.name ?? 'train_step'}_loop`;
  const mode = paramMode(new Set([...pl.trained, ...pl.buffers]), name);
  const g = new GraphBuilder(name, { params: mode });
  const init = pl.state.map((e) => g.input(e.name, e.dtype, e.shape));
  const batchOuter = Object.fromEntries(Object.entries(cfg.batch).map(([k, s]) => [k, g.input(k, s.dtype, ['steps', ...s.shape])]));
  const lrs = g.input('lr', 'float64', ['steps']);
  const tripShape = g.node1('Shape', [lrs], {}, spec('int64', [1]));
  const trip = g.node1('Squeeze', [tripShape], {}, spec('int64', []));
  const cond = g.constant(new Tensor('bool', [], Uint8Array.of(1)));

  const body = new GraphBuilder(`${name}_body`, { parent: g, params: mode });
  const iter = body.input(`${name}/iter`, 'int64', []);
  const condIn = body.input(`${name}/cond`, 'bool', []);
  const carried = new Map(pl.state.map((e) => [e.name, body.input(`${name}/${e.name}`, e.dtype, e.shape)] as const));
  const batch = Object.fromEntries(Object.entries(batchOuter).map(([k, v]) => [k, gather(v, iter, 0)]));
  const { next, outputs } = emitStep(cfg, pl, body, carried, batch, gather(lrs, iter, 0));
  body.output(`${name}/cond_out`, identity(condIn));
  for (const e of pl.state) body.output(`${name}/${e.name}:next`, identity(next.get(e.name)!));
  const scans = Object.entries(outputs);
  for (const [k, v] of scans) body.output(`${name}/${k}:scan`, identity(v));

  const outs = g.node('Loop', [trip, cond, ...init], { body: attr.graph(body) }, [
    ...pl.state.map((e) => spec(e.dtype, e.shape)),
    ...scans.map(([, v]) => spec(v.dtype, ['steps', ...v.shape])),
  ]);
  scans.forEach(([k], i) => g.output(k, outs[pl.state.length + i]!));
  pl.state.forEach((e, i) => g.output(nextName(e.name), outs[i]!));
  return g;
}

/** Compiles a training step for `cfg.model` (see the I/O naming at the top of this file). */
export function compileTrainStep(cfg: TrainStepConfig): TrainStepProgram {
  const pl = plan(cfg);
  for (const [k] of Object.entries(cfg.batch)) {
    if (pl.state.some((e) => e.name === k) || k === 'lr') throw new Diff2in1Error('graph', `train step: batch input '${k}' clashes with a state or 'lr' name`);
  }
  const step = buildStep(cfg, pl);
  const meta = JSON.stringify({ optimizer: cfg.optimizer.name, state: pl.state.map((e) => [e.name, e.kind]) });
  step.g.metadata.set('diff2in1.train_step', meta);
  let stepBytes: Uint8Array | undefined;
  let loopBytes: Uint8Array | undefined;
  return {
    name: cfg.name ?? 'train_step',
    optimizer: cfg.optimizer.name,
    state: pl.state,
    batch: Object.entries(cfg.batch).map(([name, s]) => ({ name, dtype: s.dtype, shape: [...s.shape] })),
    outputs: step.outputs,
    initialState() {
      const out: Record<string, Tensor> = {};
      for (const p of [...pl.trained, ...pl.buffers]) out[p.name] = p.data;
      for (const e of pl.state) if (e.kind === 'optimizer') out[e.name] = new Tensor(e.dtype, e.shape);
      return out;
    },
    stepModel: () => (stepBytes ??= serialize(step.g)),
    loopModel: () => {
      if (!loopBytes) {
        const lg = buildLoop(cfg, pl);
        lg.metadata.set('diff2in1.train_step', meta);
        loopBytes = serialize(lg);
      }
      return loopBytes;
    },
  };
}
