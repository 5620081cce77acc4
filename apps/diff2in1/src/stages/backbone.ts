// The frozen Stable Diffusion of a run (config.backbone) loaded once per stage with the run's device settings.
import type { LoadStableDiffusionOptions, StableDiffusion } from '@diff2in1/backbone-sd';
import { loadStableDiffusion } from '@diff2in1/backbone-sd';
import type { Diff2in1Config } from '../config/finalize.js';

/** loadStableDiffusion options from run.device / run.threads / backbone.fp16. */
export function backboneOptions(config: Diff2in1Config): LoadStableDiffusionOptions {
  const { run, backbone } = config;
  return {
    device: run.device,
    ...(run.threads > 0 ? { threads: run.threads } : {}),
    ...(backbone.fp16 ? { fp16: true } : {}),
  };
}

/** backbone.model: 'tiny' (the committed seeded fixture), a diffusers folder or an ONNX export folder. */
export async function openBackbone(config: Diff2in1Config): Promise<StableDiffusion> {
  return loadStableDiffusion(config.backbone.model, backboneOptions(config));
}
