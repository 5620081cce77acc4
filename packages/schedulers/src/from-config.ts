// Building a scheduler from a diffusers `scheduler_config.json`, and the named configs this project uses.
import { readFileSync } from 'node:fs';
import { Diff2in1Error, choices } from '@diff2in1/tensor';
import type { SchedulerTableOptions } from './beta-schedules.js';
import { CONFIG_FIELDS } from './config.js';
import { DDIMScheduler } from './scheduling-ddim.js';
import { DDPMScheduler } from './scheduling-ddpm.js';
import { PNDMScheduler } from './scheduling-pndm.js';
import { SCHEDULER_CLASSES, type SchedulerClassName } from './scheduling-utils.js';

export type AnyScheduler = DDIMScheduler | PNDMScheduler | DDPMScheduler;

/** A diffusers scheduler_config.json as parsed JSON. */
export type SchedulerConfigJson = Readonly<Record<string, unknown>>;

/**
 * Stable Diffusion v1-5's scheduler: runwayml/stable-diffusion-v1-5, file scheduler/scheduler_config.json
 * (written by diffusers 0.6.0; https://huggingface.co/runwayml/stable-diffusion-v1-5/blob/main/scheduler/scheduler_config.json).
 * PNDM with PLMS only, the latent-diffusion betas (scaled_linear 0.00085 → 0.012), steps_offset 1.
 */
export const sd15SchedulerConfig: SchedulerConfigJson = Object.freeze({
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
});

/**
 * The DDIM sampler of the official Diff-2-in-1 code (github.com/zsh2000/diff-2-in-1, data_creation.py with
 * ldm/models/diffusion/ddim.py, the CompVis LDM sampler) in diffusers' terms:
 * - betas: configs/stable-diffusion/v1-inference.yaml linear_start 0.00085, linear_end 0.012, 1000 steps,
 *   LDM's "linear" schedule = linspace in √β then squared = diffusers' scaled_linear;
 * - timesteps: make_ddim_timesteps('uniform') = range(0, T, T // S) + 1, i.e. leading spacing, steps_offset 1;
 * - ᾱ_prev of the last step is ᾱ_0 (make_ddim_sampling_parameters prepends alphacums[0]): set_alpha_to_one false;
 * - x̂0 is not clipped; ε-prediction; η = 0 at sampling time.
 * ᾱ itself is computed by LDM in float64 and rounded once (see ldm-ddim.ts); diffusers' float32 path differs
 * from it by at most a few float32 ulps.
 */
export const diff2in1OfficialDdimConfig: SchedulerConfigJson = Object.freeze({
  _class_name: 'DDIMScheduler',
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  trained_betas: null,
  clip_sample: false,
  set_alpha_to_one: false,
  steps_offset: 1,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
});

export interface FromConfigOptions extends SchedulerTableOptions {
  /** Load the config into this class instead of its `_class_name` (diffusers' `DDIMScheduler.from_config(cfg)`). */
  className?: SchedulerClassName;
  /** Config values that win over the file's (diffusers' from_config kwargs). */
  overrides?: Readonly<Record<string, unknown>>;
  /** Path of the file the config came from, for error messages. */
  file?: string;
}

function isSchedulerClass(name: unknown): name is SchedulerClassName {
  return typeof name === 'string' && (SCHEDULER_CLASSES as readonly string[]).includes(name);
}

/**
 * A scheduler from a diffusers scheduler config. `_class_name` (or `options.className`) picks the class; keys the
 * class does not read are ignored, as diffusers does; a key with the wrong type is an error naming the key.
 * Keys listed in `_use_default_values` take the target class's defaults (diffusers ≥ 0.22 writes that list).
 */
export function fromConfig(config: unknown, options: FromConfigOptions = {}): AnyScheduler {
  const file = options.file;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new Diff2in1Error('config', 'a scheduler config must be a JSON object (diffusers scheduler/scheduler_config.json)', { file });
  }
  const json = config as Record<string, unknown>;
  const declared = json._class_name;
  const className = options.className ?? declared;
  if (!isSchedulerClass(className)) {
    const what = declared === undefined ? 'has no "_class_name"' : `has "_class_name": ${JSON.stringify(declared)}`;
    throw new Diff2in1Error('config', `the scheduler config ${what}; supported schedulers are ${choices(SCHEDULER_CLASSES)} (pass options.className to load the config into one of them)`, { file });
  }
  const useDefaults = Array.isArray(json._use_default_values) ? new Set(json._use_default_values as unknown[]) : new Set<unknown>();
  const known = new Set(Object.keys(CONFIG_FIELDS[className]));
  const picked: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...json, ...options.overrides })) {
    if (k.startsWith('_') || !known.has(k) || (useDefaults.has(k) && !(options.overrides && k in options.overrides))) continue;
    picked[k] = v;
  }
  const table: SchedulerTableOptions = options.alphasCumprod ? { alphasCumprod: options.alphasCumprod } : {};
  try {
    switch (className) {
      case 'DDIMScheduler': return new DDIMScheduler(picked, table);
      case 'PNDMScheduler': return new PNDMScheduler(picked, table);
      case 'DDPMScheduler': return new DDPMScheduler(picked, table);
    }
  } catch (e) {
    if (e instanceof Diff2in1Error && file !== undefined && e.file === undefined) {
      throw new Diff2in1Error(e.code, e.message, { file, cause: e });
    }
    throw e;
  }
}

/** fromConfig on a scheduler_config.json file; JSON errors name the file. */
export function fromConfigFile(path: string, options: Omit<FromConfigOptions, 'file'> = {}): AnyScheduler {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Diff2in1Error('config', `cannot read the scheduler config (a diffusers model folder has scheduler/scheduler_config.json): ${(e as Error).message}`, { file: path, cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Diff2in1Error('config', `not valid JSON: ${(e as Error).message}`, { file: path, cause: e });
  }
  return fromConfig(json, { ...options, file: path });
}
