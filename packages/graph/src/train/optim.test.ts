import { describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Tensor, readSafetensors } from '@diff2in1/tensor';
import { createSession } from '@diff2in1/runtime';
import { relErr } from '../testing/reference.js';
import { Linear } from '../nn/linear.js';
import { loadStateDict } from '../nn/state-dict.js';
import { mseLoss } from './losses.js';
import { adam, adamW, sgd, type Optimizer } from './optim.js';
import { compileTrainStep, nextName, type TrainStepProgram } from './train-step.js';

const fx = readSafetensors(fileURLToPath(new URL('../fixtures/optim-losses.safetensors', import.meta.url)));
const lrs: Record<string, number> = { sgd: 0.1, sgd_momentum: 0.05, sgd_nesterov: 0.05, adam: 0.01, adamw: 0.02, adamw_clip: 0.02 };
const configs: [string, Optimizer, number?][] = [
  ['sgd', sgd()],
  ['sgd_momentum', sgd({ momentum: 0.9, dampening: 0.1 })],
  ['sgd_nesterov', sgd({ momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['adam', adam({ weightDecay: 0.01 })],
  ['adamw', adamW({ betas: [0.8, 0.99], weightDecay: 0.05 })],
  ['adamw_clip', adamW(), 0.5],
];

async function train(prog: TrainStepProgram, feeds: Record<string, Tensor>, lr: number, steps: number): Promise<Record<string, Tensor>[]> {
  const s = await createSession(prog.stepModel(), { device: 'cpu', intraOpThreads: 1 });
  let state = prog.initialState();
  const history: Record<string, Tensor>[] = [];
  for (let i = 0; i < steps; i++) {
    const out = await s.run({ ...state, ...feeds, lr: new Tensor('float64', [], Float64Array.of(lr)) });
    state = Object.fromEntries(prog.state.map((e) => [e.name, out[nextName(e.name)]!]));
    history.push({ ...state, loss: out.loss! });
  }
  await s.release();
  return history;
}

describe('optimizers follow torch.optim step by step', () => {
  for (const [name, opt, clip] of configs) {
    test(name, async () => {
      const model = new Linear(3, 4);
      loadStateDict(model, { weight: fx['in.w0']!, bias: fx['in.b0']! }, { strict: true });
      const prog = compileTrainStep({
        model, optimizer: opt, clipGradNorm: clip,
        batch: { x: { dtype: 'float32', shape: [6, 3] }, t: { dtype: 'float32', shape: [6, 4] } },
        loss: (b) => mseLoss(model.forward(b.x!), b.t!),
      });
      const hist = await train(prog, { x: fx['in.x']!, t: fx['in.t']! }, lrs[name]!, 5);
      const w = fx[`${name}.w`]!.data as Float32Array;
      const b = fx[`${name}.b`]!.data as Float32Array;
      hist.forEach((h, i) => {
        expect(relErr(h.weight!.data as Float32Array, w.subarray(i * 12, (i + 1) * 12)), `${name} step ${i + 1} weight`).toBeLessThan(2e-6);
        expect(relErr(h.bias!.data as Float32Array, b.subarray(i * 4, (i + 1) * 4)), `${name} step ${i + 1} bias`).toBeLessThan(2e-6);
        expect(relErr(h.loss!.data as Float32Array, [fx[`${name}.loss`]!.data[i] as number])).toBeLessThan(2e-6);
      });
      expect(hist[4]!['optimizer.step']!.data[0]).toBe(5);
    });
  }
});

describe('param groups', () => {
  test('lrScale 0 freezes a parameter; a weight-decay override changes only that parameter', async () => {
    const model = new Linear(3, 4);
    loadStateDict(model, { weight: fx['in.w0']!, bias: fx['in.b0']! }, { strict: true });
    const batch = { x: { dtype: 'float32' as const, shape: [6, 3] }, t: { dtype: 'float32' as const, shape: [6, 4] } };
    const feeds = { x: fx['in.x']!, t: fx['in.t']! };
    const base = compileTrainStep({ model, optimizer: adamW({ weightDecay: 0 }), batch, loss: (b) => mseLoss(model.forward(b.x!), b.t!) });
    const grouped = compileTrainStep({
      model, optimizer: adamW({ weightDecay: 0 }), batch, loss: (b) => mseLoss(model.forward(b.x!), b.t!),
      paramOptions: (p) => (p === model.bias ? { lrScale: 0 } : { weightDecay: 0.5 }),
    });
    const [h0, h1] = [await train(base, feeds, 0.02, 2), await train(grouped, feeds, 0.02, 2)];
    expect(Array.from(h1[1]!.bias!.data as Float32Array)).toEqual(Array.from(fx['in.b0']!.data as Float32Array));
    // decoupled decay on top of the same Adam direction (bias frozen changes the loss, so compare step 1 only):
    // w1 = w0·(1 − lr·wd) − lr·m̂/(√v̂ + ε) = base step-1 weight − lr·wd·w0
    const w0 = fx['in.w0']!.data as Float32Array;
    const want = Array.from(h0[0]!.weight!.data as Float32Array, (v, i) => v - 0.02 * 0.5 * w0[i]!);
    expect(relErr(h1[0]!.weight!.data as Float32Array, want)).toBeLessThan(1e-5);
  });
});
