// Reading a diffusers Stable Diffusion folder: its configs (parsed and cross-checked), its tokenizer, and each
// component's safetensors weights (single file, `.fp16` and other variants, or a sharded
// `*.safetensors.index.json`), checked name by name and shape by shape against what the config implies.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TensorSource } from '@diff2in1/tensor';
import { Diff2in1Error, assertNotPickle, openCheckpoint } from '@diff2in1/tensor';
import { parseJsonText } from './config.js';
import type { SdConfigFiles, SdConfigs } from './configs/sd-configs.js';
import { SD_CONFIG_PATHS, parseSdConfigs } from './configs/sd-configs.js';
import { SD15_HF_ID } from './configs/sd15.js';
import { canonicalNames } from './name-map.js';
import type { ExpectedStateDict, SdComponent } from './state-dict.js';
import { assertStateDictMatches, expectedStateDictShapes } from './state-dict.js';
import type { ClipTokenizer } from './tokenizer.js';
import { loadClipTokenizer } from './tokenizer.js';

/** Weight file stem of each component, as diffusers / transformers save_pretrained name them. */
export const WEIGHT_STEMS: Readonly<Record<SdComponent, string>> = {
  unet: 'unet/diffusion_pytorch_model',
  vae: 'vae/diffusion_pytorch_model',
  text_encoder: 'text_encoder/model',
};

/** The files this project reads from an SD folder (the layout named in every missing-file error). */
export const SD_FOLDER_LAYOUT = [
  'model_index.json',
  'unet/config.json', 'unet/diffusion_pytorch_model.safetensors',
  'vae/config.json', 'vae/diffusion_pytorch_model.safetensors',
  'text_encoder/config.json', 'text_encoder/model.safetensors',
  'tokenizer/vocab.json', 'tokenizer/merges.txt', 'tokenizer/tokenizer_config.json', 'tokenizer/special_tokens_map.json',
  'scheduler/scheduler_config.json',
] as const;

/** A shell command that downloads exactly those files of SD v1-5 into `dir`. */
export function sd15DownloadCommand(dir: string, variant?: string): string {
  const v = variant ? `.${variant}` : '';
  const files = SD_FOLDER_LAYOUT.map((f) => f.replace(/\.safetensors$/, `${v}.safetensors`));
  return `huggingface-cli download ${SD15_HF_ID} ${files.map((f) => `"${f}"`).join(' ')} --local-dir "${dir}"`;
}

function missing(dir: string, rel: string, what: string, variant?: string): Diff2in1Error {
  return new Diff2in1Error('sd-folder', [
    `missing ${what}.`,
    `A diffusers Stable Diffusion folder holds: ${SD_FOLDER_LAYOUT.join(', ')}` +
      ' (weights may also be a `.fp16.safetensors` variant or a sharded `.safetensors.index.json`).',
    `To get Stable Diffusion v1-5 (Hugging Face id ${SD15_HF_ID}; the old runwayml/stable-diffusion-v1-5 id is gone):`,
    `  ${sd15DownloadCommand(dir, variant)}`,
  ].join('\n'), { file: join(dir, rel) });
}

export interface OpenSdFolderOptions {
  /** Read `*.{variant}.safetensors` weights (e.g. 'fp16'), as diffusers' `variant=` does. */
  variant?: string;
}

/** A component's weights: the opened source and, for each module parameter name, its name in the file. */
export interface ComponentWeights {
  component: SdComponent;
  /** The weight file (or index) opened. */
  file: string;
  source: TensorSource;
  /** module parameter name → checkpoint tensor name (they differ only for legacy VAE attention names). */
  names: Map<string, string>;
  expected: ExpectedStateDict;
}

/** An opened diffusers SD folder. */
export interface SdFolder {
  dir: string;
  variant: string | undefined;
  /** The raw JSON of each config file. */
  files: SdConfigFiles;
  configs: SdConfigs;
  /** The weight file that `weights(component)` will open. */
  weightFile(component: SdComponent): string;
  /** Opens a component's weights and checks every name and shape against its config. */
  weights(component: SdComponent): ComponentWeights;
  /** The CLIP tokenizer from tokenizer/. */
  tokenizer(): ClipTokenizer;
}

function readJson(dir: string, rel: string, what: string, variant: string | undefined, optional = false): SdConfigFiles['unet'] {
  const file = join(dir, rel);
  if (!existsSync(file)) {
    if (optional) return {};
    throw missing(dir, rel, what, variant);
  }
  return parseJsonText(readFileSync(file, 'utf8'), file);
}

/** Finds the weight file of a component: `<stem>[.variant].safetensors[.index.json]`; pickle files are refused. */
function findWeightFile(dir: string, component: SdComponent, variant: string | undefined): string {
  const stem = WEIGHT_STEMS[component];
  const v = variant ? `.${variant}` : '';
  for (const rel of [`${stem}${v}.safetensors.index.json`, `${stem}${v}.safetensors`]) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
  }
  // A folder saved with PyTorch pickles only: say why we will not read it (and how to convert).
  const pickleStem = component === 'text_encoder' ? 'text_encoder/pytorch_model' : stem;
  for (const rel of [`${pickleStem}${v}.bin`, `${pickleStem}${v}.bin.index.json`, `${pickleStem}${v}.ckpt`]) {
    if (existsSync(join(dir, rel))) assertNotPickle(join(dir, rel.replace(/\.index\.json$/, '')));
  }
  throw missing(dir, `${stem}${v}.safetensors`, `the ${component} weights (${stem}${v}.safetensors or ${stem}${v}.safetensors.index.json)`, variant);
}

/**
 * Opens a diffusers Stable Diffusion folder: reads and validates model_index.json and every component config
 * (the cross-file checks included), without reading any weights yet. A missing file throws a Diff2in1Error naming
 * it, the expected layout and how to download SD v1-5; a pickle checkpoint is refused with the conversion recipe.
 */
export function openSdFolder(dir: string, options: OpenSdFolderOptions = {}): SdFolder {
  const root = resolve(dir);
  const variant = options.variant;
  if (!existsSync(root) || !statSync(root).isDirectory()) throw missing(root, '', 'the folder itself', variant);
  const files: SdConfigFiles = {
    model_index: readJson(root, SD_CONFIG_PATHS.model_index, 'model_index.json (the pipeline index)', variant),
    unet: readJson(root, SD_CONFIG_PATHS.unet, 'the UNet config', variant),
    vae: readJson(root, SD_CONFIG_PATHS.vae, 'the VAE config', variant),
    text_encoder: readJson(root, SD_CONFIG_PATHS.text_encoder, 'the text encoder config', variant),
    scheduler: readJson(root, SD_CONFIG_PATHS.scheduler, 'the scheduler config', variant),
    tokenizer_config: readJson(root, SD_CONFIG_PATHS.tokenizer_config, 'the tokenizer config', variant, true),
    special_tokens_map: readJson(root, SD_CONFIG_PATHS.special_tokens_map, 'the special tokens map', variant, true),
  };
  for (const rel of ['tokenizer/vocab.json', 'tokenizer/merges.txt']) {
    if (!existsSync(join(root, rel))) throw missing(root, rel, `the CLIP tokenizer's ${rel.slice(10)}`, variant);
  }
  const configs = parseSdConfigs(files, root);
  let tok: ClipTokenizer | undefined;
  const weightFile = (component: SdComponent): string => findWeightFile(root, component, variant);
  return {
    dir: root,
    variant,
    files,
    configs,
    weightFile,
    weights(component: SdComponent): ComponentWeights {
      const file = weightFile(component);
      const source = openCheckpoint(file);
      try {
        const names = canonicalNames(component, source.names(), file);
        const shapes = new Map<string, readonly number[]>();
        for (const [canon, stored] of names) shapes.set(canon, source.info(stored).shape);
        const expected = component === 'unet' ? expectedStateDictShapes('unet', configs.unet)
          : component === 'vae' ? expectedStateDictShapes('vae', configs.vae)
          : expectedStateDictShapes('text_encoder', configs.text_encoder);
        const configRel = component === 'text_encoder' ? SD_CONFIG_PATHS.text_encoder : SD_CONFIG_PATHS[component];
        assertStateDictMatches(expected, shapes, file, join(root, configRel));
        return { component, file, source, names, expected };
      } catch (e) {
        source.close();
        throw e;
      }
    },
    tokenizer(): ClipTokenizer {
      tok ??= loadClipTokenizer(join(root, 'tokenizer'));
      return tok;
    },
  };
}
