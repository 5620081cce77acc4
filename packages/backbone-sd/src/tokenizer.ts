// The CLIP BPE tokenizer of SD, built with @huggingface/transformers from a diffusers `tokenizer/` folder.
// diffusers folders ship the slow tokenizer's files (vocab.json + merges.txt); transformers.js needs a fast
// `tokenizer.json`, so we assemble that object with the pipeline of openai/clip-vit-large-patch14's tokenizer.json:
//   normalizer  NFC → collapse whitespace runs to " " → lowercase      (openai: ftfy + whitespace_clean + lower)
//   pre-tokens  CLIP's regex (words, single digits, punctuation runs, 's 't 're 've 'm 'll 'd), then byte-level
//   model       BPE over byte-level symbols with "</w>" on each word's last symbol
//   post        <|startoftext|> text <|endoftext|>
// Prompts are then cut and padded to `model_max_length` (77) as SD does: an over-long prompt keeps its first
// 75 tokens between BOS and EOS (openai's clip.tokenize(truncate=True) and transformers' truncation agree), and
// short ones are padded with the pad token (SD v1-5: "<|endoftext|>"; openai's own pads with 0 instead).
// Differences from openai's simple_tokenizer, both outside what SD prompts normally hold: no ftfy repair of
// mojibake, and no html.unescape of entities such as "&amp;" (transformers' CLIPTokenizer, which SD was trained
// with, does not unescape either).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIPTokenizer } from '@huggingface/transformers';
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';
import type { CLIPTokenizerSettings } from './configs/clip-tokenizer.js';
import { parseCLIPTokenizerSettings } from './configs/clip-tokenizer.js';
import type { JsonObject } from './config.js';
import { parseJsonText } from './config.js';

/** The pre-tokenizer pattern of CLIP (openai/CLIP simple_tokenizer.py; the same in the HF tokenizer.json). */
export const CLIP_SPLIT_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** CLIP's merges.txt holds at most 49152 − 256 − 2 merges; transformers' CLIPTokenizer reads no more. */
export const CLIP_MAX_MERGES = 49152 - 256 - 2;

export interface ClipBpe {
  vocab: Record<string, number>;
  merges: [string, string][];
}

/** Parses `vocab.json` (token → id). */
export function parseVocabJson(text: string, file = 'tokenizer/vocab.json'): Record<string, number> {
  const v = parseJsonText(text, file);
  for (const [k, id] of Object.entries(v)) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw new Diff2in1Error('tokenizer', `entry ${JSON.stringify(k)} has id ${JSON.stringify(id)}; ids must be integers >= 0`, { file });
    }
  }
  return v as Record<string, number>;
}

/** Parses `merges.txt`: a "#version" header line, then one "left right" pair per line. */
export function parseMergesTxt(text: string, file = 'tokenizer/merges.txt'): [string, string][] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const body = lines[0]?.startsWith('#') ? lines.slice(1) : lines;
  const merges: [string, string][] = [];
  for (let i = 0; i < body.length && merges.length < CLIP_MAX_MERGES; i++) {
    const line = body[i] as string;
    if (line.trim() === '') continue;
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new Diff2in1Error('tokenizer', `line ${i + 2}: expected "left right", got ${JSON.stringify(line)}`, { file });
    }
    merges.push([parts[0], parts[1]]);
  }
  return merges;
}

/** Checks that every merge result and every special token is in the vocabulary (a truncated or mixed-up folder fails here). */
export function validateClipBpe(bpe: ClipBpe, settings: CLIPTokenizerSettings, dir = 'tokenizer'): void {
  for (const [i, [a, b]] of bpe.merges.entries()) {
    for (const t of [a, b, a + b]) {
      if (!Object.hasOwn(bpe.vocab, t)) {
        throw new Diff2in1Error('tokenizer', `merge ${i + 1} ("${a} ${b}") uses "${t}", which vocab.json lacks; vocab.json and merges.txt do not belong together`, { file: join(dir, 'merges.txt') });
      }
    }
  }
  for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token'] as const) {
    if (!Object.hasOwn(bpe.vocab, settings[key])) {
      throw new Diff2in1Error('tokenizer', `${key} "${settings[key]}" is not in vocab.json`, { file: join(dir, 'vocab.json') });
    }
  }
}

/** The tokenizer.json object (HF tokenizers format) equivalent to a CLIP vocab.json + merges.txt. */
export function clipTokenizerJson(bpe: ClipBpe, settings: CLIPTokenizerSettings): JsonObject {
  const id = (t: string): number => bpe.vocab[t] as number;
  const specials = [...new Set([settings.bos_token, settings.eos_token, settings.unk_token])];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content) => ({
      id: id(content), content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true,
    })),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [settings.eos_token, id(settings.eos_token)],
      cls: [settings.bos_token, id(settings.bos_token)],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: settings.unk_token,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab: bpe.vocab,
      merges: bpe.merges,
    },
  };
}

/** SD's prompt tokenizer: CLIP BPE ids with BOS/EOS, truncated and padded to `maxLength`. */
export class ClipTokenizer {
  /** The transformers.js tokenizer doing the BPE work. */
  readonly tokenizer: CLIPTokenizer;
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly vocabSize: number;

  constructor(bpe: ClipBpe, readonly settings: CLIPTokenizerSettings) {
    validateClipBpe(bpe, settings);
    this.tokenizer = new CLIPTokenizer(clipTokenizerJson(bpe, settings), {
      tokenizer_class: 'CLIPTokenizer',
      model_max_length: settings.model_max_length,
      bos_token: settings.bos_token,
      eos_token: settings.eos_token,
      unk_token: settings.unk_token,
      pad_token: settings.pad_token,
      padding_side: 'right',
      clean_up_tokenization_spaces: true,
    });
    this.maxLength = settings.model_max_length;
    this.bosId = bpe.vocab[settings.bos_token] as number;
    this.eosId = bpe.vocab[settings.eos_token] as number;
    this.padId = bpe.vocab[settings.pad_token] as number;
    this.vocabSize = Object.keys(bpe.vocab).length;
  }

  /** BOS, the prompt's tokens, EOS — not truncated. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  /** Ids of one prompt as SD feeds them to the text encoder: exactly `maxLength` long. */
  promptIds(text: string): number[] {
    let ids = this.encode(text);
    if (ids.length > this.maxLength) ids = [...ids.slice(0, this.maxLength - 1), this.eosId];
    while (ids.length < this.maxLength) ids.push(this.padId);
    return ids;
  }

  /** Ids of a batch of prompts: an int64 tensor [B, maxLength]. */
  encodePromptIds(texts: readonly string[]): Tensor<'int64'> {
    if (texts.length === 0) throw new Diff2in1Error('tokenizer', 'encodePromptIds needs at least one prompt');
    const data = new BigInt64Array(texts.length * this.maxLength);
    texts.forEach((t, b) => this.promptIds(t).forEach((id, i) => (data[b * this.maxLength + i] = BigInt(id))));
    return new Tensor('int64', [texts.length, this.maxLength], data);
  }

  /** Text of ids (special tokens dropped). */
  decode(ids: readonly number[]): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: true });
  }
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Diff2in1Error('tokenizer', `cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file, cause: e });
  }
}

/**
 * Builds the tokenizer from a diffusers `tokenizer/` folder: vocab.json and merges.txt (required),
 * tokenizer_config.json and special_tokens_map.json (optional; CLIPTokenizer's defaults otherwise).
 */
export function loadClipTokenizer(dir: string): ClipTokenizer {
  const vocab = parseVocabJson(readText(join(dir, 'vocab.json'), 'the CLIP vocabulary'), join(dir, 'vocab.json'));
  const merges = parseMergesTxt(readText(join(dir, 'merges.txt'), 'the CLIP merges'), join(dir, 'merges.txt'));
  const optionalJson = (name: string): JsonObject => {
    const f = join(dir, name);
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      return {};
    }
    return parseJsonText(text, f);
  };
  const settings = parseCLIPTokenizerSettings(optionalJson('tokenizer_config.json'), optionalJson('special_tokens_map.json'), join(dir, 'tokenizer_config.json'));
  return new ClipTokenizer({ vocab, merges }, settings);
}
