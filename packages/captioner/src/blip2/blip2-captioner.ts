// BLIP-2 captioning on ONNX Runtime: the folder's safetensors compiled into two graphs with @diff2in1/graph
// (image → query embeddings; OPT decoder with a key/value cache), run through @diff2in1/runtime, with
// transformers' preprocessing (BlipImageProcessor), tokenizer and greedy / beam-search decoding. Prompt-free by
// default, as the paper captions its images: the language model starts from [query embeddings] + </s> and stops at
// text_config.eos_token_id ("\n" for blip2-opt).
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';
import { createSession } from '@diff2in1/runtime';
import type { DeviceRequest, Session } from '@diff2in1/runtime';
import type { CaptionOptions, Captioner, ImageInput } from '../captioner.js';
import { checkIds } from '../captioner.js';
import { checkBlip2Weights, openBlip2Folder } from './blip2-folder.js';
import type { Blip2Folder } from './blip2-folder.js';
import { beamSearchGenerate, causalBias, emptyPast, greedyGenerate } from './blip2-decoding.js';
import type { DecodeStep } from './blip2-decoding.js';
import { blipPreprocess } from './image-processing-blip.js';
import { compileBlip2, decoderCacheNames } from './modeling-blip-2-generation.js';
import { loadBlip2Tokenizer } from './tokenizer.js';
import type { Blip2Tokenizer } from './tokenizer.js';

export interface Blip2CaptionerOptions {
  /** ORT device (default 'auto': CUDA when usable, else CPU). */
  device?: DeviceRequest;
  /** 1 = greedy (default); more = beam search. */
  numBeams?: number;
  lengthPenalty?: number;
  /** Default max_new_tokens (default 30). */
  maxNewTokens?: number;
  /** Text after </s> that the caption continues (default '' — prompt-free). */
  prompt?: string;
  /** Images per image-graph run and per decoder batch (default 8). */
  batchSize?: number;
  /** Write the compiled graphs here with external weight files (needed for the real 2.7B checkpoint). */
  compiledDir?: string;
}

export interface Blip2Captioner extends Captioner {
  readonly folder: Blip2Folder;
  /** Generated token ids per image (eos included when reached), before decoding. */
  generate(images: readonly ImageInput[], opts?: CaptionOptions): Promise<number[][]>;
}

function lastLogits(logits: Tensor): Float32Array[] {
  const [b, t, v] = logits.shape as [number, number, number];
  const data = logits.data as Float32Array;
  return Array.from({ length: b }, (_, i) => data.slice((i * t + t - 1) * v, (i * t + t) * v));
}

/** Rows `rows` of a [B, ...] tensor, in that order (beam reordering of the cache). */
function pickRows(x: Tensor, rows: readonly number[]): Tensor {
  const per = x.size / (x.shape[0] as number);
  const src = x.data as Float32Array;
  const out = new Float32Array(per * rows.length);
  rows.forEach((r, i) => out.set(src.subarray(r * per, (r + 1) * per), i * per));
  return new Tensor('float32', [rows.length, ...x.shape.slice(1)], out);
}

/** Opens, checks and compiles a local BLIP-2 folder (e.g. Salesforce/blip2-opt-2.7b) into a captioner. */
export async function blip2Captioner(dir: string, opts: Blip2CaptionerOptions = {}): Promise<Blip2Captioner> {
  const folder = openBlip2Folder(dir);
  const config = folder.config;
  const weights = folder.openWeights();
  let compiled;
  try {
    checkBlip2Weights(weights, config, dir);
    compiled = compileBlip2(config, weights, opts.compiledDir === undefined ? {} : { outDir: opts.compiledDir });
  } finally {
    weights.close();
  }
  const device = opts.device ?? 'auto';
  const image: Session = await createSession(compiled.image, { device, name: 'blip2 image graph' });
  const decoder: Session = await createSession(compiled.decoder, { device, name: 'blip2 decoder graph' });
  const tokenizer: Blip2Tokenizer = await loadBlip2Tokenizer(folder.dir);
  const t = config.text_config;
  const names = decoderCacheNames(config);
  const promptIds = opts.prompt ? tokenizer.encode(opts.prompt) : [t.bos_token_id];
  if (promptIds[0] !== t.bos_token_id) promptIds.unshift(t.bos_token_id);
  const numBeams = opts.numBeams ?? 1;
  const batchSize = opts.batchSize ?? 8;
  const id = `blip2:${folder.hubId}${numBeams > 1 ? `:beams=${numBeams}` : ''}${opts.prompt ? `:prompt=${opts.prompt}` : ''}`;
  let disposed = false;

  async function generateBatch(images: readonly ImageInput[], maxNewTokens: number): Promise<number[][]> {
    const pv = await blipPreprocess(images, folder.imageProcessor);
    const { language_model_inputs: prefix } = await image.run({ pixel_values: pv }, ['language_model_inputs']);
    const n = images.length;
    const q = config.num_query_tokens;
    const seq = q + promptIds.length;
    const ids = new Tensor('int64', [n, promptIds.length], BigInt64Array.from({ length: n * promptIds.length }, (_, i) => BigInt(promptIds[i % promptIds.length]!)));
    const pos = new Tensor('int64', [n, seq], BigInt64Array.from({ length: n * seq }, (_, i) => BigInt(i % seq)));
    let cache = await decoder.run({ prefix_embeds: prefix!, input_ids: ids, position_ids: pos, attention_bias: causalBias(n, seq, 0), ...emptyPast(config, n) });
    let past = seq;
    const emptyPrefix = (rows: number): Tensor => new Tensor('float32', [rows, 0, t.hidden_size]);
    const step: DecodeStep = async (tokens, rows) => {
      const r = tokens.length;
      const feeds: Record<string, Tensor> = {
        prefix_embeds: emptyPrefix(r),
        input_ids: new Tensor('int64', [r, 1], BigInt64Array.from(tokens.map(BigInt))),
        position_ids: new Tensor('int64', [r, 1], new BigInt64Array(r).fill(BigInt(past))),
        attention_bias: causalBias(r, 1, past),
      };
      names.past.forEach((name, i) => { feeds[name] = pickRows(cache[names.present[i]!]!, rows); });
      cache = await decoder.run(feeds);
      past += 1;
      return lastLogits(cache.logits!);
    };
    const g = { maxNewTokens, eosTokenId: t.eos_token_id, padTokenId: t.pad_token_id, numBeams, lengthPenalty: opts.lengthPenalty ?? 1 };
    const first = lastLogits(cache.logits!);
    return numBeams > 1 ? beamSearchGenerate(first, step, g) : greedyGenerate(first, step, g);
  }

  const captioner: Blip2Captioner = {
    id,
    folder,
    async generate(images: readonly ImageInput[], copts?: CaptionOptions): Promise<number[][]> {
      if (disposed) throw new Diff2in1Error('captioner', `${id}: used after dispose()`);
      checkIds(images, copts, id);
      const max = copts?.maxNewTokens ?? opts.maxNewTokens ?? 30;
      const out: number[][] = [];
      for (let i = 0; i < images.length; i += batchSize) out.push(...(await generateBatch(images.slice(i, i + batchSize), max)));
      return out;
    },
    async caption(images: readonly ImageInput[], copts?: CaptionOptions): Promise<string[]> {
      return (await captioner.generate(images, copts)).map((ids) => tokenizer.decode(ids));
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await image.release();
      await decoder.release();
    },
  };
  return captioner;
}
