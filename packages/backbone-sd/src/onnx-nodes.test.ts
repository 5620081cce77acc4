import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readOnnxGraph } from './onnx-nodes.js';

const fixture = (rel: string): string => fileURLToPath(new URL(`./fixtures/${rel}`, import.meta.url));

describe('readOnnxGraph', () => {
  it('reads the I/O names of the tiny ONNX export (diffusers/optimum layout)', () => {
    const io = (rel: string) => {
      const g = readOnnxGraph(readFileSync(fixture(`tiny-sd-onnx/${rel}/model.onnx`)));
      return [g.inputs, g.outputs];
    };
    expect(io('text_encoder')).toEqual([['input_ids'], ['last_hidden_state', 'pooler_output']]);
    expect(io('unet')).toEqual([['sample', 'timestep', 'encoder_hidden_states'], ['out_sample']]);
    expect(io('vae_encoder')).toEqual([['sample'], ['latent_parameters']]);
    expect(io('vae_decoder')).toEqual([['latent_sample'], ['sample']]);
  });

  it('decodes a hand-built model and rejects garbage with the file name', () => {
    // ModelProto { graph (7) { node (1) { input "a", output "b", name "n", op_type "Relu" }, input (11) { name "a" }, output (12) { name "b" } } }
    const s = (field: number, text: string): number[] => [(field << 3) | 2, text.length, ...Buffer.from(text)];
    const node = [...s(1, 'a'), ...s(2, 'b'), ...s(3, 'n'), ...s(4, 'Relu')];
    const graph = [(1 << 3) | 2, node.length, ...node, (11 << 3) | 2, 3, ...s(1, 'a'), (12 << 3) | 2, 3, ...s(1, 'b')];
    const model = new Uint8Array([0x08, 0x07, (7 << 3) | 2, graph.length, ...graph]); // ir_version 7, graph
    expect(readOnnxGraph(model)).toEqual({ nodes: [{ name: 'n', opType: 'Relu', inputs: ['a'], outputs: ['b'] }], inputs: ['a'], outputs: ['b'] });
    expect(() => readOnnxGraph(new Uint8Array([0x3a, 0x7f, 0x01]), 'bad.onnx')).toThrow(/bad\.onnx: not a readable ONNX model \(length beyond its message/);
    expect(() => readOnnxGraph(new Uint8Array([0x08, 0x07]), 'x.onnx')).toThrow(/no graph/);
  });
});
