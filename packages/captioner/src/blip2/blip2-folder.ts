// A local transformers folder of a BLIP-2 checkpoint (as `save_pretrained` / the Hub lay it out):
//   config.json, model.safetensors.index.json + model-0000k-of-0000n.safetensors (or one model.safetensors),
//   preprocessor_config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json (optional).
// Missing files are reported with the Hub id and a download command; pickle weights (pytorch_model*.bin) are
// refused — only safetensors are read.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Diff2in1Error, openCheckpoint } from '@diff2in1/tensor';
import type { TensorSource } from '@diff2in1/tensor';
import type { Blip2Config } from './configuration-blip-2.js';
import { parseBlip2Config } from './configuration-blip-2.js';
import type { BlipImageProcessorConfig } from './image-processing-blip.js';
import { readBlipImageProcessorConfig } from './image-processing-blip.js';
import type { ExpectedParam } from './state-dict.js';
import { expectedBlip2StateDict } from './state-dict.js';

/** The default BLIP-2 checkpoint (the paper names BLIP-2, appendix A, without a size; 2.7B is the smallest OPT one). */
export const BLIP2_DEFAULT_HUB_ID = 'Salesforce/blip2-opt-2.7b';

/** The shell command that fetches what this package reads from a BLIP-2 Hub repo. */
export function blip2DownloadCommand(hubId: string, dir: string): string {
  return `huggingface-cli download ${hubId} --include "*.json" "*.safetensors" --local-dir ${dir}`;
}

export interface Blip2Folder {
  dir: string;
  config: Blip2Config;
  /** The Hub id from config.json's _name_or_path when present, else Salesforce/blip2-opt-2.7b. */
  hubId: string;
  imageProcessor: BlipImageProcessorConfig;
  /** tokenizer.json / tokenizer_config.json / special_tokens_map.json paths (the last may be absent). */
  tokenizerFiles: { tokenizer: string; tokenizerConfig: string; specialTokensMap?: string };
  /** Opens the safetensors weights (reads every shard header; tensors are read lazily). */
  openWeights(): TensorSource;
}

function missing(dir: string, hubId: string, file: string, what: string): Diff2in1Error {
  return new Diff2in1Error('blip2',
    `${file} is missing (${what}); this folder should be a local copy of the Hub repo ${hubId}. Fetch it with:\n  ${blip2DownloadCommand(hubId, dir)}`,
    { file: join(dir, file) });
}

/** Checks the folder and reads its configs. Weights are opened later, by openWeights(). */
export function openBlip2Folder(dirIn: string): Blip2Folder {
  const dir = resolve(dirIn);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new Diff2in1Error('blip2', `BLIP-2 folder not found. Fetch one with:\n  ${blip2DownloadCommand(BLIP2_DEFAULT_HUB_ID, dir)}`, { file: dir });
  }
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw missing(dir, BLIP2_DEFAULT_HUB_ID, 'config.json', 'the model configuration');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    throw new Diff2in1Error('blip2', `config.json is not valid JSON: ${(e as Error).message}`, { file: configPath, cause: e });
  }
  const named = (json as { _name_or_path?: unknown })._name_or_path;
  const hubId = typeof named === 'string' && /^[\w.-]+\/[\w.-]+$/.test(named) ? named : BLIP2_DEFAULT_HUB_ID;
  const config = parseBlip2Config(json, configPath);

  const need = (file: string, what: string): string => {
    const p = join(dir, file);
    if (!existsSync(p)) throw missing(dir, hubId, file, what);
    return p;
  };
  const hasSafetensors = existsSync(join(dir, 'model.safetensors.index.json')) || existsSync(join(dir, 'model.safetensors'));
  if (!hasSafetensors) {
    const pickles = ['pytorch_model.bin.index.json', 'pytorch_model.bin'].filter((f) => existsSync(join(dir, f)));
    const note = pickles.length > 0 ? `only pickle weights (${pickles.join(', ')}) are here, and pickle is never loaded` : 'no weights';
    throw missing(dir, hubId, 'model.safetensors.index.json', `${note}; the safetensors shards are needed`);
  }
  const imageProcessor = readBlipImageProcessorConfig(need('preprocessor_config.json', 'the image preprocessing settings'));
  const tokenizer = need('tokenizer.json', 'the OPT tokenizer');
  const tokenizerConfig = need('tokenizer_config.json', 'the tokenizer settings');
  const stm = join(dir, 'special_tokens_map.json');
  const tokenizerFiles = existsSync(stm) ? { tokenizer, tokenizerConfig, specialTokensMap: stm } : { tokenizer, tokenizerConfig };
  return {
    dir, config, hubId, imageProcessor, tokenizerFiles,
    openWeights(): TensorSource {
      try {
        return openCheckpoint(dir);
      } catch (e) {
        if (e instanceof Diff2in1Error && e.code === 'safetensors') {
          throw new Diff2in1Error('blip2', `${e.message}\nRe-fetch the weights with:\n  ${blip2DownloadCommand(hubId, dir)}`, { file: e.file ?? dir, cause: e });
        }
        throw e;
      }
    },
  };
}

export interface WeightsReport {
  /** Expected names absent from the checkpoint (tied parameters that are absent are not listed). */
  missing: string[];
  /** Names present but with another shape: "name: file [a, b] vs expected [c, d]". */
  wrongShape: string[];
  /** Checkpoint names the model does not use (transformers ignores them with a warning). */
  unexpected: string[];
  /** Tied parameters the checkpoint omits (read from the parameter they are tied to). */
  tiedOmitted: string[];
}

/** Compares a checkpoint's names and shapes with expectedBlip2StateDict(config). */
export function compareBlip2Weights(source: TensorSource, config: Blip2Config): WeightsReport {
  const expected: ExpectedParam[] = expectedBlip2StateDict(config);
  const report: WeightsReport = { missing: [], wrongShape: [], unexpected: [], tiedOmitted: [] };
  const known = new Set<string>();
  for (const p of expected) {
    known.add(p.name);
    if (!source.has(p.name)) {
      if (p.tiedTo !== undefined && source.has(p.tiedTo)) report.tiedOmitted.push(p.name);
      else report.missing.push(p.name);
      continue;
    }
    const shape = source.info(p.name).shape;
    if (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
      report.wrongShape.push(`${p.name}: file [${shape.join(', ')}] vs expected [${p.shape.join(', ')}]`);
    }
  }
  for (const n of source.names()) if (!known.has(n)) report.unexpected.push(n);
  return report;
}

/** compareBlip2Weights, throwing a Diff2in1Error listing problems when names are missing or shapes differ. */
export function checkBlip2Weights(source: TensorSource, config: Blip2Config, file?: string): WeightsReport {
  const r = compareBlip2Weights(source, config);
  if (r.missing.length || r.wrongShape.length) {
    const parts: string[] = [];
    if (r.missing.length) parts.push(`${r.missing.length} missing (e.g. ${r.missing.slice(0, 3).join(', ')})`);
    if (r.wrongShape.length) parts.push(`${r.wrongShape.length} with the wrong shape (e.g. ${r.wrongShape.slice(0, 2).join('; ')})`);
    throw new Diff2in1Error('blip2', `the weights do not match config.json: ${parts.join('; ')}`, file === undefined ? {} : { file });
  }
  return r;
}
