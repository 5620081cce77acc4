// The settings of a diffusers `tokenizer/` folder that change token ids: `tokenizer_config.json` (transformers'
// CLIPTokenizer init kwargs) and `special_tokens_map.json` (whose entries win over the former, as when
// transformers loads the folder). Special tokens may be written as a string or as an AddedToken object.

import type { Json, JsonObject } from '../config.js';
import { ConfigReader, configError, requireOneOf } from '../config.js';

export interface CLIPTokenizerSettings {
  /** 77 for SD v1-5: prompts are padded / truncated to this many ids including BOS and EOS. */
  model_max_length: number;
  bos_token: string;
  eos_token: string;
  /** SD v1-5 pads with "<|endoftext|>" (the EOS token); SD 2.x with "!". */
  pad_token: string;
  unk_token: string;
  do_lower_case: boolean;
  tokenizer_class: string;
}

function tokenText(r: ConfigReader, key: string, v: Json | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && !Array.isArray(v) && typeof v['content'] === 'string') return v['content'];
  return r.fail(key, 'a token string or an AddedToken object with "content"', v);
}

/**
 * Merges tokenizer_config.json and special_tokens_map.json (either may be absent: pass `{}`) into the settings,
 * with CLIPTokenizer's defaults (bos "<|startoftext|>", eos / unk / pad "<|endoftext|>").
 */
export function parseCLIPTokenizerSettings(
  tokenizerConfig: JsonObject,
  specialTokensMap: JsonObject = {},
  file = 'tokenizer/tokenizer_config.json',
): CLIPTokenizerSettings {
  const r = new ConfigReader(tokenizerConfig, file);
  const s = new ConfigReader(specialTokensMap, file.replace(/tokenizer_config\.json$/, 'special_tokens_map.json'));
  const pick = (key: string, dflt: string): string =>
    tokenText(s, key, s.any(key)) ?? tokenText(r, key, r.any(key)) ?? dflt;
  const maxLen = r.num('model_max_length', 77);
  if (!Number.isSafeInteger(maxLen) || maxLen < 2 || maxLen > 1_000_000) {
    configError(file, 'model_max_length', `${maxLen} is not a usable sequence length (SD v1-5: 77)`);
  }
  const out: CLIPTokenizerSettings = {
    model_max_length: maxLen,
    bos_token: pick('bos_token', '<|startoftext|>'),
    eos_token: pick('eos_token', '<|endoftext|>'),
    pad_token: pick('pad_token', '<|endoftext|>'),
    unk_token: pick('unk_token', '<|endoftext|>'),
    do_lower_case: r.bool('do_lower_case', true),
    tokenizer_class: r.str('tokenizer_class', 'CLIPTokenizer'),
  };
  requireOneOf(file, 'tokenizer_class', out.tokenizer_class, ['CLIPTokenizer', 'CLIPTokenizerFast']);
  requireOneOf(file, 'do_lower_case', out.do_lower_case, [true], '(the CLIP BPE vocabulary is lower-case)');
  return out;
}
