// Scheduler configs with diffusers' key names and defaults (v0.25.0 constructors), and their validation.
import { Diff2in1Error, choices } from '@diff2in1/tensor';
import { BETA_SCHEDULES, type BetaConfig } from './beta-schedules.js';
import { PREDICTION_TYPES, TIMESTEP_SPACINGS, type PredictionType, type SchedulerClassName, type TimestepSpacing } from './scheduling-utils.js';

export interface DDIMConfig extends BetaConfig {
  clip_sample: boolean;
  set_alpha_to_one: boolean;
  steps_offset: number;
  prediction_type: PredictionType;
  thresholding: boolean;
  dynamic_thresholding_ratio: number;
  clip_sample_range: number;
  sample_max_value: number;
  timestep_spacing: TimestepSpacing;
  rescale_betas_zero_snr: boolean;
}

export interface PNDMConfig extends BetaConfig {
  skip_prk_steps: boolean;
  set_alpha_to_one: boolean;
  /** PNDM accepts epsilon and v_prediction only. */
  prediction_type: Exclude<PredictionType, 'sample'>;
  timestep_spacing: TimestepSpacing;
  steps_offset: number;
}

/** The `variance_type` values supported (learned variances need a UNet that predicts them). */
export const DDPM_VARIANCE_TYPES = ['fixed_small', 'fixed_small_log', 'fixed_large'] as const;
export type DDPMVarianceType = (typeof DDPM_VARIANCE_TYPES)[number];

export interface DDPMConfig extends BetaConfig {
  variance_type: DDPMVarianceType;
  clip_sample: boolean;
  prediction_type: PredictionType;
  thresholding: boolean;
  dynamic_thresholding_ratio: number;
  clip_sample_range: number;
  sample_max_value: number;
  timestep_spacing: TimestepSpacing;
  steps_offset: number;
  rescale_betas_zero_snr: boolean;
}

export interface SchedulerConfigs {
  DDIMScheduler: DDIMConfig;
  PNDMScheduler: PNDMConfig;
  DDPMScheduler: DDPMConfig;
}

type FieldKind = 'int' | 'number' | 'bool' | 'betas' | { enum: readonly string[] };
interface FieldSpec { kind: FieldKind; default: unknown; min?: number }

const BETA_FIELDS: Record<keyof BetaConfig, FieldSpec> = {
  num_train_timesteps: { kind: 'int', default: 1000, min: 1 },
  beta_start: { kind: 'number', default: 0.0001 },
  beta_end: { kind: 'number', default: 0.02 },
  beta_schedule: { kind: { enum: BETA_SCHEDULES }, default: 'linear' },
  trained_betas: { kind: 'betas', default: null },
};

const THRESHOLD_FIELDS = {
  thresholding: { kind: 'bool', default: false },
  dynamic_thresholding_ratio: { kind: 'number', default: 0.995 },
  clip_sample_range: { kind: 'number', default: 1.0 },
  sample_max_value: { kind: 'number', default: 1.0 },
} satisfies Record<string, FieldSpec>;

/** Every config key each class reads, with its diffusers v0.25.0 default. */
export const CONFIG_FIELDS: { [C in SchedulerClassName]: Record<keyof SchedulerConfigs[C], FieldSpec> } = {
  DDIMScheduler: {
    ...BETA_FIELDS,
    ...THRESHOLD_FIELDS,
    clip_sample: { kind: 'bool', default: true },
    set_alpha_to_one: { kind: 'bool', default: true },
    steps_offset: { kind: 'int', default: 0, min: 0 },
    prediction_type: { kind: { enum: PREDICTION_TYPES }, default: 'epsilon' },
    timestep_spacing: { kind: { enum: TIMESTEP_SPACINGS }, default: 'leading' },
    rescale_betas_zero_snr: { kind: 'bool', default: false },
  },
  PNDMScheduler: {
    ...BETA_FIELDS,
    skip_prk_steps: { kind: 'bool', default: false },
    set_alpha_to_one: { kind: 'bool', default: false },
    prediction_type: { kind: { enum: ['epsilon', 'v_prediction'] }, default: 'epsilon' },
    timestep_spacing: { kind: { enum: TIMESTEP_SPACINGS }, default: 'leading' },
    steps_offset: { kind: 'int', default: 0, min: 0 },
  },
  DDPMScheduler: {
    ...BETA_FIELDS,
    ...THRESHOLD_FIELDS,
    variance_type: { kind: { enum: DDPM_VARIANCE_TYPES }, default: 'fixed_small' },
    clip_sample: { kind: 'bool', default: true },
    prediction_type: { kind: { enum: PREDICTION_TYPES }, default: 'epsilon' },
    timestep_spacing: { kind: { enum: TIMESTEP_SPACINGS }, default: 'leading' },
    steps_offset: { kind: 'int', default: 0, min: 0 },
    rescale_betas_zero_snr: { kind: 'bool', default: false },
  },
};

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `"${v}"` : `${typeof v} ${JSON.stringify(v)}`;
}

function checkField(className: string, key: string, spec: FieldSpec, v: unknown, file: string | undefined): void {
  const bad = (want: string): never => {
    throw new Diff2in1Error('config', `${className}: config field "${key}" must be ${want}, got ${describe(v)}`, { file });
  };
  const kind = spec.kind;
  if (kind === 'int') {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < (spec.min ?? -Infinity)) bad(`an integer ≥ ${spec.min ?? 0}`);
  } else if (kind === 'number') {
    if (typeof v !== 'number' || !Number.isFinite(v)) bad('a finite number');
  } else if (kind === 'bool') {
    if (typeof v !== 'boolean') bad('true or false');
  } else if (kind === 'betas') {
    if (v !== null && !(Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)))) bad('null or an array of finite numbers');
  } else if (typeof v !== 'string' || !kind.enum.includes(v)) {
    bad(choices(kind.enum.map((s) => `"${s}"`)));
  }
}

/**
 * Fills diffusers' defaults and checks every field's type. Unknown keys are ignored, as diffusers'
 * `extract_init_dict` does (keys starting with "_" and keys of other scheduler classes included).
 */
export function resolveConfig<C extends SchedulerClassName>(className: C, partial: Readonly<Record<string, unknown>>, file?: string): SchedulerConfigs[C] {
  const fields = CONFIG_FIELDS[className] as Record<string, FieldSpec>;
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(fields)) {
    const given = Object.prototype.hasOwnProperty.call(partial, key) ? partial[key] : undefined;
    const v = given === undefined ? spec.default : given;
    checkField(className, key, spec, v, file);
    out[key] = Array.isArray(v) ? Object.freeze([...(v as number[])]) : v;
  }
  return Object.freeze(out) as unknown as SchedulerConfigs[C];
}
