// Parity with PyTorch: tools/golden/graph/train_cnn.py trained this CNN 20 AdamW steps with torch 1.13; the same
// compiled training step, run by @diff2in1/runtime's TrainStepSession, must reproduce the losses and weights.
import { describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile, Tensor, readSafetensors } from '@diff2in1/tensor';
import { TrainStepSession } from '@diff2in1/runtime';
import type { Value } from '../ir/graph.js';
import { Conv2d } from '../nn/conv.js';
import { Module } from '../nn/module.js';
import { GroupNorm } from '../nn/normalization.js';
import { loadStateDict } from '../nn/state-dict.js';
import { gelu } from '../ops/activations.js';
import { interpolate } from '../ops/resize.js';
import { concat } from '../ops/shape.js';
import { relErr } from '../testing/reference.js';
import { mseLoss } from './losses.js';
import { adamW } from './optim.js';
import { compileTrainStep } from './train-step.js';

class SmallCNN extends Module {
  convIn = this.addModule('conv_in', new Conv2d(3, 16, 3, { padding: 1 }));
  norm1 = this.addModule('norm1', new GroupNorm(4, 16));
  down = this.addModule('down', new Conv2d(16, 32, 3, { stride: 2, padding: 1 }));
  norm2 = this.addModule('norm2', new GroupNorm(8, 32));
  upConv = this.addModule('up_conv', new Conv2d(32, 16, 3, { padding: 1 }));
  fuse = this.addModule('fuse', new Conv2d(32, 16, 3, { padding: 1 }));
  norm3 = this.addModule('norm3', new GroupNorm(4, 16));
  head = this.addModule('head', new Conv2d(16, 3, 1));

  forward(x: Value): Value {
    const h1 = gelu(this.norm1.forward(this.convIn.forward(x)));
    const h2 = gelu(this.norm2.forward(this.down.forward(h1)));
    const u = this.upConv.forward(interpolate(h2, { scaleFactor: 2, mode: 'bilinear', alignCorners: false }));
    return this.head.forward(gelu(this.norm3.forward(this.fuse.forward(concat([u, h1], 1)))));
  }
}

const path = fileURLToPath(new URL('../fixtures/train-cnn.safetensors', import.meta.url));

describe('training parity with PyTorch', () => {
  test('small CNN, 20 AdamW steps: losses and final weights within 1e-4', async () => {
    const fx = readSafetensors(path);
    const meta = SafetensorsFile.open(path).metadata();
    const pick = (prefix: string): Record<string, Tensor> => Object.fromEntries(Object.entries(fx).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    const model = new SmallCNN();
    loadStateDict(model, pick('init.'), { strict: true });
    const prog = compileTrainStep({
      name: 'small_cnn', model,
      batch: { x: { dtype: 'float32', shape: [4, 3, 16, 16] }, y: { dtype: 'float32', shape: [4, 3, 16, 16] } },
      loss: (b) => mseLoss(model.forward(b.x!), b.y!),
      optimizer: adamW({ betas: [0.9, 0.999], weightDecay: Number(meta.weight_decay) }),
    });
    const session = await TrainStepSession.create(prog, { device: 'cpu', intraOpThreads: 1, lr: Number(meta.lr) });
    const [xs, ys] = [fx['data.x']!, fx['data.y']!];
    const nb = xs.shape[0]!;
    const at = (t: Tensor, i: number): Tensor => {
      const n = t.size / nb;
      return new Tensor('float32', t.shape.slice(1), (t.data as Float32Array).slice(i * n, (i + 1) * n));
    };
    const losses: number[] = [];
    for (let s = 0; s < Number(meta.steps); s++) losses.push(await session.step({ x: at(xs, s % nb), y: at(ys, s % nb) }));
    expect(relErr(losses, fx.loss!.data as Float32Array)).toBeLessThan(1e-4);
    const final = pick('final.');
    const got = session.stateDict();
    expect(Object.keys(got).sort()).toEqual(Object.keys(final).sort());
    for (const [k, want] of Object.entries(final)) expect(relErr(got[k]!.data as Float32Array, want.data as Float32Array), k).toBeLessThan(1e-4);
    await session.release();
  });
});

