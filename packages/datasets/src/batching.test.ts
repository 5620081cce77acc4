import { describe, expect, it } from 'vitest';
import type { Rng } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor, tensor } from '@diff2in1/tensor';
import { batches, collate, epochOrder, sampleRng } from './batching.js';
import type { Dataset, Sample, SkippedSample } from './sample.js';
import { hflipSample } from './transforms.js';

/** An in-memory dataset: sample i has a 1×2 image whose pixels are (i, i+0.5)/100 and semseg ids (i % 3, 0). */
function memory(n: number, bad: Set<number> = new Set(), sizes: (i: number) => number = () => 2): Dataset {
  const ids = Array.from({ length: n }, (_, i) => `s${i}`);
  return {
    name: 'memory', root: '/', split: 'train', tasks: ['semseg'], classes: {}, skipped: [], ids, length: n,
    async get(i: number): Promise<Sample> {
      if (bad.has(i)) throw new Diff2in1Error('dataset', `broken sample ${i}`, { file: `/x/${i}.png` });
      const w = sizes(i);
      const image = new Tensor('float32', [3, 1, w]);
      for (let k = 0; k < image.size; k++) image.data[k] = (i + (k % w) * 0.5) / 100;
      return { id: ids[i] as string, image, labels: { semseg: { value: tensor('int32', [1, w], Array.from({ length: w }, (_, x) => (x === 0 ? i % 3 : 0))), valid: tensor('bool', [1, w], new Array(w).fill(1)) } } };
    },
  };
}

async function collect(ds: Dataset, opts: Parameters<typeof batches>[1]): Promise<{ ids: string[][]; first: number[][] }> {
  const ids: string[][] = [], first: number[][] = [];
  for await (const b of batches(ds, opts)) {
    ids.push(b.ids);
    first.push(Array.from({ length: b.ids.length }, (_, k) => b.images.data[k * b.images.size / b.ids.length] as number));
  }
  return { ids, first };
}

describe('seeded shuffling', () => {
  it('is a permutation, fixed per (seed, epoch), different across epochs and seeds', () => {
    const a = epochOrder(50, 7, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epochOrder(50, 7, 0)).toEqual(a);
    expect(epochOrder(50, 7, 1)).not.toEqual(a);
    expect(epochOrder(50, 8, 0)).not.toEqual(a);
    expect(epochOrder(5, 7, 0, false)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('batches', () => {
  it('visits every sample once per epoch in the seeded order, with a short last batch unless dropLast', async () => {
    const ds = memory(10);
    const { ids } = await collect(ds, { batchSize: 4, seed: 3, epoch: 2 });
    expect(ids.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(ids.flat()).toEqual(epochOrder(10, 3, 2).map((i) => `s${i}`));
    const dropped = await collect(ds, { batchSize: 4, seed: 3, epoch: 2, dropLast: true });
    expect(dropped.ids.map((b) => b.length)).toEqual([4, 4]);
  });

  it('stacks images [B, 3, H, W] and labels [B, H, W]', async () => {
    const it = batches(memory(3), { batchSize: 3, shuffle: false });
    const b = (await it.next()).value!;
    expect(b.images.shape).toEqual([3, 3, 1, 2]);
    expect(b.labels.semseg!.value.shape).toEqual([3, 1, 2]);
    expect(Array.from(b.labels.semseg!.value.data)).toEqual([0, 0, 1, 0, 2, 0]);
    expect(b.indices).toEqual([0, 1, 2]);
  });

  it('gives each sample the same augmentation whatever the batch size or prefetch depth', async () => {
    const flipIfHeads = (s: Sample, rng: Rng) => (rng.uniform() < 0.5 ? hflipSample(s) : s);
    const a = await collect(memory(12), { batchSize: 5, seed: 9, transform: flipIfHeads, prefetch: 1 });
    const b = await collect(memory(12), { batchSize: 2, seed: 9, transform: flipIfHeads, prefetch: 8 });
    expect(a.ids.flat()).toEqual(b.ids.flat());
    expect(a.first.flat()).toEqual(b.first.flat());
    // and the flips are those of sampleRng(seed, epoch, index): some samples flipped, some not
    const flipped = epochOrder(12, 9, 0).map((i) => sampleRng(9, 0, i).uniform() < 0.5);
    expect(flipped.some((f) => f) && flipped.some((f) => !f)).toBe(true);
    a.first.flat().forEach((v, k) => {
      const i = epochOrder(12, 9, 0)[k] as number;
      expect(v).toBeCloseTo((i + (flipped[k] ? 0.5 : 0)) / 100, 6);
    });
  });

  it('bad samples throw, or with skipBad are reported and left out', async () => {
    await expect(collect(memory(6, new Set([2])), { batchSize: 2, shuffle: false })).rejects.toThrow(/\/x\/2\.png: broken sample 2/);
    const skipped: SkippedSample[] = [];
    const r = await collect(memory(6, new Set([2])), { batchSize: 2, shuffle: false, skipBad: true, onSkip: (s) => skipped.push(s) });
    expect(r.ids).toEqual([['s0', 's1'], ['s3', 's4'], ['s5']]);
    expect(skipped).toEqual([{ id: 's2', file: '/x/2.png', reason: '/x/2.png: broken sample 2' }]);
    // non-dataset errors are never swallowed
    const ds = memory(2);
    const broken: Dataset = { ...ds, get: async () => { throw new TypeError('bug'); } };
    await expect(collect(broken, { batchSize: 1, skipBad: true })).rejects.toThrow(TypeError);
  });

  it('refuses to stack samples of different sizes, naming them', async () => {
    const ds = memory(2, new Set(), (i) => 2 + i);
    await expect(collect(ds, { batchSize: 2, shuffle: false })).rejects.toThrow(/sample 's0' is \[3, 1, 2\] but 's1' is \[3, 1, 3\]/);
    await expect(collect(memory(1), { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    expect(() => collate([])).toThrow(/empty batch/);
  });
});
