import { describe, expect, test } from 'vitest';
import { GraphBuilder, serialize } from '@diff2in1/graph';
import { createSession } from '@diff2in1/runtime';
import { Rng, Tensor } from '@diff2in1/tensor';
import { featureTaps } from './features.js';
import { PerceptionModel } from './perception.js';
import { Labeler, Predictor } from './predictor.js';
import { tinySd } from './testing/fixtures.js';

const opts = { device: 'cpu' as const, intraOpThreads: 1 };

function randomTaps(model: PerceptionModel, batch: number, rng: Rng): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(model.tapShapes(batch)).map(([k, s]) => {
    const t = new Tensor('float32', s.shape);
    rng.fillNormal(t.data);
    return [k, t];
  }));
}

describe('perception model graphs', () => {
  test('one eval session serves any parameter set: equal to a graph with that set baked in', async () => {
    const sd = await tinySd();
    const model = new PerceptionModel({ taps: featureTaps(sd, 'vpd'), image: [32, 32], head: { id: 'bae', hyperParameters: { preset: 'small' } }, seed: 1 });
    const other = new PerceptionModel({ taps: featureTaps(sd, 'vpd'), image: [32, 32], head: { id: 'bae', hyperParameters: { preset: 'small' } }, seed: 2 });
    const taps = randomTaps(model, 2, new Rng(3));
    const p = await Predictor.create(model, opts);
    const a = await p.outputs(model.initialState(), taps);
    const b = await p.outputs(other.initialState(), taps);
    // Baked: the other model's own eval graph with initializers.
    other.module.eval();
    const g = new GraphBuilder('baked');
    const feats = Object.fromEntries(other.taps.map((t) => [t.name, g.input(`tap.${t.name}`, 'float32', taps[`tap.${t.name}`]!.shape)]));
    const built = other.head.build(g, other.adapter.forward(feats), { mode: 'eval', image: [32, 32] });
    g.output('out_res1', built.outputs.out_res1!);
    const s = await createSession(serialize(g), opts);
    const baked = (await s.run(taps)).out_res1!;
    await s.release();
    // ORT folds constants of the baked graph (e.g. weight standardisation), so the two differ by float rounding only.
    let diff = 0;
    for (let i = 0; i < baked.size; i++) diff = Math.max(diff, Math.abs((b.out_res1!.data[i] as number) - (baked.data[i] as number)));
    expect(diff).toBeLessThan(1e-5);
    expect(Array.from(a.out_res1!.data as Float32Array)).not.toEqual(Array.from(b.out_res1!.data as Float32Array));
    await p.release();
  }, 120_000);

  test("official pseudo-label graph (eval modules, 'train' build): sampled res4 pixels equal the dense eval output there", async () => {
    const sd = await tinySd();
    const model = new PerceptionModel({ taps: featureTaps(sd, 'vpd'), image: [32, 32], head: { id: 'bae', hyperParameters: { preset: 'small' } }, seed: 4 });
    const taps = randomTaps(model, 1, new Rng(5));
    const state = model.initialState();
    const dense = await (await Predictor.create(model, opts)).outputs(state, taps);
    const { bytes, feeds } = model.labelModel(1);
    const s = await createSession(bytes, opts);
    const rng = new Rng(6);
    const run = await s.run({ ...Object.fromEntries(s.inputNames.filter((n) => state[n]).map((n) => [n, state[n]!])), ...taps, 'valid.normals': new Tensor('float32', [1, 1, 32, 32], new Float32Array(1024).fill(1)), ...Object.fromEntries(feeds.map((f) => [f.name, f.sample(rng)])) });
    await s.release();
    const idx = Array.from(run.samples_res4!.data as BigInt64Array, Number);
    const hw = 8 * 8;
    expect(idx.length).toBe(Math.trunc(0.4 * hw));
    for (const i of idx) for (let c = 0; c < 4; c++) expect(run.out_res4!.data[c * hw + i]).toBeCloseTo(dense.out_res4!.data[c * hw + i] as number, 5);
    // The Labeler gives the head's postprocess of that forward: xyz of out_res1, κ as confidence.
    const labeler = await Labeler.create(model, 1, opts);
    const pred = await labeler.predict(state, taps, new Rng(6));
    expect(pred.normals!.value.shape).toEqual([1, 3, 32, 32]);
    expect(Array.from(pred.normals!.value.data)).toEqual(Array.from((run.out_res1!.data as Float32Array).slice(0, 3 * 1024)));
    await labeler.release();
  }, 120_000);
});
