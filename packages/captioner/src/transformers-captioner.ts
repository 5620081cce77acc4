// Image captioning with @huggingface/transformers (transformers.js 4.x) from a LOCAL model folder, offline.
//
// What transformers.js 4.3 loads for `image-to-text` with a VisionEncoderDecoderModel (read from its
// src/models/session_config.js, utils/model-loader.js, utils/dtypes.js, pipelines/image-to-text.js):
//   config.json (model_type "vision-encoder-decoder"), generation_config.json (optional), preprocessor_config.json,
//   tokenizer.json + tokenizer_config.json, onnx/encoder_model{suffix}.onnx and onnx/decoder_model_merged{suffix}.onnx.
//   The suffix comes from the dtype: fp32 '', fp16 '_fp16', q8 '_quantized', int8 '_int8', uint8 '_uint8',
//   q4 '_q4', q4f16 '_q4f16', bnb4 '_bnb4'. In Node the default device is 'cpu' and its default dtype fp32.
//   Only the merged decoder is loaded (an If on `use_cache_branch`); a split decoder_model.onnx +
//   decoder_with_past_model.onnx export must be merged first (optimum's `merge_decoders`).
// The pipeline captions one image per generate() call (as transformers.js's own ImageToTextPipeline does), greedy
// unless generation_config.json says otherwise, and decodes with skip_special_tokens, trimmed.
//
// transformers.js itself imports onnxruntime-node; this package never does (only @diff2in1/runtime may).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { env, pipeline, RawImage as HfRawImage } from '@huggingface/transformers';
import { Diff2in1Error, choices } from '@diff2in1/tensor';
import type { CaptionOptions, Captioner, ImageInput } from './captioner.js';
import { checkIds, loadRgb8 } from './captioner.js';

/** transformers.js dtype names and the file-name suffix each selects (utils/dtypes.js DEFAULT_DTYPE_SUFFIX_MAPPING). */
export const TRANSFORMERS_DTYPE_SUFFIX = {
  fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', q4f16: '_q4f16', bnb4: '_bnb4',
} as const;
export type TransformersDtype = keyof typeof TRANSFORMERS_DTYPE_SUFFIX;

/** model_type values this captioner runs, with the ONNX files each needs (without dtype suffix). */
export const TRANSFORMERS_IMAGE_TO_TEXT_MODELS: Readonly<Record<string, readonly string[]>> = {
  'vision-encoder-decoder': ['onnx/encoder_model', 'onnx/decoder_model_merged'],
};

export interface TransformersCaptionerOptions {
  /** Which ONNX weights to load (default 'fp32'). */
  dtype?: TransformersDtype;
  /** transformers.js device (default 'cpu'). */
  device?: 'cpu' | 'cuda' | 'webgpu';
  /** Default max_new_tokens when caption() is not given one (default 30). */
  maxNewTokens?: number;
}

/** Paths a transformers.js image-to-text folder must hold, or a Diff2in1Error naming the missing one. */
export function checkTransformersFolder(dir: string, dtype: TransformersDtype = 'fp32'): { modelType: string; files: string[] } {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new Diff2in1Error('captioner', 'transformers captioner: model folder not found (give a local folder in the transformers.js layout: config.json, onnx/…)', { file: dir });
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new Diff2in1Error('captioner', 'transformers captioner: config.json is missing', { file: configPath });
  let modelType: unknown;
  try {
    modelType = (JSON.parse(readFileSync(configPath, 'utf8')) as { model_type?: unknown }).model_type;
  } catch (e) {
    throw new Diff2in1Error('captioner', `config.json is not valid JSON: ${(e as Error).message}`, { file: configPath, cause: e });
  }
  const onnxFiles = typeof modelType === 'string' ? TRANSFORMERS_IMAGE_TO_TEXT_MODELS[modelType] : undefined;
  if (onnxFiles === undefined) {
    const florence = modelType === 'florence2' ? ' (Florence-2 is not supported yet: its task-prompt processor path is not wired up)' : '';
    throw new Diff2in1Error('captioner', `config.json model_type is ${JSON.stringify(modelType)}${florence}; supported: ${choices(Object.keys(TRANSFORMERS_IMAGE_TO_TEXT_MODELS))}`, { file: configPath });
  }
  const suffix = TRANSFORMERS_DTYPE_SUFFIX[dtype];
  if (suffix === undefined) throw new Diff2in1Error('captioner', `dtype '${String(dtype)}' is not valid; ${choices(Object.keys(TRANSFORMERS_DTYPE_SUFFIX))}`);
  const files = ['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', ...onnxFiles.map((f) => `${f}${suffix}.onnx`)];
  for (const f of files) {
    const p = join(dir, f);
    if (existsSync(p)) continue;
    let hint = '';
    if (f.startsWith('onnx/decoder_model_merged') && existsSync(join(dir, `onnx/decoder_model${suffix}.onnx`))) {
      hint = '; this folder has a split decoder (decoder_model + decoder_with_past_model), but transformers.js 4.x loads only the merged one: merge them with optimum (optimum.onnx.merge_decoders) or export with optimum-cli (which writes the merged file)';
    } else if (f.startsWith('onnx/')) {
      hint = `; dtype '${dtype}' selects the file suffix '${suffix}' — pick the dtype whose files the folder has`;
    }
    throw new Diff2in1Error('captioner', `transformers captioner: ${f} is missing${hint}`, { file: p });
  }
  return { modelType: modelType as string, files };
}

/**
 * An integer `size` in a ViT preprocessor_config.json means a size×size square in transformers (Python:
 * ViTImageProcessor reads it with get_size_dict(default_to_square=True)); transformers.js 4.3 reads it as a
 * shortest edge and keeps the aspect ratio, so a 4:3 image reaches the fixed-size ViT encoder as e.g. 224×168 and
 * ORT refuses it. Folders exported with older transformers (nlpconnect/vit-gpt2-image-captioning, `"size": 224`)
 * have that form; we give the loaded processor the Python meaning.
 */
function squareViTSize(pipe: unknown): void {
  const ip = (pipe as { processor?: { image_processor?: { size?: unknown } } }).processor?.image_processor;
  const cls = ip?.constructor.name ?? '';
  if (ip && (cls === 'ViTImageProcessor' || cls === 'ViTFeatureExtractor') && Number.isInteger(ip.size)) {
    ip.size = { height: ip.size, width: ip.size };
  }
}

function configureOffline(dir: string): void {
  // Global transformers.js settings: never download; read local folders.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(dir);
}

/**
 * A captioner running a transformers.js image-to-text model from `dir` (absolute or relative path), offline.
 * Loading happens here; caption() reuses the pipeline.
 */
export async function transformersCaptioner(dir: string, opts: TransformersCaptionerOptions = {}): Promise<Captioner> {
  const abs = resolve(dir);
  const dtype = opts.dtype ?? 'fp32';
  checkTransformersFolder(abs, dtype);
  configureOffline(abs);
  // An absolute path is not a valid hub id, so transformers.js reads `<abs>/<file>` directly (utils/hub.js).
  const captioner = await pipeline('image-to-text', abs, { dtype, device: opts.device ?? 'cpu', local_files_only: true });
  squareViTSize(captioner);
  const defaultMax = opts.maxNewTokens ?? 30;
  const id = `transformers:${basename(abs)}${dtype === 'fp32' ? '' : `:${dtype}`}`;
  let disposed = false;
  return {
    id,
    async caption(images: readonly ImageInput[], copts?: CaptionOptions): Promise<string[]> {
      if (disposed) throw new Diff2in1Error('captioner', `${id}: caption() after dispose()`);
      checkIds(images, copts, id);
      const out: string[] = [];
      for (const image of images) {
        const raw = await loadRgb8(image);
        const hf = new HfRawImage(raw.data as Uint8Array, raw.width, raw.height, 3);
        const result = await captioner(hf, { max_new_tokens: copts?.maxNewTokens ?? defaultMax });
        const first = (Array.isArray(result) ? result[0] : result) as { generated_text?: unknown } | undefined;
        if (typeof first?.generated_text !== 'string') throw new Diff2in1Error('captioner', `${id}: the pipeline returned no generated_text`);
        out.push(first.generated_text);
      }
      return out;
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await captioner.dispose();
    },
  };
}
