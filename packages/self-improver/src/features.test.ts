import { describe, expect, test } from 'vitest';
import { Rng, Tensor, randn } from '@diff2in1/tensor';
import { FeatureExtractor, featureTaps } from './features.js';
import { SampleSource } from './sample-source.js';
import { tinySd, tmp, toySplits } from './testing/fixtures.js';

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs((a.data[i] as number) - (b.data[i] as number)));
  return m;
}

describe('frozen-backbone features as the official code computes them', () => {
  test('taps at image strides: tiny vpd = 16@64, 16@32, 12@16, 8@8', async () => {
    const sd = await tinySd();
    expect(featureTaps(sd, 'vpd').map((t) => `${t.channels}@${t.stride}`)).toEqual(['16@64', '16@32', '12@16', '8@8']);
    expect(featureTaps(sd, 'all')).toHaveLength(25);
  });

  test('VAE posterior sample × 0.18215, q_sample at t = 0 (√ᾱ₀ z + √(1−ᾱ₀) ε, ᾱ₀ = 1 − 0.00085), empty prompt', async () => {
    const sd = await tinySd();
    const { train } = await toySplits(32, 8, 4);
    const s = await train.get(3);
    const ex = new FeatureExtractor(sd, { seed: 5 });
    const got = await ex.extract([{ image: s.image, key: 'k' }]);
    // The same pipeline written out: x ∈ [−1, 1] → posterior sample (rng .fork('posterior')) → closed-form q_sample.
    const x = new Tensor('float32', [1, 3, 32, 32], Float32Array.from(s.image.data, (v) => v * 2 - 1));
    const rng = new Rng(5).fork('features').fork('k');
    const z = await sd.encodeImage(x, { mode: 'sample', rng: rng.fork('posterior') });
    const eps = randn(rng.fork('q_sample'), z.shape);
    const a0 = 1 - 0.00085;
    const zt = new Tensor('float32', z.shape, Float32Array.from(z.data, (v, i) => Math.sqrt(a0) * v + Math.sqrt(1 - a0) * eps.data[i]!));
    const want = await sd.features(zt, 0, await sd.encodePrompt(['']), 'vpd');
    for (const t of ex.taps) expect(maxAbsDiff(got[`tap.${t.name}`]!, want[t.name]!)).toBeLessThan(1e-5);
  }, 120_000);

  test("a sample's features do not depend on its batch; 'fixed' noise repeats across visits, 'fresh' does not", async () => {
    const sd = await tinySd();
    const { train } = await toySplits(32, 8, 4);
    const ex = new FeatureExtractor(sd, { seed: 1 });
    const fixed = new SampleSource(train, ex, [32, 32], { noise: 'fixed' });
    const fresh = new SampleSource(train, ex, [32, 32], { noise: 'fresh' });
    const both = await fixed.load([{ index: 2, variant: 'none', visit: 0 }, { index: 5, variant: 'none', visit: 0 }]);
    const one = await fixed.load([{ index: 5, variant: 'none', visit: 3 }]);
    const tap = 'tap.up_blocks.3';
    const row1 = new Tensor('float32', one.features[tap]!.shape, both.features[tap]!.data.slice(one.features[tap]!.size));
    expect(maxAbsDiff(row1, one.features[tap]!)).toBeLessThan(1e-5);
    const f0 = await fresh.load([{ index: 5, variant: 'none', visit: 0 }]);
    const f1 = await fresh.load([{ index: 5, variant: 'none', visit: 1 }]);
    expect(maxAbsDiff(f0.features[tap]!, f1.features[tap]!)).toBeGreaterThan(1e-4);
    // hflip mirrors the image and negates the normals' x (datasets' hflipSample).
    const m = await fixed.load([{ index: 5, variant: 'hflip', visit: 0 }]);
    expect(m.samples[0]!.image.data[0]).toBe(one.samples[0]!.image.data[31]);
    expect(m.samples[0]!.labels.normals!.value.data[0]).toBe(-one.samples[0]!.labels.normals!.value.data[31]!);
  }, 120_000);

  test('with a cache the second load reads every slot back, equal to the fp16-rounded first values', async () => {
    const sd = await tinySd();
    const { train } = await toySplits(32, 8, 4);
    const ex = new FeatureExtractor(sd, { seed: 1, taps: 'all' });
    const dir = tmp('fcache');
    const src = new SampleSource(train, ex, [32, 32], { cacheDir: dir, variants: ['none', 'hflip'] });
    const items = [{ index: 1, variant: 'none' as const, visit: 0 }, { index: 4, variant: 'hflip' as const, visit: 0 }];
    const a = await src.load(items);
    expect([a.cached, a.computed]).toEqual([0, 2]);
    const b = await src.load(items);
    expect([b.cached, b.computed]).toEqual([2, 0]);
    for (const [k, t] of Object.entries(a.features)) expect(Array.from(b.features[k]!.data), k).toEqual(Array.from(t.data));
    src.close();
    expect(() => new SampleSource(train, ex, [32, 32], { cacheDir: dir, noise: 'fresh' })).toThrow(/needs featureNoise 'fixed'/);
  }, 120_000);
});
