import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession } from '@diff2in1/runtime';
import { Rng, randn } from '@diff2in1/tensor';
import { GraphBuilder } from '../ir/graph.js';
import { add, mul, relu } from '../ops/elementwise.js';
import { conv } from '../ops/conv.js';
import { Conv2d } from '../nn/conv.js';
import { initParameters } from '../nn/state-dict.js';
import { f32 } from '../testing/reference.js';
import { decodeModel, serialize } from './serialize.js';

function build(seed: number): GraphBuilder {
  const g = new GraphBuilder('net');
  const m = new Conv2d(3, 4, 3, { padding: 1 });
  initParameters(m, new Rng(seed));
  const x = g.input('x', 'float32', ['batch', 3, 8, 8]);
  const y = relu(m.forward(x));
  mul(y, 3); // dead branch: never serialised
  g.output('y', add(y, 1));
  return g;
}

describe('serialize', () => {
  test('same graph → same bytes; different weights → different bytes', () => {
    expect(Buffer.from(serialize(build(1))).equals(Buffer.from(serialize(build(1))))).toBe(true);
    expect(Buffer.from(serialize(build(1))).equals(Buffer.from(serialize(build(2))))).toBe(false);
  });

  test('model fields: opset 21, IR 10, symbolic dims, initializer names = state_dict names, dead nodes pruned', () => {
    const m = decodeModel(serialize(build(1))) as {
      irVersion: number; opsetImport: { version: number }[];
      graph: { node: { opType: string; name: string }[]; initializer: { name: string; dims: number[] }[]; input: { name: string; type: { tensorType: { shape: { dim: { dimParam?: string; dimValue?: number }[] } } } }[] };
    };
    expect(m.irVersion).toBe(10);
    expect(m.opsetImport[0]!.version).toBe(21);
    expect(m.graph.node.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'Add']);
    expect(m.graph.node[0]!.name).toBe('/Conv');
    expect(m.graph.initializer.map((i) => i.name.replace(/^const.*/, 'const')).sort()).toEqual(['bias', 'const', 'weight']);
    expect(m.graph.initializer.find((i) => i.name === 'weight')!.dims).toEqual([4, 3, 3, 3]);
    expect(m.graph.input[0]!.type.tensorType.shape.dim[0]).toEqual({ dimParam: 'batch' });
  });

  test('external data: large initializers go to a side file ORT reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'd2i-graph-'));
    try {
      const g = new GraphBuilder('ext');
      const w = randn(new Rng(3), [8, 4, 3, 3]);
      const x = g.input('x', 'float32', [1, 4, 5, 5]);
      g.output('y', conv(x, g.constant(w, 'big_weight'), null, { padding: 1 }));
      const inline = serialize(g);
      const bytes = serialize(g, { externalData: { file: join(dir, 'ext.onnx.data'), threshold: 256 } });
      expect(bytes.length).toBeLessThan(inline.length - w.size * 4 + 200);
      expect(statSync(join(dir, 'ext.onnx.data')).size).toBe(w.size * 4);
      const xs = f32([1, 4, 5, 5], Array.from({ length: 100 }, (_, i) => Math.sin(i)));
      const a = await createSession(inline, { device: 'cpu' });
      const b = await createSession(bytes, { device: 'cpu', externalDataDir: dir });
      const [ya, yb] = [(await a.run({ x: xs })).y!, (await b.run({ x: xs })).y!];
      expect(Array.from(yb.data as Float32Array)).toEqual(Array.from(ya.data as Float32Array));
      await a.release();
      await b.release();
      expect(readFileSync(join(dir, 'ext.onnx.data')).length).toBe(w.size * 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('contrib-domain nodes get their opset import', async () => {
    const g = new GraphBuilder('contrib');
    const x = g.input('x', 'float32', [2, 3]);
    g.output('y', g.node1('FastGelu', [x], {}, { dtype: 'float32', shape: [2, 3] }, { domain: 'com.microsoft' }));
    const bytes = serialize(g);
    const m = decodeModel(bytes) as { opsetImport: { domain?: string; version: number }[] };
    expect(m.opsetImport).toEqual([{ domain: '', version: 21 }, { domain: 'com.microsoft', version: 1 }]);
    const s = await createSession(bytes, { device: 'cpu' });
    const y = (await s.run({ x: f32([2, 3], [0, 1, -1, 2, -2, 3]) })).y!;
    expect(y.data[1]).toBeCloseTo(0.8412, 3); // FastGelu(1) ≈ 0.8412 (tanh approximation)
    await s.release();
  });

  test('builder errors name the graph and value', () => {
    const g = new GraphBuilder('g1');
    g.input('x', 'float32', [2]);
    expect(() => g.input('x', 'float32', [2])).toThrow(/graph 'g1': input name 'x' is already used/);
    const h = new GraphBuilder('g2');
    const y = h.input('y', 'float32', [2]);
    const x = g.inputs[0]!;
    expect(() => add(x, y)).toThrow(/Add: inputs come from unrelated graphs 'g1' and 'g2'/);
    expect(() => serialize(new GraphBuilder('empty'))).toThrow(/graph 'empty' has no outputs/);
  });
});
