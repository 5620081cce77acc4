// The warm-up stage's trainable part end to end, as the self-improver will assemble it: tiny-SD taps →
// adapter ('eq9' over `vpd`, 'sn-module' over `all`) → Bae head ('small') → compileTrainStep → TrainStepSession,
// with the head's random draws as batch inputs. A few Adam steps on one fixed batch must lower the loss.
import { describe, expect, test } from 'vitest';
import { Module, adam, compileTrainStep, initParameters } from '@diff2in1/graph';
import { type AdapterKind, type TapSpec, createAdapter, tapShapes } from '@diff2in1/feature-pyramid';
import { targetInputName, validInputName } from '@diff2in1/heads';
import { TrainStepSession } from '@diff2in1/runtime';
import { Rng, Tensor } from '@diff2in1/tensor';
import { createBae } from './plugin.js';

// Taps of backbone-sd's tiny config (block_out_channels 8, 12, 16, 16; layers_per_block 2) at image strides.
const VPD: TapSpec[] = [
  { name: 'up_blocks.0.resnets.1', channels: 16, stride: 64 },
  { name: 'up_blocks.1.attentions.1', channels: 16, stride: 32 },
  { name: 'up_blocks.2.attentions.1', channels: 12, stride: 16 },
  { name: 'up_blocks.3', channels: 8, stride: 8 },
];
const ALL: TapSpec[] = [
  ...[8, 8, 8, 8].map((c, i) => ({ name: `highest.${i}`, channels: c, stride: 8 })),
  ...[12, 12, 12, 16].map((c, i) => ({ name: `high.${i}`, channels: c, stride: 16 })),
  ...[16, 16, 16, 12].map((c, i) => ({ name: `mid.${i}`, channels: c, stride: 32 })),
  ...[16, 16, 16].map((c, i) => ({ name: `low.${i}`, channels: c, stride: 64 })),
];

describe('adapter + bae head as one compiled training step', () => {
  test.each([
    ['eq9', VPD],
    ['sn-module', ALL],
  ] as const)('%s adapter: the loss falls over 6 Adam steps on a fixed batch', async (kind: AdapterKind, taps) => {
    const image: [number, number] = [128, 128];
    const batchSize = 2;
    const rng = new Rng(21);
    const head = createBae({ preset: 'small' });
    const adapter = createAdapter(taps, head.pyramid, { kind });
    const model = new Module();
    model.addModule('adapter', adapter);
    model.addModule('head', head.module);
    initParameters(model, rng);
    model.train();

    const batch: Record<string, Tensor> = {};
    for (const [name, s] of Object.entries(tapShapes(taps, batchSize, image))) {
      const t = new Tensor('float32', s.shape);
      rng.fillNormal(t.data);
      batch[name] = t;
    }
    const gt = new Tensor('float32', [batchSize, 3, ...image]);
    for (let i = 0; i < gt.size; i++) gt.data[i] = [0.2, -0.3, 0.93][Math.floor(i / (image[0] * image[1])) % 3]!; // one plane
    batch[targetInputName('normals')] = gt;
    batch[validInputName('normals')] = new Tensor('float32', [batchSize, 1, ...image], new Float32Array(batchSize * image[0] * image[1]).fill(1));
    const feeds = head.stepFeeds(batchSize, { mode: 'train', image });
    for (const f of feeds) batch[f.name] = f.sample(rng);

    const program = compileTrainStep({
      name: `warmup-${kind}`,
      model,
      batch: Object.fromEntries(Object.entries(batch).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }])),
      optimizer: adam(),
      loss: (b, g) => {
        const pyramid = adapter.forward(Object.fromEntries(taps.map((t) => [t.name, b[`tap.${t.name}`]!])));
        const valid = { normals: b[validInputName('normals')]! };
        const built = head.build(g, pyramid, { mode: 'train', image, valid, feeds: b });
        return head.loss(g, built.outputs, { normals: b[targetInputName('normals')]! }, valid);
      },
    });
    expect(program.state.some((e) => e.name.startsWith('adapter.') && e.kind === 'parameter')).toBe(true);
    expect(program.state.some((e) => e.name === 'head.up1._net.0.weight')).toBe(true);
    const session = await TrainStepSession.create(program, { lr: 1e-3, device: 'cpu', intraOpThreads: 2 });
    try {
      const losses: number[] = [];
      for (let i = 0; i < 6; i++) {
        for (const f of feeds) batch[f.name] = f.sample(rng); // fresh random draws every step, as in training
        losses.push(await session.step(batch));
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[5]!).toBeLessThan(losses[0]! - 0.05);
    } finally {
      await session.release();
    }
  }, 120_000);
});
