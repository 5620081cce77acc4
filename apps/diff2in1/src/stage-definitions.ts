// The stages of Diff-2-in-1 (paper §4, appendix A; DESIGN.md "Data flow"), described for --help, with the
// run-directory artifacts each reads and writes. Implementations are plugged in by stages/implementations.ts.
import type { Diff2in1Config } from './config/finalize.js';
import type { StageArgs, StageDefinition } from './stages.js';
import { ARTIFACTS } from './stages.js';

const selfImproving = (c: Diff2in1Config): boolean => c.selfImprove.mode !== 'warmup-only';

/** The model weights predict uses: --model (default creation = θC, the final Diff-2-in-1 model). */
export function predictModel(args: StageArgs): 'warmup' | 'creation' | 'exploitation' {
  const m = args['model'];
  return m === 'warmup' || m === 'exploitation' ? m : 'creation';
}

export const STAGE_DEFINITIONS: readonly StageDefinition[] = [
  {
    name: 'data',
    summary: 'prepare the dataset: render toyworld, or index a dataset folder',
    describe:
      'Makes the real training and test pairs available to every later stage. For data.source "toyworld" it renders ' +
      'the procedural scenes with their exact labels (normals, depth, semantics) and scene captions into data/; for ' +
      'the other sources it reads the dataset folder (NYUv2 in Bae et al.\'s layout, NYUD-MT, PASCAL-Context, ADE20K, ' +
      'or a plain folder), checks the expected counts and writes a manifest. Images are brought to data.imageSize ' +
      'by data.resize (the official code stretches NYUv2 to 512×512).',
    provider: (c) => (c.data.source === 'toyworld' ? '@diff2in1/toyworld' : '@diff2in1/datasets'),
    requires: [],
    produces: [ARTIFACTS.data],
    sections: ['data'],
    pipeline: true,
  },
  {
    name: 'warmup',
    summary: 'warm-up: train the adapter + task head on real pairs (θW)',
    describe:
      'Paper §4.1, Eq. 6. The frozen Stable Diffusion acts as a feature extractor: image → VAE latent → one UNet ' +
      'pass at backbone.timestep (0) with backbone.prompt ("") → tapped multi-scale features → the feature-pyramid ' +
      'adapter (Eq. 9/10) → the task head (e.g. Bae et al. for normals). Only the adapter and head train, on the real ' +
      'pairs, with the head\'s supervised loss. The result θW starts both parameter sets of the self-improving stage. ' +
      'With warmup.featureCache the frozen features of the real images are cached on disk, so later epochs skip the UNet.',
    provider: '@diff2in1/self-improver',
    requires: [ARTIFACTS.data],
    produces: [ARTIFACTS.warmup],
    sections: ['data', 'backbone', 'adapter', 'head', 'warmup'],
    pipeline: true,
  },
  {
    name: 'caption',
    summary: 'caption the training images (text conditions for synthesis)',
    describe:
      'Paper appendix A.2. Data creation denoises under a text condition; datasets have no text, so an image ' +
      'captioner describes each training image (the paper uses BLIP-2; Table A shows ClipCap does as well, while no ' +
      'caption at all is clearly worse). Choices: none, template:<text>, scene (toyworld\'s exact scene text), dataset ' +
      '(caption files shipped with the dataset, as the official repo), transformers:<dir>, blip2:<dir>.',
    provider: '@diff2in1/captioner',
    requires: [ARTIFACTS.data],
    produces: [ARTIFACTS.captions],
    sections: ['data', 'caption'],
    pipeline: true,
  },
  {
    name: 'synthesize',
    summary: 'data creation: partial-noise (or from-noise) synthetic RGB images',
    describe:
      'Paper §4.2. Each training image\'s latent is noised to timestep T (600 of 1000, Eq. 2) and denoised with DDIM ' +
      '(a 50-step schedule, so ~30 steps from T, eta 0, no classifier-free guidance) under its caption, then decoded: ' +
      'a new image that keeps the layout of the real one but varies its content — in distribution, unlike samples ' +
      'from pure noise (Fig. 3). Larger T gives more diversity, smaller T more fidelity (Fig. 4). The images are ' +
      'made once, before self-improving (paper §5 "Key implementation details"); their labels are predicted later ' +
      'by θC on the fly. selfImprove.mode "gna" generates from Gaussian noise instead (synthesis.mode "noise").',
    provider: '@diff2in1/synthesis',
    requires: [ARTIFACTS.data, ARTIFACTS.captions],
    produces: [ARTIFACTS.synthetic],
    sections: ['data', 'backbone', 'synthesis'],
    pipeline: true,
  },
  {
    name: 'self-improve',
    summary: 'self-improving: θE learns from real + θC-labelled synthetic data; θC ← EMA(θE)',
    describe:
      'Paper §4.3, Fig. 2. Two copies of the warm-up weights: the exploitation parameters θE train on real pairs and ' +
      'on synthetic images whose labels the creation parameters θC predict on the fly (no gradient into θC); every K ' +
      'samples θC ← α·θC + (1−α)·θE over all parameters and buffers (K = 40, α = 0.998). θC, slowly improved by ' +
      'θE, makes ever better labels and is the final model. Modes: diff2in1; gna (noise-born data + self-improving); ' +
      'da-fusion (synthetic data labelled once by the frozen θW, no EMA); warmup-only (skips this stage).',
    provider: '@diff2in1/self-improver',
    requires: (c) => [ARTIFACTS.data, ARTIFACTS.warmup, ...(selfImproving(c) ? [ARTIFACTS.synthetic] : [])],
    produces: [ARTIFACTS.creation, ARTIFACTS.exploitation],
    sections: ['data', 'backbone', 'adapter', 'head', 'warmup', 'selfImprove'],
    pipeline: true,
  },
  {
    name: 'eval',
    summary: 'evaluate θW, θC and θE on the test split; write metrics.json and prediction grids',
    describe:
      'Runs the trained models on eval.split and computes each task\'s metrics as the papers do (normals: % of pixels ' +
      'within 11.25°, 22.5°, 30°, and the mean, median and RMSE angular error, Bae et al.). Results go to metrics.json ' +
      '(one entry per stage, mode and model); prediction grids (input | ground truth | warm-up | Diff-2-in-1) go to ' +
      'samples/eval/ and synthetic RGB + θC label pairs to samples/pairs/, for the report.',
    provider: '@diff2in1/self-improver',
    requires: (c) => [ARTIFACTS.data, ARTIFACTS.warmup, ...(selfImproving(c) ? [ARTIFACTS.creation, ARTIFACTS.exploitation] : [])],
    produces: [ARTIFACTS.eval],
    sections: ['data', 'backbone', 'adapter', 'head', 'selfImprove', 'eval'],
    pipeline: true,
  },
  {
    name: 'report',
    summary: 'write report.html: loss curves, metrics tables, image grids',
    describe:
      'Builds a static, self-contained report.html from metrics.json, logs/*.jsonl and samples/*/grid.json: loss and ' +
      'metric curves drawn as inline SVG, a metrics table per task (one row per stage, mode and model) and the image ' +
      'grids. No script, no network; images are referenced relative to the run directory or embedded (report.images).',
    provider: 'diff2in1',
    requires: [],
    produces: [ARTIFACTS.report],
    sections: ['report'],
    pipeline: true,
    always: true,
  },
  {
    name: 'predict',
    summary: 'predict task labels for your images (label files + visualisations)',
    describe:
      'Inference with a trained model (θC by default — the final Diff-2-in-1 model; --model warmup or exploitation for ' +
      'the others): each input image goes through the frozen SD feature extractor, the adapter and the head, and its ' +
      'prediction is written as a label file at the size of the input image, in the dataset convention (normals: 8-bit ' +
      'RGB, rgb/255·2−1, as Bae et al. store them), plus an input | prediction picture. Images are stretched to ' +
      'data.imageSize first (the size the model was trained at).',
    provider: '@diff2in1/self-improver',
    requires: (_c, a) => [`checkpoints/${predictModel(a)}.safetensors`],
    produces: [],
    sections: ['data', 'backbone', 'adapter', 'head'],
    pipeline: false,
  },
  {
    name: 'generate',
    summary: 'generate multi-modal pairs (RGB + labels) from Gaussian noise with θC',
    describe:
      'Paper §3.2, generative perspective: denoise from Gaussian noise under a text prompt to a latent z̃0, decode it ' +
      'to the RGB image x̃, and run the same latent through the UNet at t = 0 and θC\'s adapter + head for its label ỹ. ' +
      'Writes the pairs and a grid for the report.',
    provider: '@diff2in1/synthesis',
    requires: [ARTIFACTS.creation],
    produces: [],
    sections: ['backbone', 'adapter', 'head', 'synthesis'],
    pipeline: false,
  },
];

/** Pipeline of `train` / `demo` for the config's mode (paper §4: warm-up, data creation, self-improving). */
export function planPipeline(config: Diff2in1Config): StageDefinition['name'][] {
  return selfImproving(config)
    ? ['data', 'warmup', 'caption', 'synthesize', 'self-improve', 'eval', 'report']
    : ['data', 'warmup', 'eval', 'report'];
}
