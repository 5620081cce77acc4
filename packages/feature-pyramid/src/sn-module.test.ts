// SNmodule against the official code (tools/golden/heads/make_golden.py): eval-mode outputs, train-mode outputs
// (batch statistics) and every buffer update (SNConv2d u0/sv0 power iteration, SegBlock stored stats, BatchNorm
// running stats and step counters), with the golden's own weights loaded by upstream state_dict names.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { GraphBuilder, stateDict } from '@diff2in1/graph';
import type { Tensor } from '@diff2in1/tensor';
import { type TapSpec, tapInputName, tapInputs } from './levels.js';
import { OFFICIAL_SN_CHANNELS, SNModule, SN_MODULE_UNUSED_PREFIXES, loadSNModuleState, snChannelsFor } from './sn-module.js';
import { loadFixture, maxDiff, runGraph, splitChannels, withPrefix } from './testing/golden.js';

interface Meta {
  batch: number;
  image: number;
  groups: Record<string, { tensors: number[]; size: number }>;
  sn_channels: { low: number; mid: number; high: number; highest: number; up1: number; up2: number };
}
const meta = JSON.parse(readFileSync(new URL('./fixtures/sn-module-golden.json', import.meta.url), 'utf8')) as Meta;
const gold = loadFixture(new URL('./fixtures/sn-module-golden.safetensors', import.meta.url));
const GROUPS = ['low', 'mid', 'high', 'highest'] as const;

// One tap per tensor of each group, in the official (execution) order.
const taps: TapSpec[] = GROUPS.flatMap((grp) => meta.groups[grp]!.tensors.map((c, i) => ({ name: `${grp}.${i}`, channels: c, stride: meta.image / meta.groups[grp]!.size })));
const feeds: Record<string, Tensor> = {};
for (const grp of GROUPS) {
  splitChannels(gold[`in.${grp}`]!, meta.groups[grp]!.tensors).forEach((t, i) => (feeds[tapInputName(`${grp}.${i}`)] = t));
}

function model(): SNModule {
  const m = new SNModule({ taps, channels: meta.sn_channels });
  const report = loadSNModuleState(m, withPrefix(gold, 'state.sn.'));
  expect(report.skipped.length).toBeGreaterThan(0);
  expect(report.skipped.every((k) => SN_MODULE_UNUSED_PREFIXES.some((p) => k.startsWith(p)))).toBe(true);
  return m;
}

function build(m: SNModule): GraphBuilder {
  const g = new GraphBuilder('sn-module');
  const outs = m.forward(tapInputs(g, taps, meta.batch, [meta.image, meta.image]));
  outs.forEach((o, i) => g.output(`out${i}`, o.value));
  for (const [p, v] of g.bufferUpdates) g.output(`buffer.${p.name}`, v);
  return g;
}

describe('SNmodule (official adapter) vs the official code', () => {
  test('state_dict names are upstream keys minus the unused transformer/MLP', () => {
    const m = model();
    const ours = Object.keys(stateDict(m)).sort();
    const upstream = Object.keys(withPrefix(gold, 'state.sn.')).filter((k) => !SN_MODULE_UNUSED_PREFIXES.some((p) => k.startsWith(p))).sort();
    expect(ours).toEqual(upstream);
    expect(ours).toContain('mid_feature_mix_conv.conv1.u0');
    expect(ours).toContain('bn_up1.num_batches_tracked');
  });

  test('levels: strides 1/2 of each group, then ¼ and ⅛ of the finest; SD widths by default', () => {
    const m = model();
    expect(m.levels).toEqual([
      { stride: 32, channels: 16 }, { stride: 16, channels: 12 }, { stride: 8, channels: 8 }, { stride: 4, channels: 6 }, { stride: 2, channels: 4 },
    ]);
    const request = { levels: [32, 16, 8, 4, 2].map((stride, i) => ({ stride, channels: [2048, 176, 64, 40, 24][i]! })) };
    expect(snChannelsFor(taps, request)).toEqual(OFFICIAL_SN_CHANNELS);
    expect(() => snChannelsFor(taps, { levels: request.levels.slice(1) })).toThrow(/produces strides 32, 16, 8, 4, 2/);
    expect(() => new SNModule({ taps: taps.filter((t) => !t.name.startsWith('mid')) })).toThrow(/exactly four strides, each half the previous.*got strides 64, 16, 8/);
  });

  test('eval mode: five outputs within 1e-4', async () => {
    const m = model().eval();
    const g = build(m);
    expect(g.bufferUpdates.size).toBe(0);
    const out = await runGraph(g, feeds);
    for (let i = 0; i < 5; i++) {
      expect(out[`out${i}`]!.shape).toEqual(gold[`test.sn.out${i}`]!.shape);
      expect(maxDiff(out[`out${i}`]!, gold[`test.sn.out${i}`]!), `out${i}`).toBeLessThan(1e-4);
    }
  });

  test('train mode: outputs and every buffer update within 1e-4', async () => {
    const m = model().train();
    const g = build(m);
    const out = await runGraph(g, feeds);
    for (let i = 0; i < 5; i++) expect(maxDiff(out[`out${i}`]!, gold[`train.sn.out${i}`]!), `out${i}`).toBeLessThan(1e-4);
    const buffers = withPrefix(gold, 'train.state.sn.');
    const updated = Object.keys(out).filter((k) => k.startsWith('buffer.')).map((k) => k.slice(7)).sort();
    expect(updated).toEqual(Object.keys(buffers).sort());
    for (const k of updated) {
      const want = buffers[k]!;
      if (want.dtype === 'int64') expect(Array.from(out[`buffer.${k}`]!.data as BigInt64Array)).toEqual(Array.from(want.data as BigInt64Array));
      else expect(maxDiff(out[`buffer.${k}`]!, want), k).toBeLessThan(1e-4);
    }
  });
});
