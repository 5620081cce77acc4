// The compiled-graph cache: a second load with the same cache compiles nothing and gives identical outputs; graph
// variants share one weights blob; changed weights, dtype or config key a new entry; models keep their weights
// external; float16 graphs keep GroupNorm in float32 and run on ORT's CPU EP.
import { cpSync, readFileSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel } from '@diff2in1/graph';
import { Tensor } from '@diff2in1/tensor';
import { compileStats } from './compile-cache.js';
import { loadStableDiffusion } from './load-stable-diffusion.js';
import { f32, fixture, golden, maxAbsDiff, tempCache, timesteps } from './testing/golden.js';

const g = golden('unet');
const sample = f32(g['a.sample']);
const ctx = f32(g['a.encoder_hidden_states']);
const ts = timesteps(g['a.timestep']!);
const dirs: string[] = [];
const temp = (tag: string): string => {
  const d = tempCache(tag);
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
}

describe('compile cache', () => {
  it('a cache hit loads without building, with bit-identical results', async () => {
    const cache = temp('hit');
    const before = { ...compileStats };
    const sd1 = await loadStableDiffusion('tiny', { cacheDir: cache, device: 'cpu' });
    const out1 = await sd1.predictNoise(sample, ts, ctx);
    await sd1.dispose();
    expect(compileStats.graphs - before.graphs).toBe(1);
    expect(compileStats.blobs - before.blobs).toBe(1);

    const mid = { ...compileStats };
    const sd2 = await loadStableDiffusion('tiny', { cacheDir: cache, device: 'cpu' });
    const out2 = await sd2.predictNoise(sample, ts, ctx);
    expect(compileStats.graphs).toBe(mid.graphs);
    expect(compileStats.blobs).toBe(mid.blobs);
    expect(maxAbsDiff(out1, out2)).toBe(0);

    // another variant of the same model (taps, another latent size) reuses the weights blob
    await sd2.features(sample, ts, ctx, 'vpd');
    await sd2.predictNoise(new Tensor('float32', [1, 4, 8, 8]), 10, f32(g['b.encoder_hidden_states']));
    expect(compileStats.graphs - mid.graphs).toBe(2);
    expect(compileStats.blobs - mid.blobs).toBe(0);
    await sd2.dispose();

    const all = files(cache);
    expect(all.filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    expect(all.filter((f) => f.endsWith('.onnx'))).toHaveLength(3);
    expect(all.filter((f) => /\.tmp/.test(f))).toEqual([]);
  });

  it('models hold their weights as external data pointing into the blob', async () => {
    const cache = temp('ext');
    const sd = await loadStableDiffusion('tiny', { cacheDir: cache, device: 'cpu' });
    await sd.predictNoise(sample, ts, ctx);
    await sd.dispose();
    const onnx = files(cache).find((f) => f.endsWith('.onnx'))!;
    const blob = files(cache).find((f) => f.endsWith('.bin'))!;
    const model = decodeModel(readFileSync(onnx)) as { graph: { initializer: { name: string; dataLocation?: number; externalData?: { key: string; value: string }[] }[]; input: { name: string }[] } };
    const ext = model.graph.initializer.filter((t) => t.dataLocation === 1);
    expect(ext.length).toBeGreaterThan(300);
    expect(ext.find((t) => t.name === 'conv_out.weight')).toBeDefined();
    for (const t of ext) {
      const kv = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
      expect(kv['location']).toBe('weights-float32.bin');
      expect(Number(kv['offset']) % 4096).toBe(0);
      expect(Number(kv['offset']) + Number(kv['length'])).toBeLessThanOrEqual(statSync(blob).size);
    }
    expect(model.graph.input.map((i) => i.name)).toEqual(['sample', 'timestep', 'encoder_hidden_states']);
    // the blob holds the fixture's tensors byte for byte (the model file itself stays small)
    expect(statSync(onnx).size).toBeLessThan(statSync(blob).size);
  });

  it('changed weights (new mtime), float16 and a deleted blob each compile again', async () => {
    const cache = temp('key');
    const folder = join(temp('folder'), 'sd');
    cpSync(fixture('tiny-sd'), folder, { recursive: true });
    const run = async (opts: { fp16?: boolean } = {}): Promise<void> => {
      const sd = await loadStableDiffusion(folder, { cacheDir: cache, device: 'cpu', ...opts });
      await sd.encodePrompt(['a photo of a cat']);
      await sd.dispose();
    };
    await run();
    const s0 = { ...compileStats };
    await run();
    expect(compileStats.graphs).toBe(s0.graphs);
    expect(compileStats.blobs).toBe(s0.blobs);
    const w = join(folder, 'text_encoder/model.safetensors');
    const later = new Date(statSync(w).mtimeMs + 5000);
    utimesSync(w, later, later);
    await run();
    expect(compileStats.blobs - s0.blobs).toBe(1);
    await run({ fp16: true });
    expect(compileStats.blobs - s0.blobs).toBe(2);
    for (const b of files(cache).filter((f) => f.endsWith('.bin'))) rmSync(b);
    const s1 = { ...compileStats };
    await run();
    expect(compileStats.blobs - s1.blobs).toBe(1);
    expect(compileStats.graphs - s1.graphs).toBe(1);
  });
});
