// BLIP-2 captioning end to end on the tiny fixture: compiled graphs + ORT + KV cache + transformers.js tokenizer,
// against make_tiny_blip2.py's greedy decoding (full recompute each step) and its transformers-style beam search.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaptioner } from '../registry.js';
import type { Blip2Captioner } from './blip2-captioner.js';
import { blip2Captioner } from './blip2-captioner.js';
import { beamSearchGenerate, causalBias, greedyGenerate } from './blip2-decoding.js';

const DIR = fileURLToPath(new URL('../fixtures/tiny-blip2', import.meta.url));
const IMAGE = join(DIR, 'image.png');
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as {
  caption_ids: number[]; caption: string; max_new_tokens: number; eos_token_id: number;
  beam_search: { num_beams: number; max_new_tokens: number; length_penalty: number; ids: number[] }[];
};

describe('blip2Captioner on the tiny fixture', () => {
  let greedy: Blip2Captioner;
  beforeAll(async () => {
    greedy = await blip2Captioner(DIR, { device: 'cpu', maxNewTokens: golden.max_new_tokens, batchSize: 2 });
  });
  afterAll(async () => {
    await greedy.dispose();
  });

  it('prompt-free greedy caption equals the reference ids and text (batch of 3 over two image-graph runs)', async () => {
    const ids = await greedy.generate([IMAGE, IMAGE, IMAGE]);
    for (const row of ids) expect(row).toEqual(golden.caption_ids.slice(1)); // reference starts with </s>
    expect(await greedy.caption([IMAGE])).toEqual([golden.caption]);
    expect(greedy.id).toBe('blip2:Salesforce/blip2-opt-2.7b');
  });

  it('maxNewTokens truncates the greedy sequence', async () => {
    expect(await greedy.generate([IMAGE], { maxNewTokens: 2 })).toEqual([golden.caption_ids.slice(1, 3)]);
  });

  for (const b of golden.beam_search) {
    it(`beam search (num_beams ${b.num_beams}, max_new_tokens ${b.max_new_tokens}) equals the transformers-style reference`, async () => {
      const cap = await createCaptioner(`blip2:${DIR}`, { device: 'cpu', numBeams: b.num_beams, lengthPenalty: b.length_penalty, maxNewTokens: b.max_new_tokens });
      const ids = await (cap as Blip2Captioner).generate([IMAGE, IMAGE]);
      expect(ids).toEqual([b.ids, b.ids]);
      expect(cap.id).toBe(`blip2:Salesforce/blip2-opt-2.7b:beams=${b.num_beams}`);
      await cap.dispose();
    });
  }
});

describe('decoding helpers', () => {
  it('causalBias: query i at absolute position past+i sees keys 0..past+i', () => {
    const b = causalBias(2, 2, 3);
    expect(b.shape).toEqual([2, 1, 2, 5]);
    const row = (i: number): number[] => Array.from(b.data.subarray(i * 5, i * 5 + 5), (v) => (v === 0 ? 0 : 1));
    expect([row(0), row(1), row(2)]).toEqual([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1]]);
  });

  it('beam search with one beam is greedy decoding (a toy model whose logits depend on the last token)', async () => {
    const v = 5;
    const eos = 4;
    const table = [[0.1, 2, 0.3, 1, -1], [1, 0.2, 3, 0, 0.5], [0, 1, 0.1, 2.5, 1], [2, 0, 1, 0.3, 2.2], [0, 0, 0, 0, 0]];
    const logitsOf = (tok: number): Float32Array => Float32Array.from(table[tok]!);
    const step = async (tokens: readonly number[]): Promise<Float32Array[]> => tokens.map(logitsOf);
    const o = { maxNewTokens: 6, eosTokenId: eos, padTokenId: 0 };
    const g = await greedyGenerate([logitsOf(0), logitsOf(2)], step, o);
    // hand-traced: 0→1→2→3→4(eos);  2→3→4(eos)
    expect(g).toEqual([[1, 2, 3, 4], [3, 4]]);
    expect(await beamSearchGenerate([logitsOf(0), logitsOf(2)], step, { ...o, numBeams: 1 })).toEqual(g);
    await expect(beamSearchGenerate([logitsOf(0)], step, { ...o, numBeams: 0 })).rejects.toThrow(/numBeams must be a positive integer/);
    expect(v).toBe(table.length);
  });
});
