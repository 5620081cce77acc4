// The BLIP-2 (OPT) tokenizer through @huggingface/transformers, from the folder's tokenizer.json /
// tokenizer_config.json, offline. OPT's GPT2Tokenizer prepends </s> (id 2) as the BOS token; a prompt-free caption
// starts from that token alone, and decoding skips special tokens and trims, as Blip2Processor.batch_decode does.
import { resolve } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { Diff2in1Error } from '@diff2in1/tensor';

export interface Blip2Tokenizer {
  /** Token ids of `text`, with the BOS token the tokenizer adds (</s> for OPT). */
  encode(text: string): number[];
  /** Text of `ids` without special tokens, trimmed. */
  decode(ids: readonly number[]): string;
}

/** Loads the tokenizer of a local BLIP-2 folder (never downloads). */
export async function loadBlip2Tokenizer(dir: string): Promise<Blip2Tokenizer> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const abs = resolve(dir);
  let tok: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  try {
    tok = await AutoTokenizer.from_pretrained(abs, { local_files_only: true });
  } catch (e) {
    throw new Diff2in1Error('blip2', `cannot load the tokenizer (tokenizer.json + tokenizer_config.json): ${(e as Error).message}`, { file: abs, cause: e });
  }
  return {
    encode: (text: string): number[] => tok.encode(text).map(Number),
    decode: (ids: readonly number[]): string => tok.decode([...ids], { skip_special_tokens: true }).trim(),
  };
}
