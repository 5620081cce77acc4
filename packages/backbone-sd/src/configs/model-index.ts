// `model_index.json`: the pipeline class and, per component folder, the [library, class] that loads it
// (diffusers' DiffusionPipeline.save_pretrained writes it; unused optional components are [null, null]).

import type { JsonObject } from '../config.js';
import { ConfigReader, configError, requireOneOf } from '../config.js';

export interface ModelIndex {
  _class_name: string;
  _diffusers_version?: string;
  /** component folder → [library, class]; [null, null] marks an optional component that is absent. */
  components: Record<string, [string | null, string | null]>;
  /** Plain (non-component) settings such as `requires_safety_checker`. */
  settings: Record<string, boolean | number | string | null>;
}

/** The component classes this project reads, per folder. */
export const SD_COMPONENTS = {
  unet: ['diffusers', 'UNet2DConditionModel'],
  vae: ['diffusers', 'AutoencoderKL'],
  text_encoder: ['transformers', 'CLIPTextModel'],
  tokenizer: ['transformers', 'CLIPTokenizer'],
} as const;

export const SD_PIPELINE_CLASSES = ['StableDiffusionPipeline', 'StableDiffusionImg2ImgPipeline'] as const;

export function parseModelIndex(json: JsonObject, file = 'model_index.json'): ModelIndex {
  const r = new ConfigReader(json, file);
  const cls = r.optionalStr('_class_name') ?? r.fail('_class_name', 'the pipeline class name, e.g. "StableDiffusionPipeline"');
  const out: ModelIndex = { _class_name: cls, components: {}, settings: {} };
  const v = r.optionalStr('_diffusers_version');
  if (v !== undefined) out._diffusers_version = v;
  for (const [key, value] of Object.entries(json)) {
    if (key.startsWith('_')) continue;
    if (Array.isArray(value)) {
      const ok = value.length === 2 && value.every((x) => x === null || typeof x === 'string');
      if (!ok) r.fail(key, 'a [library, class] pair of strings (or [null, null])', value);
      out.components[key] = [value[0] as string | null, value[1] as string | null];
    } else if (value === null || typeof value !== 'object') {
      out.settings[key] = value;
    } else {
      r.fail(key, 'a [library, class] pair or a plain value', value);
    }
  }
  return out;
}

/**
 * Checks that a model index describes an SD pipeline whose components this project reads: the pipeline class is
 * one of SD_PIPELINE_CLASSES and unet / vae / text_encoder / tokenizer name the expected classes.
 * `scheduler` may be any diffusers scheduler (its config is read by @diff2in1/schedulers).
 */
export function validateSdModelIndex(m: ModelIndex, file = 'model_index.json'): void {
  requireOneOf(file, '_class_name', m._class_name, SD_PIPELINE_CLASSES);
  for (const [folder, [lib, cls]] of Object.entries(SD_COMPONENTS)) {
    const got = m.components[folder];
    if (got === undefined) configError(file, folder, `is missing; an SD pipeline needs ["${lib}", "${cls}"] here`);
    if (got[0] !== lib || got[1] !== cls) {
      configError(file, folder, `is ${JSON.stringify(got)}; this project reads ["${lib}", "${cls}"]`);
    }
  }
  const sched = m.components['scheduler'];
  if (sched === undefined || sched[0] !== 'diffusers' || sched[1] === null) {
    configError(file, 'scheduler', `is ${JSON.stringify(sched ?? null)}; expected ["diffusers", "<SchedulerClass>"]`);
  }
}
