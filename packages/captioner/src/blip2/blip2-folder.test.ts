// The folder reader and expectedBlip2StateDict against the tiny fixture, whose weights are the state_dict of plain
// torch modules named and shaped as transformers' Blip2ForConditionalGeneration (make_tiny_blip2.py).
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Tensor, readSafetensors, writeSafetensors } from '@diff2in1/tensor';
import { checkBlip2Weights, compareBlip2Weights, openBlip2Folder } from './blip2-folder.js';
import { parseBlip2Config } from './configuration-blip-2.js';
import { expectedBlip2StateDict } from './state-dict.js';
import { loadBlip2Tokenizer } from './tokenizer.js';

const DIR = fileURLToPath(new URL('../fixtures/tiny-blip2', import.meta.url));

function copyFixture(skip: (f: string) => boolean = () => false): string {
  const dir = mkdtempSync(join(tmpdir(), 'blip2-folder-'));
  for (const f of readdirSync(DIR)) if (!skip(f)) copyFileSync(join(DIR, f), join(dir, f));
  return dir;
}

describe('openBlip2Folder on the tiny fixture', () => {
  it('reads configs, and the sharded weights match expectedBlip2StateDict name for name and shape for shape', () => {
    const folder = openBlip2Folder(DIR);
    expect(folder.hubId).toBe('Salesforce/blip2-opt-2.7b');
    expect(folder.imageProcessor.size).toEqual({ height: 32, width: 32 });
    expect(folder.imageProcessor.resample).toBe(3);
    const weights = folder.openWeights();
    const report = checkBlip2Weights(weights, folder.config);
    expect(report).toEqual({ missing: [], wrongShape: [], unexpected: [], tiedOmitted: ['language_model.lm_head.weight'] });
    expect(weights.names().length).toBe(expectedBlip2StateDict(folder.config).length - 1);
    weights.close();
  });
});

describe('expectedBlip2StateDict', () => {
  it('covers project_in/out, post-LN OPT, no qkv bias and Q-Former text FFNs (hand-written list)', () => {
    const c = parseBlip2Config({
      model_type: 'blip-2', num_query_tokens: 2,
      vision_config: { hidden_size: 4, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, image_size: 4, patch_size: 2, qkv_bias: false },
      qformer_config: { hidden_size: 6, intermediate_size: 5, num_hidden_layers: 2, num_attention_heads: 3, cross_attention_frequency: 2, use_qformer_text_input: true },
      text_config: { hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, ffn_dim: 3, vocab_size: 11, max_position_embeddings: 7, word_embed_proj_dim: 5, do_layer_norm_before: false },
    });
    const got = expectedBlip2StateDict(c).map((p) => `${p.name} ${p.shape.join('x')}${p.tiedTo ? ' tied' : ''}`);
    const v = 'vision_model.encoder.layers.0';
    const lm = 'language_model.model.decoder';
    const q = (i: number, cross: boolean): string[] => {
      const att = (p: string, kv: number): string[] => [`${p}.attention.query.weight 6x6`, `${p}.attention.query.bias 6`, `${p}.attention.key.weight 6x${kv}`, `${p}.attention.key.bias 6`, `${p}.attention.value.weight 6x${kv}`, `${p}.attention.value.bias 6`, `${p}.output.dense.weight 6x6`, `${p}.output.dense.bias 6`, `${p}.output.LayerNorm.weight 6`, `${p}.output.LayerNorm.bias 6`];
      const l = `qformer.encoder.layer.${i}`;
      return [...att(`${l}.attention`, 6), ...(cross ? att(`${l}.crossattention`, 4) : []),
        `${l}.intermediate.dense.weight 5x6`, `${l}.intermediate.dense.bias 5`, `${l}.output.dense.weight 6x5`, `${l}.output.dense.bias 6`, `${l}.output.LayerNorm.weight 6`, `${l}.output.LayerNorm.bias 6`,
        `${l}.intermediate_query.dense.weight 5x6`, `${l}.intermediate_query.dense.bias 5`, `${l}.output_query.dense.weight 6x5`, `${l}.output_query.dense.bias 6`, `${l}.output_query.LayerNorm.weight 6`, `${l}.output_query.LayerNorm.bias 6`];
    };
    expect(got).toEqual([
      'vision_model.embeddings.class_embedding 1x1x4', 'vision_model.embeddings.patch_embedding.weight 4x3x2x2', 'vision_model.embeddings.patch_embedding.bias 4', 'vision_model.embeddings.position_embedding 1x5x4',
      `${v}.self_attn.qkv.weight 12x4`, `${v}.self_attn.projection.weight 4x4`, `${v}.self_attn.projection.bias 4`, `${v}.layer_norm1.weight 4`, `${v}.layer_norm1.bias 4`,
      `${v}.mlp.fc1.weight 8x4`, `${v}.mlp.fc1.bias 8`, `${v}.mlp.fc2.weight 4x8`, `${v}.mlp.fc2.bias 4`, `${v}.layer_norm2.weight 4`, `${v}.layer_norm2.bias 4`,
      'vision_model.post_layernorm.weight 4', 'vision_model.post_layernorm.bias 4',
      'query_tokens 1x2x6', 'qformer.layernorm.weight 6', 'qformer.layernorm.bias 6', ...q(0, true), ...q(1, false),
      'language_projection.weight 8x6', 'language_projection.bias 8',
      `${lm}.embed_tokens.weight 11x5`, `${lm}.embed_positions.weight 9x8`, `${lm}.project_out.weight 5x8`, `${lm}.project_in.weight 8x5`,
      ...['k_proj', 'v_proj', 'q_proj', 'out_proj'].flatMap((p) => [`${lm}.layers.0.self_attn.${p}.weight 8x8`, `${lm}.layers.0.self_attn.${p}.bias 8`]),
      `${lm}.layers.0.self_attn_layer_norm.weight 8`, `${lm}.layers.0.self_attn_layer_norm.bias 8`,
      `${lm}.layers.0.fc1.weight 3x8`, `${lm}.layers.0.fc1.bias 3`, `${lm}.layers.0.fc2.weight 8x3`, `${lm}.layers.0.fc2.bias 8`,
      `${lm}.layers.0.final_layer_norm.weight 8`, `${lm}.layers.0.final_layer_norm.bias 8`,
      'language_model.lm_head.weight 11x5 tied',
    ]);
  });
});

describe('folder errors', () => {
  it('names the missing file with the Hub id and a download command', () => {
    const noTok = copyFixture((f) => f === 'tokenizer.json');
    expect(() => openBlip2Folder(noTok)).toThrow(/tokenizer.json: tokenizer.json is missing \(the OPT tokenizer\).*\n {2}huggingface-cli download Salesforce\/blip2-opt-2.7b --include "\*.json" "\*.safetensors" --local-dir /s);
    const noPre = copyFixture((f) => f === 'preprocessor_config.json');
    expect(() => openBlip2Folder(noPre)).toThrow(/preprocessor_config.json is missing/);
    expect(() => openBlip2Folder(join(noPre, 'nope'))).toThrow(/BLIP-2 folder not found/);
  });

  it('refuses a folder with only pickle weights', () => {
    const dir = copyFixture((f) => f.endsWith('.safetensors') || f.endsWith('.index.json'));
    writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
    expect(() => openBlip2Folder(dir)).toThrow(/only pickle weights \(pytorch_model.bin\) are here, and pickle is never loaded/);
  });

  it('reports a shard missing from disk, and weights whose shapes disagree with config.json', () => {
    const dir = copyFixture();
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    expect(() => openBlip2Folder(dir).openWeights()).toThrow(/model-00002-of-00002.safetensors.*\n.*Re-fetch the weights with/s);

    const bad = copyFixture();
    const shard = join(bad, 'model-00001-of-00002.safetensors');
    const tensors = readSafetensors(shard);
    const victim = Object.keys(tensors).find((k) => k.endsWith('fc1.weight'))!;
    tensors[victim] = new Tensor('float32', [1, 1]);
    writeSafetensors(shard, tensors);
    const folder = openBlip2Folder(bad);
    const w = folder.openWeights();
    expect(compareBlip2Weights(w, folder.config).wrongShape).toEqual([`${victim}: file [1, 1] vs expected [${expectedBlip2StateDict(folder.config).find((p) => p.name === victim)!.shape.join(', ')}]`]);
    expect(() => checkBlip2Weights(w, folder.config)).toThrow(/1 with the wrong shape/);
    w.close();
  });
});

describe('loadBlip2Tokenizer (transformers.js on the fixture tokenizer.json)', () => {
  it('encodes the prompt with the leading </s> and decodes the reference caption', async () => {
    const golden = JSON.parse((await import('node:fs')).readFileSync(join(DIR, 'golden.json'), 'utf8')) as { prompt: string; prompt_ids: number[]; caption_ids: number[]; caption: string };
    const tok = await loadBlip2Tokenizer(DIR);
    expect(tok.encode(golden.prompt)).toEqual(golden.prompt_ids);
    expect(tok.decode(golden.caption_ids)).toBe(golden.caption);
  });
});
