// Blip2ForConditionalGeneration as @diff2in1/graph modules, and the two ONNX graphs BLIP-2 captioning runs:
//   image:   pixel_values [B, 3, S, S] → image_embeds [B, N+1, Hv] (vision last_hidden_state), query_output [B, Q, Hq]
//            (Q-Former last_hidden_state), language_model_inputs [B, Q, H] (language_projection)
//   decoder: prefix_embeds [B, P0, H] ++ embed_tokens(input_ids [B, T0]) at position_ids [B, T], attention_bias
//            [B, 1, T, P+T], past_key_values.{i}.{key,value} [B, heads, P, d] → logits [B, T, vocab],
//            present.{i}.{key,value} [B, heads, P+T, d]
// The first decoder call gets the query embeddings as prefix and </s> as input_ids with an empty past; later calls
// one token each with an empty prefix. transformers' Blip2ForConditionalGeneration.generate does the same
// (inputs_embeds = cat(language_projection(query_output), embed_tokens(input_ids))).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Diff2in1Error, writeFileAtomicSync } from '@diff2in1/tensor';
import type { TensorSource } from '@diff2in1/tensor';
import { GraphBuilder, Linear, Module, attr, expand, loadStateDict, serialize, spec, zerosInit } from '@diff2in1/graph';
import type { Param, Value } from '@diff2in1/graph';
import type { Blip2Config } from './configuration-blip-2.js';
import { Blip2QFormerModel, Blip2VisionModel } from './modeling-blip-2.js';
import { OPTForCausalLM, OPT_DIMS } from './modeling-opt.js';
import type { KV } from './modeling-opt.js';

/** transformers' Blip2ForConditionalGeneration as @diff2in1/graph modules (state_dict names as upstream). */
export class Blip2ForConditionalGeneration extends Module {
  readonly vision_model: Blip2VisionModel;
  readonly query_tokens: Param;
  readonly qformer: Blip2QFormerModel;
  readonly language_projection: Linear;
  readonly language_model: OPTForCausalLM;

  constructor(readonly config: Blip2Config) {
    super();
    this.vision_model = this.addModule('vision_model', new Blip2VisionModel(config.vision_config));
    this.query_tokens = this.registerParameter('query_tokens', [1, config.num_query_tokens, config.qformer_config.hidden_size], zerosInit());
    this.qformer = this.addModule('qformer', new Blip2QFormerModel(config.qformer_config));
    this.language_projection = this.addModule('language_projection', new Linear(config.qformer_config.hidden_size, config.text_config.hidden_size));
    this.language_model = this.addModule('language_model', new OPTForCausalLM(config.text_config));
  }
}

/** Input and output names of the decoder graph. */
export function decoderCacheNames(config: Blip2Config): { past: string[]; present: string[] } {
  const past: string[] = [];
  const present: string[] = [];
  for (let i = 0; i < config.text_config.num_hidden_layers; i++) {
    for (const kv of ['key', 'value']) {
      past.push(`past_key_values.${i}.${kv}`);
      present.push(`present.${i}.${kv}`);
    }
  }
  return { past, present };
}

/** The image graph: pixel_values → vision model → Q-Former over the query tokens → projection into OPT's space. */
export function buildBlip2ImageGraph(model: Blip2ForConditionalGeneration): GraphBuilder {
  const c = model.config;
  const g = new GraphBuilder('blip2_image');
  const s = c.vision_config.image_size;
  const pv = g.input('pixel_values', 'float32', [OPT_DIMS.batch, c.vision_config.num_channels, s, s]);
  const image = model.vision_model.forward(pv);
  const queries = expand(g.param(model.query_tokens), [OPT_DIMS.batch, c.num_query_tokens, c.qformer_config.hidden_size]);
  const queryOutput = model.qformer.forward(queries, image);
  g.output('image_embeds', image);
  g.output('query_output', queryOutput);
  g.output('language_model_inputs', model.language_projection.forward(queryOutput));
  return g;
}

/** The OPT decoder graph: prefix embeds (the projected queries) + token ids, positions, attention bias and past key/values (decoderCacheNames) → logits + present key/values. */
export function buildBlip2DecoderGraph(model: Blip2ForConditionalGeneration): GraphBuilder {
  const t = model.config.text_config;
  const { batch, seq, past, total } = OPT_DIMS;
  const heads = t.num_attention_heads;
  const d = t.hidden_size / heads;
  const g = new GraphBuilder('blip2_opt_decoder');
  const prefix = g.input('prefix_embeds', 'float32', [batch, 'prefix_length', t.hidden_size]);
  const ids = g.input('input_ids', 'int64', [batch, 'token_length']);
  const positionIds = g.input('position_ids', 'int64', [batch, seq]);
  const bias = g.input('attention_bias', 'float32', [batch, 1, seq, total]);
  const names = decoderCacheNames(model.config);
  const pasts: KV[] = [];
  for (let i = 0; i < t.num_hidden_layers; i++) {
    pasts.push({
      key: g.input(names.past[2 * i]!, 'float32', [batch, heads, past, d]),
      value: g.input(names.past[2 * i + 1]!, 'float32', [batch, heads, past, d]),
    });
  }
  const decoder = model.language_model.model.decoder;
  const tokens = decoder.embed(ids);
  // prefix (length P0) ++ tokens (length T0) = the T new positions
  const embeds: Value = g.node1('Concat', [prefix, tokens], { axis: attr.int(1) }, spec('float32', [batch, seq, t.hidden_size]));
  const { hidden, presents } = decoder.forward(embeds, positionIds, bias, pasts);
  g.output('logits', model.language_model.logits(hidden));
  presents.forEach((p, i) => {
    g.output(names.present[2 * i]!, p.key);
    g.output(names.present[2 * i + 1]!, p.value);
  });
  return g;
}

export interface CompiledBlip2 {
  /** ONNX model bytes (or, with `outDir`, the .onnx path whose weights sit in a .onnx.data file beside it). */
  image: Uint8Array | string;
  decoder: Uint8Array | string;
}

export interface CompileBlip2Options {
  /**
   * Write `blip2_image.onnx` / `blip2_opt_decoder.onnx` with external weight files here (needed for the real
   * checkpoint: its decoder is ~10 GB in float32, over protobuf's 2 GB limit). Default: in-memory bytes.
   */
  outDir?: string;
}

/** Loads `weights` into the modules (names must match expectedBlip2StateDict) and serialises both graphs. */
export function compileBlip2(config: Blip2Config, weights: TensorSource, opts: CompileBlip2Options = {}): CompiledBlip2 {
  const model = new Blip2ForConditionalGeneration(config);
  const report = loadStateDict(model, weights);
  const unexpected = report.unexpected.filter((n) => n !== 'language_model.lm_head.weight'); // tied to embed_tokens
  if (report.missing.length || report.misShaped.length || unexpected.length) {
    const lines = [
      ...report.missing.map((n) => `missing ${n}`),
      ...report.misShaped.map((m) => `${m.name}: checkpoint [${m.got.join(', ')}], model [${m.expected.join(', ')}]`),
      ...unexpected.map((n) => `unexpected ${n}`),
    ];
    throw new Diff2in1Error('blip2', `the weights do not fit the BLIP-2 modules: ${lines.slice(0, 5).join('; ')}${lines.length > 5 ? `; … ${lines.length - 5} more` : ''}`);
  }
  if (opts.outDir === undefined) return { image: serialize(buildBlip2ImageGraph(model)), decoder: serialize(buildBlip2DecoderGraph(model)) };
  return { image: writeModel(buildBlip2ImageGraph(model), opts.outDir), decoder: writeModel(buildBlip2DecoderGraph(model), opts.outDir) };
}

/** `<dir>/<graph name>.onnx` with its weights in `<same>.onnx.data` (ORT finds them relative to the model path). */
function writeModel(g: GraphBuilder, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${g.name}.onnx`);
  writeFileAtomicSync(path, serialize(g, { externalData: { file: `${path}.data` } }));
  return path;
}
