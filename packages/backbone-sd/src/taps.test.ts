import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile } from '@diff2in1/tensor';
import { sd15 } from './configs/sd15.js';
import { tinySd } from './configs/tiny.js';
import { readOnnxGraph } from './onnx-nodes.js';
import type { TapSetName } from './taps.js';
import { findOnnxTaps, groupTaps, onnxScopeOf, unetTaps } from './taps.js';

const fixture = (rel: string): string => fileURLToPath(new URL(`./fixtures/${rel}`, import.meta.url));
interface GoldenTap { module: string; shape: number[]; stride: number; group: string }
// Written by tools/golden/backbone from forward hooks on diffusers' UNet, and the torch.onnx export's node names
// (checked there against a second export that returns the hooked tensors as graph outputs).
const golden = JSON.parse(readFileSync(fixture('golden/unet-taps.json'), 'utf8')) as {
  latent_shape: number[];
  vpd: GoldenTap[];
  all: GoldenTap[];
  onnx: Record<string, { node: string; tensor: string }>;
};

describe('tap sets', () => {
  it('match the modules, channels and resolutions hooked in diffusers (tiny UNet)', () => {
    for (const set of ['vpd', 'all'] as const) {
      expect(unetTaps(tinySd.unet, set)).toEqual(golden[set].map((t) => ({ module: t.module, channels: t.shape[0], stride: t.stride, group: t.group })));
    }
    const f = SafetensorsFile.open(fixture('golden/unet.safetensors'));
    for (const t of unetTaps(tinySd.unet, 'all')) {
      expect(f.info(`a.tap.${t.module}`).shape).toEqual([2, t.channels, 16 / t.stride, 24 / t.stride]);
    }
    f.close();
  });

  it('give SD v1-5 the VPD features 1280@8, 1280@16, 640@32, 320@64 for a 512² image', () => {
    expect(unetTaps(sd15.unet, 'vpd').map((t) => [t.module, t.channels, 64 / t.stride])).toEqual([
      ['up_blocks.0.resnets.1', 1280, 8], ['up_blocks.1.attentions.1', 1280, 16], ['up_blocks.2.attentions.1', 640, 32], ['up_blocks.3', 320, 64],
    ]);
  });

  it('group `all` as the official code: 25 tensors whose channels add up to its adapter inputs', () => {
    const all = unetTaps(sd15.unet, 'all');
    expect(all.length).toBe(12 + 1 + 12); // LDM input_blocks, middle_block, output_blocks
    const groups = groupTaps(all);
    expect([...groups.keys()]).toEqual(['low', 'mid', 'high', 'highest']);
    const sums = [...groups.values()].map((g) => g.reduce((s, t) => s + t.channels, 0));
    // ldm/models/sn_module.py SNmodule: Conv2d(1280*6, ...), Conv2d(1280*5+640, ...), Conv2d(1280+640*4+320, ...), Conv2d(640+320*6, ...).
    expect(sums).toEqual([1280 * 6, 1280 * 5 + 640, 1280 + 640 * 4 + 320, 640 + 320 * 6]);
    expect(groups.get('low')?.map((t) => t.module)).toEqual([
      'down_blocks.2.downsamplers.0', 'down_blocks.3.resnets.0', 'down_blocks.3.resnets.1', 'mid_block', 'up_blocks.0.resnets.0', 'up_blocks.0.resnets.1',
    ]);
  });

  it('refuses an unknown set', () => {
    expect(() => unetTaps(sd15.unet, 'some' as TapSetName)).toThrow(/unknown tap set "some"; one of: vpd, all/);
  });
});

describe('taps in a torch.onnx export', () => {
  const bytes = readFileSync(fixture('tiny-sd-onnx/unet/model.onnx'));
  const graph = readOnnxGraph(bytes, 'unet/model.onnx');

  it('reads the exported graph in order', () => {
    expect(graph.inputs).toEqual(['sample', 'timestep', 'encoder_hidden_states']);
    expect(graph.outputs).toEqual(['out_sample']);
    expect(graph.nodes.length).toBeGreaterThan(1000);
    expect(graph.nodes.at(-1)?.outputs).toEqual(['out_sample']);
  });

  it('finds every tap tensor by module scope', () => {
    const modules = Object.keys(golden.onnx);
    expect(modules).toEqual(expect.arrayContaining(unetTaps(tinySd.unet, 'vpd').map((t) => t.module)));
    expect(Object.fromEntries(findOnnxTaps(graph.nodes, modules))).toEqual(golden.onnx);
    expect(golden.onnx['up_blocks.0.resnets.1']?.tensor).toBe('/unet/up_blocks.0/resnets.1/Div_output_0');
  });

  it('maps module paths to torch.onnx scopes', () => {
    expect(onnxScopeOf('up_blocks.0.resnets.1')).toBe('/up_blocks.0/resnets.1/');
    expect(onnxScopeOf('up_blocks.3')).toBe('/up_blocks.3/');
    expect(onnxScopeOf('down_blocks.0.downsamplers.0')).toBe('/down_blocks.0/downsamplers.0/');
    expect(onnxScopeOf('mid_block')).toBe('/mid_block/');
    const nodes = [
      { name: '/up_blocks.1/attentions.10/Add', outputs: ['x'] },
      { name: '/outer/inner/up_blocks.1/attentions.1/Add', outputs: ['y'] },
    ];
    expect(() => findOnnxTaps(nodes, ['up_blocks.1.attentions.1'])).toThrow(/no node of the exported graph lies in the scope of up_blocks\.1\.attentions\.1/);
  });
});
