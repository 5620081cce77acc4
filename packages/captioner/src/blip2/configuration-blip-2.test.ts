import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BLIP2_OPT_2_7B, BLIP2_OPT_2_7B_ORIGINAL, parseBlip2Config } from './configuration-blip-2.js';
import { countParameters, expectedBlip2StateDict } from './state-dict.js';

describe('BLIP2_OPT_2_7B', () => {
  it('has the published architecture of Salesforce/blip2-opt-2.7b', () => {
    const c = BLIP2_OPT_2_7B;
    expect([c.vision_config.hidden_size, c.vision_config.num_hidden_layers, c.vision_config.num_attention_heads]).toEqual([1408, 39, 16]);
    expect([c.vision_config.patch_size, c.vision_config.image_size, c.vision_config.intermediate_size, c.vision_config.layer_norm_eps]).toEqual([14, 224, 6144, 1e-6]);
    expect(c.vision_config.qkv_bias).toBe(true);
    const q = c.qformer_config;
    expect([q.hidden_size, q.num_hidden_layers, q.num_attention_heads, q.intermediate_size, q.cross_attention_frequency, q.encoder_hidden_size]).toEqual([768, 12, 12, 3072, 2, 1408]);
    expect(q.layer_norm_eps).toBe(1e-12);
    expect(c.num_query_tokens).toBe(32);
    const t = c.text_config;
    expect([t.hidden_size, t.num_hidden_layers, t.num_attention_heads, t.ffn_dim, t.word_embed_proj_dim, t.max_position_embeddings]).toEqual([2560, 32, 32, 10240, 2560, 2048]);
    expect([t.vocab_size, t.bos_token_id, t.pad_token_id, t.eos_token_id]).toEqual([50304, 2, 1, 50118]);
    expect(c.image_token_index).toBe(50265);
    expect(BLIP2_OPT_2_7B_ORIGINAL.text_config.vocab_size).toBe(50272);
    expect(BLIP2_OPT_2_7B_ORIGINAL.image_token_index).toBeUndefined();
  });

  it('parameter count equals the closed form per block (3.74 B; vocabulary 50272 vs 50304)', () => {
    // vision: patch conv + cls + positions + 39 × (qkv, q/v bias, proj, 2 LN, fc1, fc2) + post LN
    const H = 1408, I = 6144, N = 257;
    const vision = H * 3 * 14 * 14 + H + H + N * H + 39 * (3 * H * H + 2 * H + H * H + H + 4 * H + I * H + I + H * I + H) + 2 * H;
    // Q-Former: query tokens + LN + 12 × (self-attn + FFN) + 6 cross-attn blocks reading 1408-wide features
    const Q = 768, QI = 3072;
    const selfAttn = 4 * (Q * Q + Q) + 2 * Q;
    const crossAttn = 2 * (Q * Q + Q) + 2 * (H * Q + Q) + 2 * Q;
    const qformer = 32 * Q + 2 * Q + 12 * (selfAttn + QI * Q + QI + Q * QI + Q + 2 * Q) + 6 * crossAttn;
    const proj = 2560 * Q + 2560;
    const D = 2560, F = 10240;
    const opt = (V: number): number => V * D + 2050 * D + 2 * D + 32 * (4 * (D * D + D) + 4 * D + F * D + F + D * F + D);
    expect(countParameters(expectedBlip2StateDict(BLIP2_OPT_2_7B))).toBe(vision + qformer + proj + opt(50304));
    expect(countParameters(expectedBlip2StateDict(BLIP2_OPT_2_7B_ORIGINAL))).toBe(vision + qformer + proj + opt(50272));
    expect(vision + qformer + proj + opt(50272)).toBe(3_744_625_024);
  });
});

describe('parseBlip2Config', () => {
  it('fills transformers defaults and ties encoder_hidden_size to the vision width', () => {
    const c = parseBlip2Config({ model_type: 'blip-2', vision_config: { hidden_size: 64, num_attention_heads: 4 }, qformer_config: { encoder_hidden_size: 1 }, text_config: {} });
    expect(c.qformer_config.encoder_hidden_size).toBe(64);
    expect(c.text_config.model_type).toBe('opt');
    expect(c.text_config.word_embed_proj_dim).toBe(768);
    expect(c.num_query_tokens).toBe(32);
  });

  it('reads the tiny fixture config.json', () => {
    const path = fileURLToPath(new URL('../fixtures/tiny-blip2/config.json', import.meta.url));
    const c = parseBlip2Config(JSON.parse(readFileSync(path, 'utf8')), path);
    expect([c.vision_config.hidden_size, c.qformer_config.hidden_size, c.text_config.hidden_size, c.num_query_tokens]).toEqual([32, 24, 32, 4]);
  });

  it('rejects other models and bad values, naming the field', () => {
    expect(() => parseBlip2Config({ model_type: 'blip' })).toThrow(/model_type is "blip"; this reader handles 'blip-2'/);
    expect(() => parseBlip2Config({ model_type: 'blip-2', text_config: { model_type: 't5' } })).toThrow(/text_config.model_type is "t5"; supported: 'opt'/);
    expect(() => parseBlip2Config({ model_type: 'blip-2', vision_config: { hidden_size: '1408' } })).toThrow(/vision_config.hidden_size must be a number/);
    expect(() => parseBlip2Config({ model_type: 'blip-2', vision_config: { hidden_size: 100 } })).toThrow(/not divisible by num_attention_heads 16/);
    expect(() => parseBlip2Config({ model_type: 'blip-2', text_config: { activation_function: 'gelu' } }, 'x/config.json')).toThrow(/x\/config.json: .*activation_function 'gelu' is not supported/);
  });
});
