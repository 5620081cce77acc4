import { describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Rng, SafetensorsFile, Tensor, readSafetensors } from '@diff2in1/tensor';
import { GraphBuilder } from '../ir/graph.js';
import { runGraph } from '../testing/run.js';
import { relErr } from '../testing/reference.js';
import { cast } from '../ops/elementwise.js';
import { BatchNorm2d } from './batchnorm.js';
import { ModuleList, Sequential } from './container.js';
import { Conv2d, ConvTranspose2d } from './conv.js';
import { Embedding } from './embedding.js';
import { GELU } from './activation.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { MultiheadAttention } from './multihead-attention.js';
import { GroupNorm, LayerNorm } from './normalization.js';
import { initParameters, loadStateDict, stateDict } from './state-dict.js';

// Mirrors the container in tools/golden/graph/modules.py (torch 1.13 state_dict names and outputs).
class All extends Module {
  conv = this.addModule('conv', new Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2 }));
  convReflect = this.addModule('conv_reflect', new Conv2d(3, 5, 3, { padding: 1, paddingMode: 'reflect' }));
  deconv = this.addModule('deconv', new ConvTranspose2d(6, 4, 4, { stride: 2, padding: 1 }));
  gn = this.addModule('gn', new GroupNorm(2, 6));
  ln = this.addModule('ln', new LayerNorm(8));
  bn = this.addModule('bn', new BatchNorm2d(6));
  emb = this.addModule('emb', new Embedding(10, 8, { paddingIdx: 0 }));
  mha = this.addModule('mha', new MultiheadAttention(8, 2));
  lin = this.addModule('lin', new Linear(8, 3));
  seq = this.addModule('seq', new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), GELU(), new Conv2d(4, 2, 1)));
  blocks = this.addModule('blocks', new ModuleList<Linear>([new Linear(3, 3), new Linear(3, 2, { bias: false })]));
}

const fixture = readSafetensors(fileURLToPath(new URL('../fixtures/modules.safetensors', import.meta.url)));
const pick = (prefix: string): Record<string, Tensor> => Object.fromEntries(Object.entries(fixture).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
const inputs = pick('in.');
const outputs = pick('out.');

describe('modules reproduce torch.nn (names, shapes, outputs)', () => {
  const model = new All();
  const report = loadStateDict(model, pick('sd.'));

  test('state_dict names and shapes are torch\'s', () => {
    expect(report).toEqual({ missing: [], unexpected: [], misShaped: [], loaded: Object.keys(pick('sd.')).length });
    expect([...model.stateEntries().keys()].sort()).toEqual(Object.keys(pick('sd.')).sort());
    expect(model.namedBuffers().has('bn.num_batches_tracked')).toBe(true);
  });

  test('forward outputs match torch', async () => {
    model.eval();
    const g = new GraphBuilder('modules');
    const x4 = g.input('x4', 'float32', ['n', 4, 7, 6]);
    const x3 = g.input('x3', 'float32', ['n', 3, 5, 6]);
    const x6 = g.input('x6', 'float32', ['n', 6, 4, 3]);
    const seq = g.input('seq_in', 'float32', [5, 'n', 8]);
    const ids = g.input('ids', 'int64', ['n', 3]);
    const causal = cast(g.input('causal', 'uint8', [5, 5]), 'bool');
    const kpm = cast(g.input('kpm', 'uint8', ['n', 5]), 'bool');
    g.output('conv', model.conv.forward(x4));
    g.output('conv_reflect', model.convReflect.forward(x3));
    g.output('deconv', model.deconv.forward(x6));
    g.output('gn', model.gn.forward(x6));
    g.output('ln', model.ln.forward(seq));
    g.output('emb', model.emb.forward(ids));
    g.output('lin', model.lin.forward(seq));
    g.output('seq', model.seq.forward(x3));
    g.output('blocks', model.blocks.at(1).forward(model.blocks.at(0).forward(model.lin.forward(seq))));
    g.output('bn_eval', model.bn.forward(x6));
    const mha = model.mha.forward(seq, seq, seq, { attnMask: causal, keyPaddingMask: kpm, needWeights: true });
    g.output('mha', mha.output);
    g.output('mha_weights', mha.weights!);
    const { seq: seqIn, ...rest } = inputs;
    const out = await runGraph(g, { ...rest, seq_in: seqIn! });
    for (const k of Object.keys(out)) {
      expect(out[k]!.shape, k).toEqual(outputs[k]!.shape);
      expect(relErr(out[k]!.data as Float32Array, outputs[k]!.data as Float32Array), k).toBeLessThan(2e-6);
    }
  });

  test('BatchNorm2d in training mode: batch statistics and running-stat updates', async () => {
    model.train();
    const g = new GraphBuilder('bn-train');
    const x6 = g.input('x6', 'float32', [2, 6, 4, 3]);
    g.output('y', model.bn.forward(x6));
    g.output('rm', g.bufferUpdates.get(model.bn.runningMean)!);
    g.output('rv', g.bufferUpdates.get(model.bn.runningVar)!);
    g.output('nb', g.bufferUpdates.get(model.bn.numBatchesTracked)!);
    const out = await runGraph(g, { x6: inputs.x6! });
    expect(relErr(out.y!.data as Float32Array, outputs.bn_train!.data as Float32Array)).toBeLessThan(2e-6);
    expect(relErr(out.rm!.data as Float32Array, outputs.bn_running_mean!.data as Float32Array)).toBeLessThan(2e-6);
    expect(relErr(out.rv!.data as Float32Array, outputs.bn_running_var!.data as Float32Array)).toBeLessThan(2e-6);
    expect(out.nb!.data[0]).toBe(1n);
  });

  test('node names carry module scopes like torch.onnx', () => {
    const g = new GraphBuilder('scopes');
    const x = g.input('x', 'float32', [1, 3, 5, 6]);
    model.seq.forward(x);
    expect(g.nodes.map((n) => n.name)).toContain('/seq.0/Conv');
    expect(g.nodes.map((n) => n.name)).toContain('/seq.2/Conv');
  });
});

describe('initialisers and loading', () => {
  test('PyTorch default initialisers: bounds and moments', () => {
    const m = new All();
    initParameters(m, new Rng(5));
    const w = m.conv.weight.data.data as Float32Array; // fan_in = 2·3·3 → bound 1/√18
    const bound = 1 / Math.sqrt(18);
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(0.8 * bound);
    const dw = m.deconv.weight.data.data as Float32Array; // torch fan_in = size(1)·k² = 4·16
    expect(Math.max(...Array.from(dw, Math.abs))).toBeLessThanOrEqual(1 / 8);
    const inProj = m.mha.inProjWeight.data.data as Float32Array; // xavier: √(6/(8+24))
    const xb = Math.sqrt(6 / 32);
    const v = inProj.reduce((a, b) => a + b * b, 0) / inProj.length;
    expect(v).toBeGreaterThan((xb * xb) / 3 * 0.7);
    expect(v).toBeLessThan((xb * xb) / 3 * 1.3);
    expect(Array.from(m.mha.inProjBias!.data.data as Float32Array).every((x) => x === 0)).toBe(true);
    expect(Array.from(m.mha.outProj.bias!.data.data as Float32Array).every((x) => x === 0)).toBe(true);
    expect(Array.from(m.emb.weight.data.data as Float32Array).slice(0, 8).every((x) => x === 0)).toBe(true);
    expect(Array.from(m.gn.weight!.data.data as Float32Array)).toEqual([1, 1, 1, 1, 1, 1]);
    // seeded per name: re-initialising gives the same values
    const again = new All();
    initParameters(again, new Rng(5));
    expect(again.conv.weight.data.data).toEqual(m.conv.weight.data.data);
  });

  test('loadStateDict reads a safetensors file lazily, under a name prefix', () => {
    const m = new All();
    const file = SafetensorsFile.open(fileURLToPath(new URL('../fixtures/modules.safetensors', import.meta.url)));
    const r = loadStateDict(m, file, { prefix: 'sd.', strict: true });
    file.close();
    expect(r.loaded).toBe(Object.keys(pick('sd.')).length);
    expect(Array.from(m.lin.weight.data.data as Float32Array)).toEqual(Array.from(pick('sd.')['lin.weight']!.data as Float32Array));
  });

  test('loadStateDict reports missing, unexpected and mis-shaped names; strict throws', () => {
    const m = new All();
    const sd = { ...pick('sd.') };
    delete sd['ln.bias'];
    sd['extra.weight'] = new Tensor('float32', [1]);
    sd['lin.weight'] = new Tensor('float32', [3, 7]);
    const r = loadStateDict(m, sd);
    expect(r.missing).toEqual(['ln.bias']);
    expect(r.unexpected).toEqual(['extra.weight']);
    expect(r.misShaped).toEqual([{ name: 'lin.weight', expected: [3, 8], got: [3, 7] }]);
    expect(() => loadStateDict(m, sd, { strict: true, file: 'ckpt.safetensors' })).toThrow(/ckpt.safetensors: state dict does not match All:\n {2}missing: ln.bias\n {2}unexpected: extra.weight\n {2}mis-shaped: lin.weight \(model \[3, 8\], checkpoint \[3, 7\]\)/);
    expect(() => stateDict(new All())).toThrow(/parameter 'conv.weight' has no data yet: call initParameters/);
    const full = new All();
    loadStateDict(full, pick('sd.'), { strict: true });
    expect(Object.keys(stateDict(full)).sort()).toEqual(Object.keys(pick('sd.')).sort());
  });
});
