import { afterAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Tensor, randn, readSafetensors } from '@diff2in1/tensor';
import { BatchNorm2d, Conv2d, GroupNorm, Module, adamW, compileTrainStep, gelu, initParameters, mseLoss, sgd, type Value } from '@diff2in1/graph';
import { TrainStepSession, type TrainStepProgram } from './train-step.js';

class Net extends Module {
  conv = this.addModule('conv', new Conv2d(2, 4, 3, { padding: 1 }));
  bn = this.addModule('bn', new BatchNorm2d(4));
  gn = this.addModule('gn', new GroupNorm(2, 4));
  out = this.addModule('out', new Conv2d(4, 1, 1));
  forward(x: Value): Value {
    return this.out.forward(gelu(this.gn.forward(this.bn.forward(this.conv.forward(x)))));
  }
}

function program(seed: number, opt = adamW({ weightDecay: 0.01 })): { prog: TrainStepProgram; net: Net } {
  const net = new Net();
  initParameters(net, new Rng(seed));
  const prog = compileTrainStep({
    name: 'net', model: net, optimizer: opt,
    batch: { x: { dtype: 'float32', shape: [2, 2, 5, 5] }, y: { dtype: 'float32', shape: [2, 1, 5, 5] } },
    loss: (b) => { const pred = net.forward(b.x!); return { loss: mseLoss(pred, b.y!), outputs: { pred } }; },
  });
  return { prog, net };
}

const rng = new Rng(9);
const batches = Array.from({ length: 4 }, () => ({ x: randn(rng, [2, 2, 5, 5]), y: randn(rng, [2, 1, 5, 5]) }));
const dir = mkdtempSync(join(tmpdir(), 'd2i-train-step-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bits = (t: Tensor): string => Buffer.from((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, (t.data as Float32Array).byteLength).toString('hex');

describe('TrainStepSession', () => {
  test('steps(n) through the ONNX Loop is bit-identical to n single steps', async () => {
    const { prog } = program(1);
    const lr = (k: number): number => 0.01 / (1 + k);
    const a = await TrainStepSession.create(prog, { device: 'cpu', lr });
    const b = await TrainStepSession.create(prog, { device: 'cpu', lr });
    const single: number[] = [];
    for (const batch of batches) single.push(await a.step(batch));
    const { losses, outputs } = await b.steps(4, batches);
    expect(losses).toEqual(single);
    expect(outputs.pred!.shape).toEqual([4, 2, 1, 5, 5]);
    expect(a.stepCount).toBe(4);
    expect(b.stepCount).toBe(4);
    for (const e of prog.state) expect(bits(b.state[e.name]!), e.name).toBe(bits(a.state[e.name]!));
    await a.release();
    await b.release();
  });

  test('state: upstream names, BatchNorm running stats move, lr 0 with plain SGD leaves parameters fixed', async () => {
    const { prog, net } = program(2, sgd());
    const s = await TrainStepSession.create(prog, { device: 'cpu', lr: 0 });
    const before = s.stateDict();
    expect(Object.keys(before).sort()).toEqual([...net.stateEntries().keys()].sort());
    await s.step(batches[0]!);
    const after = s.stateDict();
    for (const [k] of net.namedParameters()) expect(bits(after[k]!), k).toBe(bits(before[k]!));
    expect(bits(after['bn.running_mean']!)).not.toBe(bits(before['bn.running_mean']!));
    expect(after['bn.num_batches_tracked']!.data[0]).toBe(1n);
    await s.release();
  });

  test('export → import resumes training exactly', async () => {
    const { prog } = program(3);
    const lr = 0.02;
    const full = await TrainStepSession.create(prog, { device: 'cpu', lr });
    for (const batch of batches) await full.step(batch);
    const first = await TrainStepSession.create(prog, { device: 'cpu', lr });
    await first.step(batches[0]!);
    await first.step(batches[1]!);
    const path = join(dir, 'state.safetensors');
    first.exportState(path);
    const file = readSafetensors(path);
    expect(Object.keys(file)).toContain('optimizer.exp_avg.conv.weight');
    expect(Object.keys(file)).toContain('conv.weight');
    const resumed = await TrainStepSession.create(prog, { device: 'cpu', lr });
    resumed.importState(path);
    expect(resumed.stepCount).toBe(2);
    await resumed.step(batches[2]!);
    await resumed.step(batches[3]!);
    for (const e of prog.state) expect(bits(resumed.state[e.name]!), e.name).toBe(bits(full.state[e.name]!));
    // weights only: the optimizer restarts
    const weightsOnly = join(dir, 'weights.safetensors');
    first.exportState(weightsOnly, { optimizer: false });
    resumed.importState(weightsOnly);
    expect(resumed.stepCount).toBe(0);
    expect(() => resumed.importState(weightsOnly, { requireOptimizer: true })).toThrow(/missing 'optimizer.exp_avg.conv.weight'/);
    expect(() => resumed.importState({ ...file, 'conv.weight': new Tensor('float32', [1]) })).toThrow(/'conv.weight' is float32 \[1\], expected float32 \[4, 2, 3, 3\]/);
    for (const s of [full, first, resumed]) await s.release();
  });
});
