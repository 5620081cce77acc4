// 'hflip+color': Bae et al.'s colour augmentation (p = 0.5, surface_normal_uncertainty data/utils.py) on top of
// the cached flips — closed form, seeding, and the cache bypass for jittered visits.
import { describe, expect, test } from 'vitest';
import { Tensor } from '@diff2in1/tensor';
import { FeatureExtractor } from './features.js';
import { SampleSource } from './sample-source.js';
import { applyColorJitter, colorJitterOf, epochBatch, variantOf } from './schedule.js';
import { tinySd, tmp, toySplits } from './testing/fixtures.js';

describe("augment 'hflip+color'", () => {
  test('jitters half the samples with parameters in Bae et al.\'s ranges, seeded per (seed, epoch, index); flips unchanged', () => {
    expect(colorJitterOf('hflip', 0, 0, 3)).toBeUndefined();
    const js = Array.from({ length: 400 }, (_, i) => colorJitterOf('hflip+color', 4, 1, i));
    const on = js.filter((j) => j !== undefined);
    expect(on.length / js.length).toBeGreaterThan(0.4);
    expect(on.length / js.length).toBeLessThan(0.6);
    for (const j of on) {
      expect(j.gamma >= 0.9 && j.gamma <= 1.1 && j.brightness >= 0.75 && j.brightness <= 1.25).toBe(true);
      expect(j.colors.every((c) => c >= 0.9 && c <= 1.1)).toBe(true);
    }
    expect(colorJitterOf('hflip+color', 4, 1, 7)).toEqual(js[7]);
    expect(Array.from({ length: 50 }, (_, i) => colorJitterOf('hflip+color', 4, 2, i))).not.toEqual(js.slice(0, 50));
    for (let i = 0; i < 50; i++) expect(variantOf('hflip+color', 4, 1, i)).toBe(variantOf('hflip', 4, 1, i));
    const batch = epochBatch(40, 8, 4, 1, 2, 'hflip+color');
    expect(batch.every((it) => (it.jitter === undefined) === (colorJitterOf('hflip+color', 4, 1, it.index) === undefined))).toBe(true);
  });

  test('applyColorJitter = clip(x^γ · b · c_channel, 0, 1)', () => {
    const x = new Tensor('float32', [3, 1, 2], Float32Array.of(0.25, 1, 0.5, 0, 0.81, 0.9));
    const j = { gamma: 0.5, brightness: 1.2, colors: [1, 0.9, 1.1] as [number, number, number] };
    const want = [0.5 * 1.2, 1, Math.sqrt(0.5) * 1.2 * 0.9, 0, 0.9 * 1.2 * 1.1, Math.sqrt(0.9) * 1.2 * 1.1].map((v) => Math.min(1, v));
    Array.from(applyColorJitter(x, j).data).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    expect(() => applyColorJitter(new Tensor('float32', [1, 2, 2]), j)).toThrow(/RGB image \[3, H, W\]/);
  });

  test('a jittered visit computes its features from the jittered image and leaves the cache slot alone', async () => {
    const sd = await tinySd();
    const { train } = await toySplits(32, 8, 4);
    const ex = new FeatureExtractor(sd, { seed: 1 });
    const src = new SampleSource(train, ex, [32, 32], { cacheDir: tmp('jit-cache') });
    const j = { gamma: 1.1, brightness: 0.8, colors: [1.05, 0.95, 1] as [number, number, number] };
    const jittered = await src.load([{ index: 2, variant: 'none', visit: 0, jitter: j }]);
    expect(jittered.computed).toBe(1);
    expect(src.cache!.has(src.cache!.slot(2, 'none'))).toBe(false);
    expect(Array.from(jittered.samples[0]!.image.data)).toEqual(Array.from(applyColorJitter((await train.get(2)).image, j).data));
    const want = await ex.extract([{ image: applyColorJitter((await train.get(2)).image, j), key: '2/none' }]);
    for (const [k, t] of Object.entries(want)) expect(Array.from(jittered.features[k]!.data)).toEqual(Array.from(t.data));
    const plain = await src.load([{ index: 2, variant: 'none', visit: 0 }]);
    expect(plain.computed).toBe(1);
    expect(src.cache!.has(src.cache!.slot(2, 'none'))).toBe(true);
    expect((await src.load([{ index: 2, variant: 'none', visit: 1 }])).cached).toBe(1);
    src.close();
  }, 120_000);
});
