// The real transformers.js image-to-text path on a tiny random ViT + GPT-2 in the exact upstream folder layout,
// against captions computed by plain torch modules with transformers' semantics
// (tools/golden/captioner/make_tiny_vit_gpt2.py): greedy decoding with a KV cache, checked there against a
// cache-free recompute.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '@diff2in1/runtime';
import { RawImage as HfRawImage } from '@huggingface/transformers';
import { Tensor, readRawImage } from '@diff2in1/tensor';
import type { Captioner } from './captioner.js';
import { createCaptioner } from './registry.js';
import { transformersCaptioner } from './transformers-captioner.js';

const DIR = fileURLToPath(new URL('./fixtures/tiny-vit-gpt2', import.meta.url));

interface Golden {
  max_new_tokens: number;
  eos_token_id: number;
  images: { file: string; token_ids: number[]; text: string; last_hidden_state: { shape: number[]; data: number[] }; first_step_logits: number[] }[];
}
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as Golden;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('tiny ViT-GPT2 fixture (ONNX files vs the torch reference)', () => {
  it('encoder_model.onnx reproduces the reference last_hidden_state', async () => {
    const s = await createSession(join(DIR, 'onnx', 'encoder_model.onnx'), { device: 'cpu' });
    const g = golden.images[0]!;
    const raw = await readRawImage(join(DIR, g.file));
    const px = new Float32Array(3 * raw.width * raw.height);
    const hw = raw.width * raw.height;
    for (let c = 0; c < 3; c++) for (let p = 0; p < hw; p++) px[c * hw + p] = Math.fround(Math.fround((raw.data[p * 3 + c] as number) * (1 / 255)) - 0.5) / 0.5;
    const out = await s.run({ pixel_values: new Tensor('float32', [1, 3, raw.height, raw.width], px) });
    expect(out.last_hidden_state!.shape).toEqual(g.last_hidden_state.shape);
    expect(maxAbsDiff(out.last_hidden_state!.data as Float32Array, g.last_hidden_state.data)).toBeLessThan(1e-5);
    await s.release();
  });

  it('decoder_model_merged.onnx: the no-cache branch gives the first-step logits, and both branches agree', async () => {
    const enc = await createSession(join(DIR, 'onnx', 'encoder_model.onnx'), { device: 'cpu' });
    const dec = await createSession(join(DIR, 'onnx', 'decoder_model_merged.onnx'), { device: 'cpu' });
    expect([...dec.inputNames].sort()).toEqual(['encoder_hidden_states', 'input_ids', 'past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value', 'use_cache_branch']);
    const g = golden.images[0]!;
    const hs = new Tensor('float32', g.last_hidden_state.shape, Float32Array.from(g.last_hidden_state.data));
    const empty = (): Tensor => new Tensor('float32', [1, 4, 0, 8]);
    const step = (ids: number[], past: Record<string, Tensor> | null): Promise<Record<string, Tensor>> => dec.run({
      input_ids: new Tensor('int64', [1, ids.length], BigInt64Array.from(ids.map(BigInt))),
      encoder_hidden_states: hs,
      'past_key_values.0.key': past?.['present.0.key'] ?? empty(),
      'past_key_values.0.value': past?.['present.0.value'] ?? empty(),
      'past_key_values.1.key': past?.['present.1.key'] ?? empty(),
      'past_key_values.1.value': past?.['present.1.value'] ?? empty(),
      use_cache_branch: new Tensor('bool', [1], Uint8Array.of(past ? 1 : 0)),
    });
    const first = await step([golden.eos_token_id], null);
    expect(maxAbsDiff(first.logits!.data as Float32Array, g.first_step_logits)).toBeLessThan(1e-4);
    // second token through the cache branch == the same two tokens through the no-cache branch
    const ids = g.token_ids.slice(0, 2);
    const cached = await step(ids.slice(1), first);
    const full = await step(ids, null);
    const v = cached.logits!.shape.at(-1)!;
    const lastFull = (full.logits!.data as Float32Array).subarray(v, 2 * v);
    expect(maxAbsDiff(cached.logits!.data as Float32Array, lastFull)).toBeLessThan(1e-5);
    expect(cached['present.0.key']!.shape).toEqual([1, 4, 2, 8]);
    await enc.release();
    await dec.release();
  });
});

describe('transformersCaptioner (transformers.js image-to-text, offline)', () => {
  let cap: Captioner;
  beforeAll(async () => {
    cap = await transformersCaptioner(DIR, { maxNewTokens: golden.max_new_tokens });
  });
  afterAll(async () => {
    await cap.dispose();
  });

  it('captions both test images exactly as the torch reference (paths and raw pixels)', async () => {
    expect(cap.id).toBe('transformers:tiny-vit-gpt2');
    const files = golden.images.map((g) => join(DIR, g.file));
    expect(await cap.caption(files)).toEqual(golden.images.map((g) => g.text));
    const raw = await readRawImage(files[1]!);
    expect(await cap.caption([raw])).toEqual([golden.images[1]!.text]);
  });

  it('a non-square image is resized to the square ViT input, as transformers (Python) does for an integer size', async () => {
    // The fixture's preprocessor_config.json has "size": 32 (the old integer form). A 48×32 crop of a test image
    // must caption like the same crop squashed to 32×32 by transformers.js's own resize (the processor's resampler).
    const raw = await readRawImage(join(DIR, golden.images[0]!.file));
    const wide = new HfRawImage(new Uint8Array(48 * 32 * 3).map((_, i) => raw.data[i % raw.data.length]!), 48, 32, 3);
    const wideRaw = { width: 48, height: 32, channels: 3 as const, bitDepth: 8 as const, data: new Uint8Array(wide.data) };
    const square = await wide.resize(32, 32, { resample: 2 });
    const squareRaw = { width: 32, height: 32, channels: 3 as const, bitDepth: 8 as const, data: new Uint8Array(square.data) };
    const [a, b] = await cap.caption([wideRaw, squareRaw]);
    expect(a).toBe(b);
  });

  it('max_new_tokens truncates the greedy caption to a prefix of the reference', async () => {
    const g = golden.images[1]!;
    const [short] = await cap.caption([join(DIR, g.file)], { maxNewTokens: 2 });
    // ids 1..2 of the reference are both "Ġsmall" tokens in this fixture
    expect(g.token_ids.length).toBeGreaterThan(3);
    expect(g.text.startsWith(short!)).toBe(true);
    expect(short!.split(' ').length).toBe(2);
  });

  it('is reachable through createCaptioner and refuses use after dispose', async () => {
    const c = await createCaptioner(`transformers:${DIR}`, { maxNewTokens: golden.max_new_tokens });
    expect(await c.caption([join(DIR, golden.images[0]!.file)])).toEqual([golden.images[0]!.text]);
    await c.dispose();
    await expect(c.caption([join(DIR, golden.images[0]!.file)])).rejects.toThrow(/after dispose/);
  });
});
