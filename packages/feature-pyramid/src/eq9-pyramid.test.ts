// Eq. 9 / Eq. 10: the plan on several tap configurations, output shapes, one value check against the tensor
// package's torch-exact resize, and finite-difference gradients through the whole adapter.
import { describe, expect, test } from 'vitest';
import { GraphBuilder, concat, flatten, initParameters } from '@diff2in1/graph';
import { Rng, Tensor, resizeTensor } from '@diff2in1/tensor';
import { createAdapter } from './adapter.js';
import { Eq9Pyramid, planEq9 } from './eq9-pyramid.js';
import { type TapSpec, fromBackboneTaps, tapInputName, tapInputs } from './levels.js';
import { fdCheck } from './testing/fd.js';
import { maxDiff, runGraph } from './testing/golden.js';

// SD v1-5 `vpd` taps for a 512² image (image strides), and Bae et al.'s request through SNmodule's widths.
const VPD: TapSpec[] = fromBackboneTaps([
  { module: 'up_blocks.0.resnets.1', channels: 1280, stride: 8 },
  { module: 'up_blocks.1.attentions.1', channels: 1280, stride: 4 },
  { module: 'up_blocks.2.attentions.1', channels: 640, stride: 2 },
  { module: 'up_blocks.3', channels: 320, stride: 1 },
]);
const BAE = { levels: [32, 16, 8, 4, 2].map((stride, i) => ({ stride, channels: [2048, 176, 64, 40, 24][i]! })) };
const groups = (taps: readonly TapSpec[]): { stride: number; channels: number }[] =>
  [...new Set(taps.map((t) => t.stride))].sort((a, b) => b - a).map((s) => ({ stride: s, channels: taps.filter((t) => t.stride === s).reduce((a, t) => a + t.channels, 0) }));

describe('planEq9', () => {
  test('vpd taps → Bae levels: Eq. 9 at 32, 16, 8; Eq. 10 finer to 4 then 2', () => {
    expect(fromBackboneTaps([{ module: 'x', channels: 1, stride: 8 }])[0]!.stride).toBe(64);
    const p = planEq9(groups(VPD), BAE);
    expect(p.processed).toEqual([{ index: 1, stride: 32, channels: 2048 }, { index: 2, stride: 16, channels: 176 }, { index: 3, stride: 8, channels: 64 }]);
    expect(p.steps).toEqual([{ from: 8, to: 4, cin: 64, cout: 40 }, { from: 4, to: 2, cin: 40, cout: 24 }]);
  });

  test('coarser than the taps: Eq. 10 downwards, chained, and unread processed levels dropped', () => {
    const p = planEq9(groups(VPD), { levels: [{ stride: 128, channels: 7 }, { stride: 256, channels: 9 }, { stride: 16, channels: 5 }] }, 11);
    // 32 is the source of the coarser chain (not requested: `width`); 8 is nobody's input: dropped
    expect(p.processed).toEqual([{ index: 1, stride: 32, channels: 11 }, { index: 2, stride: 16, channels: 5 }]);
    expect(p.steps).toEqual([{ from: 32, to: 64, cin: 11, cout: 11 }, { from: 64, to: 128, cin: 11, cout: 7 }, { from: 128, to: 256, cin: 7, cout: 9 }]);
  });

  test('a gap between taps is filled from the nearest finer level; repeated taps per stride are concatenated', () => {
    const taps: TapSpec[] = [
      { name: 'a', channels: 4, stride: 64 }, { name: 'b', channels: 6, stride: 16 }, { name: 'b2', channels: 2, stride: 16 }, { name: 'c', channels: 3, stride: 8 },
    ];
    const p = planEq9(groups(taps), { levels: [{ stride: 32, channels: 5 }, { stride: 8, channels: 3 }] });
    expect(p.processed).toEqual([{ index: 1, stride: 16, channels: 8 }, { index: 2, stride: 8, channels: 3 }]);
    expect(p.steps).toEqual([{ from: 16, to: 32, cin: 8, cout: 5 }]);
  });

  test('errors name the problem', () => {
    expect(() => planEq9(groups(VPD.slice(0, 1)), BAE)).toThrow(/two or more strides, got 64/);
    expect(() => planEq9(groups(VPD), { levels: [{ stride: 3, channels: 4 }] })).toThrow(/stride 3.*power of two/);
    expect(() => planEq9(groups(VPD), { levels: [{ stride: 8, channels: 4 }, { stride: 8, channels: 5 }] })).toThrow(/stride 8 twice/);
    expect(() => createAdapter(VPD, BAE, { kind: 'nope' as 'eq9' })).toThrow(/'nope' is unknown; .*eq9.*sn-module/);
  });
});

describe('Eq9Pyramid graphs', () => {
  const rng = new Rng(3);
  const tiny: TapSpec[] = [
    { name: 'up_blocks.0.resnets.1', channels: 6, stride: 64 },
    { name: 'up_blocks.1.attentions.1', channels: 5, stride: 32 },
    { name: 'up_blocks.2.attentions.1', channels: 4, stride: 16 },
    { name: 'up_blocks.3', channels: 3, stride: 8 },
  ];
  const rand = (shape: number[]): Tensor<'float32'> => {
    const t = new Tensor('float32', shape);
    rng.fillNormal(t.data);
    return t;
  };
  const feedsFor = (taps: readonly TapSpec[], image: number, batch = 2): Record<string, Tensor> =>
    Object.fromEntries(taps.map((t) => [tapInputName(t.name), rand([batch, t.channels, Math.ceil(image / t.stride), Math.ceil(image / t.stride)])]));

  test.each([
    ['Bae strides', [32, 16, 8, 4, 2], 128],
    ['coarser and finer than the taps', [256, 16, 1], 256],
    ['one level', [4], 128],
  ] as const)('%s: each requested level has its stride, channels and size', async (_, strides, image) => {
    const request = { levels: strides.map((stride, i) => ({ stride, channels: 3 + i })) };
    for (const block of ['conv', 'conv-gn-relu'] as const) {
      const m = createAdapter(tiny, request, { block }) as Eq9Pyramid;
      initParameters(m, rng);
      const g = new GraphBuilder('eq9');
      const outs = m.forward(tapInputs(g, tiny, 2, [image, image]));
      expect(outs.map((o) => [o.stride, o.channels])).toEqual(request.levels.map((l) => [l.stride, l.channels]));
      outs.forEach((o, i) => {
        expect(o.value.shape).toEqual([2, 3 + i, Math.ceil(image / o.stride), Math.ceil(image / o.stride)]);
        g.output(`out${i}`, o.value);
      });
      if (block === 'conv') {
        const res = await runGraph(g, feedsFor(tiny, image));
        for (const [i, o] of outs.entries()) expect(res[`out${i}`]!.shape).toEqual(o.value.shape);
      }
    }
  });

  test('Eq. 9 value: a 1×1 conv selecting the upsampled coarse half equals torch-exact bilinear Up(f_{i−1})', async () => {
    const taps = tiny.slice(0, 2);
    const m = new Eq9Pyramid({ taps, request: { levels: [{ stride: 32, channels: 6 }] }, block: 'conv', kernelSize: 1 });
    const conv = (m.fuse.children()[0]![1] as unknown as { conv: { weight: { data: Tensor }; bias: { data: Tensor } } }).conv;
    const w = new Tensor('float32', [6, 11, 1, 1]);
    for (let c = 0; c < 6; c++) w.data[c * 11 + c] = 1; // output c ← input c (the upsampled coarse tap)
    conv.weight.data = w;
    conv.bias.data = new Tensor('float32', [6]);
    const g = new GraphBuilder('eq9-value');
    g.output('y', m.forward(tapInputs(g, taps, 1, [192, 192]))[0]!.value);
    const feeds = feedsFor(taps, 192, 1);
    const res = await runGraph(g, feeds);
    const want = resizeTensor(feeds[tapInputName(taps[0]!.name)] as Tensor<'float32'>, [6, 6], 'bilinear', { alignCorners: false });
    expect(maxDiff(res.y!, want)).toBeLessThan(1e-6);
  });

  test('gradients of the whole adapter (Eq. 9 + Eq. 10 both ways) match central differences', async () => {
    const request = { levels: [{ stride: 128, channels: 3 }, { stride: 16, channels: 4 }, { stride: 4, channels: 2 }] };
    const m = new Eq9Pyramid({ taps: tiny, request, block: 'conv-gn-relu' });
    initParameters(m, rng);
    const params = [...m.namedParameters().values()];
    const names = params.map((p) => p.name);
    expect(names).toContain('fuse.3.conv.weight');
    expect(names).toContain('extend.0.resample.weight');
    const errs = await fdCheck({
      build: (g) => {
        const outs = m.forward(tapInputs(g, tiny, 2, [128, 128]));
        return concat(outs.map((o) => flatten(o.value, 1)), 1);
      },
      feeds: feedsFor(tiny, 128),
      params,
      targets: [{ name: tapInputName('up_blocks.0.resnets.1') }, { name: tapInputName('up_blocks.3') }, { name: 'fuse.1.conv.weight' }, { name: 'extend.1.resample.weight' }, { name: 'extend.0.fuse.norm.weight' }],
      rng,
      h: 3e-3,
    });
    for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThan(2e-2);
  });
});
