// @diff2in1/schedulers — DDPM noising, DDIM and PNDM numerically equal to diffusers v0.25.0 (pure TypeScript,
// float32 arithmetic as torch does it), partial-noise (SDEdit) schedules and the one denoising loop.
export { DDIMScheduler } from './scheduling-ddim.js';
export { PNDMScheduler } from './scheduling-pndm.js';
export { DDPMScheduler } from './scheduling-ddpm.js';
export {
  fromConfig, fromConfigFile, sd15SchedulerConfig, diff2in1OfficialDdimConfig,
  type AnyScheduler, type FromConfigOptions, type SchedulerConfigJson,
} from './from-config.js';
export {
  CONFIG_FIELDS, DDPM_VARIANCE_TYPES, resolveConfig,
  type DDIMConfig, type PNDMConfig, type DDPMConfig, type DDPMVarianceType, type SchedulerConfigs,
} from './config.js';
export {
  BETA_SCHEDULES, makeBetas, betasForAlphaBar, rescaleZeroTerminalSnr, alphasCumprodOf, scheduleTables,
  type BetaSchedule, type BetaConfig, type SchedulerTableOptions,
} from './beta-schedules.js';
export {
  SCHEDULER_CLASSES, PREDICTION_TYPES, TIMESTEP_SPACINGS,
  type Scheduler, type SchedulerClassName, type PredictionType, type TimestepSpacing,
  type StepOptions, type StepOutput, type SetTimestepsOptions,
} from './scheduling-utils.js';
export {
  getImg2ImgTimesteps, getStartTimesteps, denoise, denoiseFrom,
  type PartialNoisePlan, type DenoiseOptions, type DenoiseFromOptions, type StepInfo,
} from './partial-noise.js';
export { ldmSchedule, ldmAlphasCumprod, ldmQSample, type LdmSchedule, type LdmScheduleOptions } from './ldm-ddim.js';
export { torchLinspaceF32, torchLinspaceF64, torchCumprodF32, fma32, fma64 } from './torch-numerics.js';
