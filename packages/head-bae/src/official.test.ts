// Parity with the official Diff-2-in-1 code (golden made by tools/golden/heads/make_golden.py from its
// SNmodule, Decoder, sample_points, compute_loss('UG_NLL_ours') and torch.optim.Adam): eval outputs, the sampled
// points, train outputs, the loss and its level terms, every gradient, every buffer update, one Adam step.
import { describe, expect, test } from 'vitest';
import { GraphBuilder, Module, type Value, adam, compileTrainStep, grad } from '@diff2in1/graph';
import { tapInputName, tapInputs } from '@diff2in1/feature-pyramid';
import { targetInputs } from '@diff2in1/heads';
import { TrainStepSession } from '@diff2in1/runtime';
import { type Tensor } from '@diff2in1/tensor';
import { ugNllTerms } from './compute-loss.js';
import { BAE_INPUT_STRIDES, BAE_LEVELS } from './decoder.js';
import { nearestLookup } from './nearest-lookup.js';
import { maxDiff, runGraph, withPrefix } from './testing/golden.js';
import { IMAGE, baeNet, gold, meta, permFeeds, snModule, tapFeeds, targetFeeds, taps } from './testing/official.js';

const ints = (t: Tensor): number[] => Array.from(t.data as BigInt64Array, Number);

describe('nearest gt lookups (grid_sample nearest at sample_points coordinates)', () => {
  test.each(meta.nearest_pairs)('level %i×%i on gt %i×%i: float64 and float32 grids', (h, w, gh, gw) => {
    for (const [prec, key] of [['float64', 'f64'], ['float32', 'f32']] as const) {
      const rows = nearestLookup(h, gh, prec);
      const cols = nearestLookup(w, gw, prec);
      const ours = Array.from({ length: h * w }, (_, p) => rows[Math.floor(p / w)]! * gw + cols[p % w]!);
      expect(ours).toEqual(ints(gold[`nearest.${h}x${w}to${gh}x${gw}.${key}`]!));
    }
  });
});

describe('Bae decoder vs the official code', () => {
  test('eval mode from the golden pyramid: out_res8..out_res1 within 1e-4', async () => {
    const net = baeNet();
    net.module.eval();
    const g = new GraphBuilder('bae-eval');
    const feats = BAE_INPUT_STRIDES.map((stride, i) => ({ stride, channels: net.pyramid.levels[i]!.channels, value: g.input(`x${i}`, 'float32', gold[`test.sn.out${i}`]!.shape) }));
    const built = net.build(g, feats, { mode: 'eval', image: IMAGE });
    expect(built.feeds).toEqual([]);
    for (const l of BAE_LEVELS) g.output(l, built.outputs[`out_${l}`]!);
    const out = await runGraph(g, Object.fromEntries(BAE_INPUT_STRIDES.map((_, i) => [`x${i}`, gold[`test.sn.out${i}`]!])));
    for (const l of BAE_LEVELS) expect(maxDiff(out[l]!, gold[`test.bae.out_${l}`]!), l).toBeLessThan(1e-4);
    const pred = net.postprocess({ out_res1: out.res1! });
    expect(pred.normals!.value.shape).toEqual([2, 3, 64, 64]);
    expect(pred.normals!.confidence!.data[0]).toBe(out.res1!.data[3 * 64 * 64]);
  });

  test('train mode (SNmodule + decoder): samples, outputs, loss terms, every gradient and buffer update', async () => {
    const sn = snModule().train();
    const net = baeNet();
    net.module.train();
    const g = new GraphBuilder('bae-train', { params: 'input' });
    const pyr = sn.forward(tapInputs(g, taps, meta.batch, IMAGE));
    const { targets, valid } = targetInputs(g, ['normals'], meta.batch, IMAGE);
    const built = net.build(g, pyr, { mode: 'train', image: IMAGE, valid });
    expect(built.feeds.map((f) => `${f.name} [${f.shape}]`)).toEqual(['bae.perm_res4 [2,31]', 'bae.perm_res2 [2,123]', 'bae.perm_res1 [2,492]']);
    const terms = ugNllTerms({
      out8: built.outputs.out_res8!,
      samplePreds: ['res4', 'res2', 'res1'].map((l) => built.outputs[`pred_${l}`]!),
      samples: ['res4', 'res2', 'res1'].map((l) => built.outputs[`samples_${l}`]!),
      levels: ['res4', 'res2', 'res1'].map((l) => built.outputs[`out_${l}`]!.shape.slice(2) as [number, number]),
      gt: targets.normals!,
      valid: valid.normals!,
    });
    const loss = net.loss(g, built.outputs, targets, valid);
    g.output('loss', loss);
    terms.forEach((t, i) => g.output(`term${i}`, t));
    for (const [k, v] of Object.entries(built.outputs)) g.output(k, v);
    const params = [...g.boundParams.entries()].filter(([p]) => p.kind === 'parameter');
    const prefixOf = (name: string): string => (sn.namedParameters().has(name) ? 'sn' : 'bae');
    grad(loss, params.map(([, v]) => v)).forEach((d: Value, i) => g.output(`grad.${prefixOf(params[i]![0].name)}.${params[i]![0].name}`, d));
    for (const [p, v] of g.bufferUpdates) g.output(`buffer.${sn.namedBuffers().has(p.name) ? 'sn' : 'bae'}.${p.name}`, v);
    const feeds = { ...tapFeeds(), ...targetFeeds(), ...permFeeds(), ...Object.fromEntries([...g.boundParams.keys()].map((p) => [p.name, p.data])) };
    const out = await runGraph(g, feeds, 2);

    // The lowest-κ part is a sort of float32 values that differ from torch's in the last bits, so two nearly tied
    // pixels may trade places inside it: compare it as a set, the random part position by position, and the
    // refined samples matched by pixel.
    net.module.counts(IMAGE).forEach((c, li) => {
      const l = ['res4', 'res2', 'res1'][li]!;
      const [ours, theirs] = [ints(out[`samples_${l}`]!), ints(gold[`train.samples_${l}`]!)];
      for (let b = 0; b < meta.batch; b++) {
        const [o, t] = [ours.slice(b * c.n, (b + 1) * c.n), theirs.slice(b * c.n, (b + 1) * c.n)];
        expect(new Set(o.slice(0, c.importance)), `importance ${l}`).toEqual(new Set(t.slice(0, c.importance)));
        expect(o.slice(c.importance), `coverage ${l}`).toEqual(t.slice(c.importance));
        const pred = out[`pred_${l}`]!.data as Float32Array;
        const want = gold[`train.bae.pred_${l}`]!.data as Float32Array;
        const col = new Map(t.map((px, j) => [px, j]));
        let worst = 0;
        o.forEach((px, j) => {
          for (let ch = 0; ch < 4; ch++) worst = Math.max(worst, Math.abs(pred[(b * 4 + ch) * c.n + j]! - want[(b * 4 + ch) * c.n + col.get(px)!]!));
        });
        expect(worst, `pred_${l}`).toBeLessThan(1e-4);
      }
    });
    for (const l of BAE_LEVELS) expect(maxDiff(out[`out_${l}`]!, gold[`train.bae.out_${l}`]!), `out_${l}`).toBeLessThan(1e-4);
    meta.loss_terms.forEach((t, i) => expect(Math.abs(Number(out[`term${i}`]!.data[0]) - t), `term ${i}`).toBeLessThan(1e-5));
    expect(Math.abs(Number(out.loss!.data[0]) - meta.loss)).toBeLessThan(2e-5);

    const golden = withPrefix(gold, 'grad.');
    const ours = Object.keys(out).filter((k) => k.startsWith('grad.')).map((k) => k.slice(5)).sort();
    expect(ours).toEqual(Object.keys(golden).sort()); // and the unused SNmodule parts are not modelled:
    expect(meta.no_grad_parameters.every((k) => /^sn\.(transfromer_decoder|mlp|to_k|to_q)\./.test(k))).toBe(true);
    for (const k of ours) expect(maxDiff(out[`grad.${k}`]!, golden[k]!), `grad ${k}`).toBeLessThan(1e-4);

    const buffers = withPrefix(gold, 'train.state.');
    const updated = Object.keys(out).filter((k) => k.startsWith('buffer.')).map((k) => k.slice(7)).sort();
    expect(updated).toEqual(Object.keys(buffers).sort());
    for (const k of updated) {
      if (buffers[k]!.dtype === 'int64') expect(ints(out[`buffer.${k}`]!)).toEqual(ints(buffers[k]!));
      else expect(maxDiff(out[`buffer.${k}`]!, buffers[k]!), k).toBeLessThan(1e-4);
    }
  });

  test('one Adam step (compiled train step, TrainStepSession) equals torch.optim.Adam on the official modules', async () => {
    const sn = snModule().train();
    const net = baeNet();
    net.module.train();
    const root = new Module();
    root.addModule('sn', sn);
    root.addModule('bae', net.module); // state names become 'sn.<key>' / 'bae.<key>', as the golden's
    const batch = { ...tapFeeds(), ...targetFeeds(), ...permFeeds() };
    const program = compileTrainStep({
      name: 'bae-official',
      model: root,
      batch: Object.fromEntries(Object.entries(batch).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }])),
      optimizer: adam(),
      loss: (b, g) => {
        const pyr = sn.forward(Object.fromEntries(taps.map((t) => [t.name, b[tapInputName(t.name)]!])));
        const built = net.build(g, pyr, { mode: 'train', image: IMAGE, valid: { normals: b['valid.normals']! }, feeds: b });
        return net.loss(g, built.outputs, { normals: b['target.normals']! }, { normals: b['valid.normals']! });
      },
    });
    const session = await TrainStepSession.create(program, { lr: meta.adam.lr, device: 'cpu', intraOpThreads: 2 });
    try {
      const r = await session.stepWithOutputs(batch);
      expect(Math.abs(r.loss - meta.loss)).toBeLessThan(2e-5);
      const state = session.stateDict();
      const after = withPrefix(gold, 'adam.');
      const before = withPrefix(gold, 'state.');
      const grads = withPrefix(gold, 'grad.');
      for (const [k, want] of Object.entries(after)) {
        // The first step moves each element by lr·g/(|g| + ε): ±lr where |g| ≫ ε = 1e-8. Compare the update in
        // units of lr; where |g| ≤ 1e-6 (biases right before a normalisation — per-channel GroupNorm, train-mode
        // BatchNorm — whose true gradient is 0 and whose computed one is rounding noise) the update is noise too,
        // in both implementations, and is only checked to stay within ±lr.
        const p0 = before[k]!.data as Float32Array;
        const g0 = grads[k]!.data as Float32Array;
        const ours = state[k]!.data as Float32Array;
        const theirs = want.data as Float32Array;
        let sharp = 0;
        let noisy = 0;
        for (let i = 0; i < p0.length; i++) {
          const d = Math.abs(ours[i]! - p0[i]! - (theirs[i]! - p0[i]!)) / meta.adam.lr;
          if (Math.abs(g0[i]!) > 1e-6) sharp = Math.max(sharp, d);
          else noisy = Math.max(noisy, d);
        }
        expect(sharp, `adam ${k}`).toBeLessThan(2e-3);
        expect(noisy, `adam ${k} (|g| ≤ 1e-6)`).toBeLessThan(1);
      }
      const buffers = withPrefix(gold, 'train.state.');
      for (const [k, want] of Object.entries(buffers)) {
        if (want.dtype === 'int64') expect(ints(state[k]!)).toEqual(ints(want));
        else expect(maxDiff(state[k]!, want), k).toBeLessThan(1e-4);
      }
    } finally {
      await session.release();
    }
  });
});
