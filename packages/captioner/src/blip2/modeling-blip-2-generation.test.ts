// The compiled BLIP-2 graphs (built with @diff2in1/graph from the tiny fixture's safetensors) against the plain-torch
// reference outputs of make_tiny_blip2.py: vision last_hidden_state, Q-Former output, language projection, and the
// OPT logits for [query embeds] + embed("</s>a room with"), with and without the key/value cache.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '@diff2in1/runtime';
import type { Session } from '@diff2in1/runtime';
import { Tensor, readSafetensors } from '@diff2in1/tensor';
import { openBlip2Folder } from './blip2-folder.js';
import { causalBias, emptyPast } from './blip2-decoding.js';
import { compileBlip2, decoderCacheNames } from './modeling-blip-2-generation.js';

const DIR = fileURLToPath(new URL('../fixtures/tiny-blip2', import.meta.url));
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as { prompt_ids: number[] };
const ref = readSafetensors(join(DIR, 'reference.safetensors'));

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs((a.data[i] as number) - (b.data[i] as number)));
  return m;
}

function sliceSeq(t: Tensor, start: number, end: number): Tensor {
  const [b, , v] = t.shape as [number, number, number];
  const out = new Float32Array(b * (end - start) * v);
  for (let i = 0; i < b; i++) out.set((t.data as Float32Array).subarray((i * t.shape[1]! + start) * v, (i * t.shape[1]! + end) * v), i * (end - start) * v);
  return new Tensor('float32', [b, end - start, v], out);
}

const ids = (xs: number[]): Tensor => new Tensor('int64', [1, xs.length], BigInt64Array.from(xs.map(BigInt)));
const positions = (from: number, n: number): Tensor => new Tensor('int64', [1, n], BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i)));

describe('compiled BLIP-2 graphs vs the torch reference (tiny fixture)', () => {
  const folder = openBlip2Folder(DIR);
  const config = folder.config;
  let image: Session;
  let decoder: Session;
  beforeAll(async () => {
    const weights = folder.openWeights();
    const compiled = compileBlip2(config, weights);
    weights.close();
    image = await createSession(compiled.image as Uint8Array, { device: 'cpu' });
    decoder = await createSession(compiled.decoder as Uint8Array, { device: 'cpu' });
  });
  afterAll(async () => {
    await image.release();
    await decoder.release();
  });

  it('image graph: vision last_hidden_state, Q-Former output and language projection within 1e-4', async () => {
    const out = await image.run({ pixel_values: ref.pixel_values! });
    expect(maxAbsDiff(out.image_embeds!, ref.vision_last_hidden_state!)).toBeLessThan(1e-4);
    expect(maxAbsDiff(out.query_output!, ref.qformer_last_hidden_state!)).toBeLessThan(1e-4);
    expect(maxAbsDiff(out.language_model_inputs!, ref.language_projection!)).toBeLessThan(1e-4);
  });

  it('decoder graph: prompt logits within 1e-4, and the cache path equals the full recompute', async () => {
    const q = config.num_query_tokens;
    const prefix = ref.language_projection!;
    const p = golden.prompt_ids;
    const total = q + p.length;
    const full = await decoder.run({
      prefix_embeds: prefix, input_ids: ids(p), position_ids: positions(0, total), attention_bias: causalBias(1, total, 0),
      ...emptyPast(config, 1),
    });
    expect(maxAbsDiff(full.logits!, ref.prompt_logits!)).toBeLessThan(1e-4);

    // the same sequence in two calls: prefix + first prompt token, then the rest through the cache
    const names = decoderCacheNames(config);
    const first = await decoder.run({
      prefix_embeds: prefix, input_ids: ids(p.slice(0, 1)), position_ids: positions(0, q + 1), attention_bias: causalBias(1, q + 1, 0),
      ...emptyPast(config, 1),
    });
    const past: Record<string, Tensor> = {};
    names.past.forEach((n, i) => { past[n] = first[names.present[i]!]!; });
    const rest = await decoder.run({
      prefix_embeds: new Tensor('float32', [1, 0, config.text_config.hidden_size]), input_ids: ids(p.slice(1)),
      position_ids: positions(q + 1, p.length - 1), attention_bias: causalBias(1, p.length - 1, q + 1), ...past,
    });
    expect(rest[names.present[0]!]!.shape[2]).toBe(total);
    expect(maxAbsDiff(rest.logits!, sliceSeq(ref.prompt_logits!, q + 1, total))).toBeLessThan(1e-4);
  });
});
