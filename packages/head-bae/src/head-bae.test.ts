// head-bae on its own: the plugin passes the TaskNetworkV1 conformance suite (small and official widths), the
// sampler equals a plain-JS rendering of upstream's sample_points, counts follow Python's arithmetic, the random
// draw is a uniform partial permutation, and gradients through sampling/refinement match finite differences.
import { describe, expect, test } from 'vitest';
import { GraphBuilder, Module, type Value, concat, initParameters, reshape } from '@diff2in1/graph';
import { getTaskNetwork, runConformance, targetInputs } from '@diff2in1/heads';
import { Rng, Tensor } from '@diff2in1/tensor';
import { BAE_INPUT_STRIDES, OFFICIAL_BAE_CHANNELS } from './decoder.js';
import { baePlugin, permInputName } from './index.js';
import { samplePerm, sampleCounts, samplePoints } from './sample-points.js';
import { normNormalize } from './norm-normalize.js';
import { WSConv2d } from './ws-conv2d.js';
import { PointConv1d } from './conv1d.js';
import { ugNllTerms } from './compute-loss.js';
import { fdCheck } from './testing/fd.js';
import { runGraph } from './testing/golden.js';
import { gold } from './testing/official.js';

const officialKeys = Object.keys(gold).filter((k) => k.startsWith('state.bae.')).map((k) => k.slice(10));

describe('plugin', () => {
  test('importing the package registers "bae"; presets are one option apart', () => {
    expect(getTaskNetwork('bae')).toBe(baePlugin);
    const official = baePlugin.create();
    expect(official.pyramid.levels).toEqual(BAE_INPUT_STRIDES.map((stride, i) => ({ stride, channels: OFFICIAL_BAE_CHANNELS.inputs[i] })));
    expect(official.module.namedParameters().get('up1._net.0.weight')!.shape).toEqual([1024, 2048 + 176, 3, 3]);
    const small = baePlugin.create({ preset: 'small' });
    expect(small.pyramid.levels.map((l) => l.channels)).toEqual([64, 32, 16, 16, 8]);
    expect(() => baePlugin.create({ preset: 'huge' as 'small' })).toThrow(/preset 'huge' is unknown; one of: official, small/);
    expect(() => baePlugin.create({ channels: { inputs: [8, 8, 8, 8, 8], widths: [8, 12, 8, 8, 8], hidden: 4 } })).toThrow(/output_features 12 must be a multiple of 8/);
  });

  test('conformance, small widths at 32×32', async () => {
    const report = await runConformance(baePlugin, { image: [32, 32], hyperParameters: { preset: 'small' }, stateKeys: officialKeys });
    expect(report.ok).toBe(true);
  });

  test('conformance, official widths on tiny spatial sizes (names = the official Decoder state_dict)', async () => {
    const report = await runConformance(baePlugin, { image: [32, 32], batch: 1, tries: 1, stateKeys: officialKeys, register: false });
    expect(report.ok).toBe(true);
  }, 300_000);

  test('the loss refuses eval outputs; stepFeeds declare the random draws', () => {
    const net = baePlugin.create({ preset: 'small' });
    initParameters(net.module, new Rng(1));
    expect(net.stepFeeds(2, { mode: 'eval', image: [32, 32] })).toEqual([]);
    const feeds = net.stepFeeds(2, { mode: 'train', image: [32, 32] });
    // 8×8: N = int(0.4·64) = 25, k = int(0.7·25) = 17 → 8 random; 16×16: 102/71 → 31; 32×32: 409/286 → 123
    expect(feeds.map((f) => [f.name, f.shape])).toEqual([[permInputName('res4'), [2, 8]], [permInputName('res2'), [2, 31]], [permInputName('res1'), [2, 123]]]);
    const g = new GraphBuilder('eval');
    const feats = net.pyramid.levels.map((l) => ({ ...l, value: g.input(`f${l.stride}`, 'float32', [2, l.channels, 32 / l.stride, 32 / l.stride]) }));
    const built = net.build(g, feats, { mode: 'eval', image: [32, 32] });
    const { targets, valid } = targetInputs(g, ['normals'], 2, [32, 32]);
    expect(() => net.loss(g, built.outputs, targets, valid)).toThrow(/output 'pred_res4' is missing; the loss needs a build in 'train' mode/);
  });
});

describe('sample_points', () => {
  test('counts use Python float arithmetic and truncation', () => {
    expect(sampleCounts(16, 16, 0.4, 0.7)).toEqual({ n: 102, importance: 71, coverage: 31, remaining: 185 });
    expect(sampleCounts(5, 45, 0.4, 0.7)).toEqual({ n: 90, importance: 62, coverage: 28, remaining: 163 }); // 0.7·90 = 62.99999999999999
    expect(sampleCounts(4, 4, 0.4, 0)).toEqual({ n: 6, importance: 0, coverage: 6, remaining: 16 });
    expect(() => sampleCounts(1, 2, 0.4, 0.7)).toThrow(/the level is too small/);
  });

  test('the random draw: distinct positions in range, reproducible, every position reachable', () => {
    const c = sampleCounts(8, 8, 0.4, 0.7);
    const a = samplePerm(new Rng(5), 3, c);
    expect(Array.from(a.data)).toEqual(Array.from(samplePerm(new Rng(5), 3, c).data));
    const seen = new Array<number>(c.remaining).fill(0);
    const rng = new Rng(6);
    for (let t = 0; t < 400; t++) {
      const p = Array.from(samplePerm(rng, 1, c).data, Number);
      expect(new Set(p).size).toBe(c.coverage);
      p.forEach((v) => (expect(v >= 0 && v < c.remaining).toBe(true), seen[v]!++));
    }
    // 400 draws of 8 of 47: each position expected 68 times
    expect(Math.min(...seen)).toBeGreaterThan(35);
    expect(Math.max(...seen)).toBeLessThan(105);
  });

  test('graph equals a plain rendering of upstream: stable sort of −κ, invalid last, random part from the rest', async () => {
    const rng = new Rng(9);
    const [b, h, w, gh, gw] = [2, 6, 10, 12, 20];
    const c = sampleCounts(h, w, 0.4, 0.7);
    const init = new Tensor('float32', [b, 4, h, w]);
    rng.fillNormal(init.data);
    for (let i = 0; i < b * h * w; i++) init.data[(Math.floor(i / (h * w)) * 4 + 3) * h * w + (i % (h * w))] = Math.round(rng.uniform() * 4); // ties
    const mask = new Tensor('float32', [b, 1, gh, gw], Float32Array.from({ length: b * gh * gw }, () => (rng.uniform() < 0.7 ? 1 : 0)));
    const perm = samplePerm(rng, b, c);
    const g = new GraphBuilder('sample');
    g.output('s', samplePoints(g.input('init', 'float32', init.shape), g.input('mask', 'float32', mask.shape), g.input('perm', 'int64', perm.shape), c));
    const out = await runGraph(g, { init, mask, perm });
    const want: number[] = [];
    for (let n = 0; n < b; n++) {
      const unc = Array.from({ length: h * w }, (_, p) => {
        const [r, col] = [Math.floor(p / w), p % w];
        const valid = mask.data[n * gh * gw + Math.floor((r * gh) / h) * gw + Math.floor((col * gw) / w)]! >= 0.5; // nearest, integer factor
        return valid ? -init.data[(n * 4 + 3) * h * w + p]! : -1e4;
      });
      const order = Array.from({ length: h * w }, (_, p) => p).sort((x, y) => unc[y]! - unc[x]!); // stable
      const rest = order.slice(c.importance);
      want.push(...order.slice(0, c.importance), ...Array.from(perm.data.slice(n * c.coverage, (n + 1) * c.coverage), (v) => rest[Number(v)]!));
    }
    expect(Array.from(out.s!.data as BigInt64Array, Number)).toEqual(want);
  });
});

describe('gradients vs central differences (the new building blocks)', () => {
  // The assembled decoder's gradients are checked against torch autograd on the official golden
  // (official.test.ts: every parameter ≤ 1e-4); float32 differences through the whole decoder (weight
  // standardisation, GroupNorm on 1×1 maps, ReLU kinks, x/‖x‖) are too ill-conditioned to add anything there.
  const rng = new Rng(11);
  const rand = (shape: number[], dtype: 'float32' | 'float64' = 'float32', lo = -1, hi = 1): Tensor => {
    const t = dtype === 'float64' ? new Tensor('float64', shape) : new Tensor('float32', shape);
    rng.fillUniform(t.data, lo, hi);
    return t;
  };

  test('normNormalize (float32: ORT has no float64 Elu)', async () => {
    const x = rand([2, 4, 3, 5], 'float32', 0.3, 1.5);
    const errs = await fdCheck({ build: (g) => normNormalize(g.input('x', 'float32', x.shape)), feeds: { x }, params: [], targets: [{ name: 'x', samples: 20 }], rng, h: 1e-3 });
    expect(errs.x).toBeLessThan(5e-3);
  });

  test('WSConv2d (weight standardisation) and Conv1d', async () => {
    const root = new Module();
    const ws = root.addModule('ws', new WSConv2d(8, 4));
    const pc = root.addModule('pc', new PointConv1d(4, 3));
    initParameters(root, rng);
    const x = rand([2, 8, 5, 6]);
    const errs = await fdCheck({
      build: (g) => {
        const y = ws.forward(g.input('x', 'float32', x.shape));
        return pc.forward(reshape(y, [2, 4, 30]));
      },
      feeds: { x },
      params: [...root.namedParameters().values()],
      targets: [{ name: 'x' }, { name: 'ws.weight' }, { name: 'ws.bias' }, { name: 'pc.weight' }],
      rng,
      h: 3e-3,
    });
    for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThan(1e-2);
  });

  test('UG loss: level-0 upsampling and the nearest gt lookups at sampled points', async () => {
    const [b, gh, gw] = [2, 16, 16];
    const levels: [number, number][] = [[4, 4], [8, 8], [16, 16]];
    const counts = levels.map(([h, w]) => sampleCounts(h, w, 0.4, 0.7));
    const samples = counts.map((c, i) => new Tensor('int64', [b, c.n], BigInt64Array.from({ length: b * c.n }, () => BigInt(rng.int(levels[i]![0] * levels[i]![1])))));
    const unit = (shape: number[]): Tensor => {
      const t = rand(shape, 'float32', 0.2, 1); // positive, so cos stays away from ±1 and acos smooth
      for (let i = 0; i < t.size; i += 1) if ((Math.floor(i / (shape.at(-1)! * (shape.at(-2) ?? 1))) % 4) === 3) t.data[i] = 0.5 + 2 * rng.uniform();
      return t;
    };
    const feeds: Record<string, Tensor> = {
      out8: unit([b, 4, 2, 2]),
      gt: rand([b, 3, gh, gw], 'float32', 0.1, 1),
      valid: new Tensor('float32', [b, 1, gh, gw], Float32Array.from({ length: b * gh * gw }, () => (rng.uniform() < 0.8 ? 1 : 0))),
    };
    counts.forEach((c, i) => {
      feeds[`pred${i}`] = unit([b, 4, c.n]);
      feeds[`samples${i}`] = samples[i]!;
    });
    const errs = await fdCheck({
      build: (g) => {
        const v = (k: string): Value => g.input(k, feeds[k]!.dtype, feeds[k]!.shape);
        const terms = ugNllTerms({ out8: v('out8'), samplePreds: [0, 1, 2].map((i) => v(`pred${i}`)), samples: [0, 1, 2].map((i) => v(`samples${i}`)), levels, gt: v('gt'), valid: v('valid') });
        return concat(terms.map((t) => reshape(t, [1])), 0);
      },
      feeds,
      params: [],
      targets: [{ name: 'out8', samples: 10 }, { name: 'pred0' }, { name: 'pred2' }, { name: 'gt' }],
      rng,
      h: 1e-3,
    });
    for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThan(1e-2);
  });
});
