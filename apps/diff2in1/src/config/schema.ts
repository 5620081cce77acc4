// The Diff-2-in-1 run configuration. Every default names its source: a section of the paper
// (/work/shared/paper/diff-2-in-1.txt, ICLR 2025) or a file of the official code (github.com/zsh2000/diff-2-in-1).
// Objects are strict: an unknown field is an error (with a "did you mean" — see errors.ts). Cross-field rules
// (e.g. exactly one of epochs/iterations) live in finalize.ts, which also fills defaults that depend on other
// fields (toyworld counts, synthesis mode per self-improving mode, self-improving lr/optimizer from warm-up).
import { z } from 'zod';

const posInt = () => z.number().int().min(1);
const nonNegInt = () => z.number().int().min(0);

/** Tasks the project knows (@diff2in1/tasks TASK_NAMES). */
export const TASKS = ['normals', 'depth', 'semseg', 'parts', 'saliency'] as const;
export const DATA_SOURCES = ['toyworld', 'folder', 'nyuv2', 'nyudmt', 'pascal', 'ade20k'] as const;
export const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export const MODES = ['diff2in1', 'gna', 'da-fusion', 'warmup-only'] as const;
export type Mode = (typeof MODES)[number];

const runSchema = z.strictObject({
  dir: z.string().min(1).optional()
    .describe('run directory (default runs/<config name>, relative to the current directory)'),
  // Official code: every script calls seed_everything(opt.seed) with --seed default 42 (training_1st_stage.py).
  seed: nonNegInt().default(42).describe('seed for data order, initialisation, noise and sampling'),
  // DESIGN.md "Devices": auto probes CUDA / WebGPU and falls back to CPU with one line saying why.
  device: z.enum(DEVICES).default('auto').describe('ONNX Runtime execution device'),
  // 0 = ONNX Runtime's own choice (one intra-op thread per core; @diff2in1/runtime SessionOptions).
  threads: nonNegInt().default(0).describe('ONNX Runtime intra-op threads (0 = one per core)'),
});

const resizeSchema = z.union([
  // ldm/data/nyu.py: cv2.resize(img, (512, 512)) for images and normals (a stretch, aspect ratio not kept).
  z.literal('official-512'),
  z.literal('none'),
  z.strictObject({
    crop: z.enum(['random', 'center']).describe('crop of imageSize from each image: random in training, center in evaluation'),
  }),
]);

const countsSchema = z.strictObject({
  train: posInt().describe('training images (toyworld: how many to render; other sources: how many are expected)'),
  test: posInt().describe('test images'),
});

const dataSchema = z.strictObject({
  // Issue 6 / DESIGN.md: the built-in default is the procedural toy world, no download needed.
  source: z.enum(DATA_SOURCES).default('toyworld').describe('dataset: toyworld renders one; the others are read from data.path'),
  path: z.string().min(1).optional().describe('dataset folder (required unless data.source is toyworld)'),
  // Paper §5.1: NYUv2 surface normals is the main single-task setting.
  tasks: z.array(z.enum(TASKS)).min(1).default(['normals']).describe('tasks to train and evaluate'),
  // Issue 6: toyworld at 128×128. The paper resizes everything to 512×512 for SD v1-5 (appendix A.1).
  imageSize: z.strictObject({ height: posInt().max(4096).describe('image height in pixels'), width: posInt().max(4096).describe('image width in pixels') })
    .default({ height: 128, width: 128 }).describe('size of the images fed to the model'),
  resize: resizeSchema.default('none').describe('how dataset images are brought to imageSize'),
  // Issue 6: toyworld 200 train / 100 test (filled in by finalize for toyworld; optional check for others).
  counts: countsSchema.optional().describe('image counts per split'),
});

const backboneSchema = z.strictObject({
  // DESIGN.md: tiny configs with seeded random weights exercise the same code; real runs point at SD v1-5.
  model: z.string().min(1).default('tiny')
    .describe("'tiny' (seeded random weights), a diffusers Stable Diffusion v1-5 folder, or an ONNX export folder"),
  // Paper appendix A.1: four raw feature maps at 1/64..1/8 (VPD taps); the official sn_module.py reads every
  // hooked UNet block ('all').
  taps: z.enum(['vpd', 'all']).default('vpd').describe('which UNet features are tapped'),
  // training_1st_stage.py: t = torch.zeros(...) — features at timestep 0 (paper appendix B, Table C).
  timestep: nonNegInt().max(999).default(0).describe('UNet timestep for feature extraction'),
  // training_1st_stage.py: uc = model.get_learned_conditioning([""]) — the empty prompt.
  prompt: z.string().default('').describe('text condition for feature extraction'),
  fp16: z.boolean().default(false).describe('run the frozen SD models in float16'),
});

const adapterSchema = z.strictObject({
  // Paper appendix A.1, Eq. 9 (adjacent-scale fusion) and Eq. 10 (pyramid extension).
  variant: z.enum(['eq9-10', 'official']).default('eq9-10')
    .describe("feature pyramid: the paper's Eq. 9/10, or the official code's sn_module.py over the 'all' taps"),
});

const headSchema = z.strictObject({
  // The official code's head is Bae et al.'s decoder (ldm/models/decoder.py), paper §5.1.
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a plugin id such as "bae"').default('bae').describe('task head plugin id'),
  options: z.record(z.string(), z.unknown()).default({}).describe("the plugin's own options (see its README)"),
});

const optimizerEnum = z.enum(['adam', 'adamw', 'sgd']);

const warmupSchema = z.strictObject({
  // training_1st_stage.py: --epoch 50. Exactly one of epochs / iterations (finalize.ts).
  epochs: posInt().optional().describe('training length in epochs (default 50)'),
  iterations: posInt().optional().describe('training length in iterations (instead of epochs)'),
  // training_1st_stage.py: --batch_size 8.
  batchSize: posInt().default(8).describe('images per training step'),
  // training_1st_stage.py: optim.Adam(...).
  optimizer: optimizerEnum.default('adam').describe('optimizer'),
  // training_1st_stage.py: --learning_rate 0.000357 (inherited from Bae et al., ICCV 2021).
  lr: z.number().positive().default(3.57e-4).describe('learning rate'),
  // torch.optim.Adam default weight_decay=0 (the official code passes none).
  weightDecay: z.number().min(0).default(0).describe('weight decay (decoupled for adamw)'),
  // The official code recomputes the frozen UNet features every step; caching them is our speed-up (issue 6).
  featureCache: z.boolean().default(false).describe('cache frozen backbone features of real images on disk (fp16)'),
  // 0 = evaluate only at the end (the official code evaluates separately, test.py).
  evalEvery: nonNegInt().default(0).describe('evaluate every N iterations (0 = only at the end)'),
  // training_1st_stage.py: --save_interval 5 epochs = 5 × 795/8 ≈ 500 iterations on NYUv2.
  checkpointEvery: posInt().default(500).describe('write a resumable checkpoint every N iterations'),
  logEvery: posInt().default(10).describe('log the loss every N iterations'),
});

const captionSchema = z.strictObject({
  // Paper appendix A.2: BLIP-2 captions; the official repo reads ClipCap captions from caption/*.txt ('dataset');
  // Table A: the captioner matters little, but no caption ('none') is worse. Default 'none' needs no model.
  captioner: z.string().min(1).default('none')
    .describe("'none', 'template:<text>', 'scene' (toyworld's exact scene text), 'dataset' (caption files), 'transformers:<dir>', 'blip2:<dir>'"),
  batchSize: posInt().default(8).describe('images per captioning batch'),
});

const synthesisSchema = z.strictObject({
  // Paper §4.2: partial noise (SDEdit-like) keeps the data in distribution; 'noise' is GNA's full noise.
  // Default: 'partial', or 'noise' when selfImprove.mode is 'gna' (finalize.ts).
  mode: z.enum(['partial', 'noise']).optional().describe("'partial' (noise a real image to T, denoise) or 'noise' (from Gaussian noise)"),
  // data_creation.py: t = ones(...) * 600; paper §5.1 "T = 600". Exactly one of T / strength.
  T: z.number().int().min(1).max(999).optional().describe('noise timestep of the partial-noise start (default 600; of 1000)'),
  strength: z.number().gt(0).max(1).optional().describe('diffusers img2img strength, instead of T (T ≈ strength × 1000)'),
  // data_creation.py: --ddim_steps 50 (the 50-step schedule; starting at T=600 runs ~30 of them).
  steps: posInt().max(1000).default(50).describe('scheduler steps over the full 1000-step range'),
  // data_creation.py: DDIMSampler.
  scheduler: z.enum(['ddim', 'pndm']).default('ddim').describe('sampler'),
  // data_creation.py: --ddim_eta 0.0 (deterministic DDIM).
  eta: z.number().min(0).max(1).default(0).describe('DDIM eta (0 = deterministic)'),
  // data_creation.py: --scale 1.0 and uc = None — no classifier-free guidance.
  guidanceScale: z.number().min(1).default(1).describe('classifier-free guidance scale (1 = none)'),
  negativePrompt: z.string().default('').describe('unconditional text when guidanceScale > 1'),
  // data_creation.py: one epoch over the training set, "generate 1 sample for each image".
  samplesPerImage: posInt().default(1).describe('synthetic images per real image (k)'),
  // Paper §5.1: "creates 500 synthetic pairs" on NYUv2. Default: all (images × samplesPerImage).
  maxSamples: posInt().optional().describe('cap on the number of synthetic images'),
  // data_creation.py: --batch_size 1.
  batchSize: posInt().default(1).describe('images per denoising batch'),
  seed: nonNegInt().optional().describe('noise seed (default run.seed)'),
});

const mixingSchema = z.union([
  // training_2nd_stage.py / nyu_second_stage.py: real and synthetic files in one folder, one shuffled loader.
  z.literal('pool'),
  z.strictObject({
    real: nonNegInt().describe('real pairs per batch (m)'),
    synthetic: nonNegInt().describe('synthetic images per batch (n)'),
  }),
]);

const confidenceSchema = z.strictObject({
  enabled: z.boolean().default(false).describe('mask pseudo-label pixels below a confidence (off in the paper)'),
  threshold: z.number().optional().describe("minimum confidence kept, in the head's units (head-bae: κ); required when enabled"),
});

const selfImproveSchema = z.strictObject({
  // Paper §4.3 and Table 1's comparison rows.
  mode: z.enum(MODES).default('diff2in1')
    .describe("'diff2in1' (θC labels partial-noise data, EMA), 'gna' (noise data + self-improving), 'da-fusion' (labelled once by θW, no EMA), 'warmup-only'"),
  // training_2nd_stage.py: --epoch 50. Exactly one of epochs / iterations (finalize.ts).
  epochs: posInt().optional().describe('self-improving length in epochs (default 50)'),
  iterations: posInt().optional().describe('self-improving length in iterations (instead of epochs)'),
  // Paper appendix A.3: batch size 4 for surface normals (training_2nd_stage.py's default is 8).
  batchSize: posInt().default(4).describe('training batch of θE'),
  // Paper appendix A.3: θC updates once every 40 samples consumed by θE.
  K: posInt().default(40).describe('EMA interval in samples (θC ← α·θC + (1−α)·θE every K samples)'),
  // Paper appendix A.3 / Table D; training_2nd_stage.py update_creation(keep_rate=0.998).
  alpha: z.number().gt(0).lt(1).default(0.998).describe('EMA momentum α'),
  mixing: mixingSchema.default('pool').describe("'pool' (one shuffled pool as the official code) or { real: m, synthetic: n } per batch"),
  confidenceMask: confidenceSchema.prefault({}).describe('optional pseudo-label confidence masking'),
  // Paper appendix A.3: θE "continues the same training scheme" as warm-up — default: warmup.lr / optimizer.
  lr: z.number().positive().optional().describe('θE learning rate (default warmup.lr)'),
  optimizer: optimizerEnum.optional().describe('θE optimizer (default warmup.optimizer)'),
  weightDecay: z.number().min(0).optional().describe('θE weight decay (default warmup.weightDecay)'),
  evalEvery: nonNegInt().default(0).describe('evaluate θC and θE every N iterations (0 = only at the end)'),
  // training_2nd_stage.py saves every save_interval epochs; as for warm-up, ≈500 iterations.
  checkpointEvery: posInt().default(500).describe('write θC, θE and optimizer state every N iterations'),
  logEvery: posInt().default(10).describe('log the losses every N iterations'),
});

const evalSchema = z.strictObject({
  // Official repo: test.py evaluates the 654 NYUv2 test images.
  split: z.enum(['test', 'train']).default('test').describe('split to evaluate'),
  // Empty = the task's standard set (normals: Bae et al.'s mean, median, RMSE, 11.25°, 22.5°, 30°).
  metrics: z.array(z.string().min(1)).default([]).describe('metrics to report (empty = all of the task)'),
  // evaluation.py: torch.acos(...) * 180.0 / 3.14 — the official numbers use π ≈ 3.14.
  angleUnit: z.enum(['exact', 'official-3.14']).default('exact').describe("radians→degrees: 180/π, or the official code's 180/3.14"),
  batchSize: posInt().default(8).describe('images per evaluation batch'),
});

const reportSchema = z.strictObject({
  grids: nonNegInt().max(200).default(8).describe('rows in each image grid of report.html'),
  images: z.enum(['relative', 'embed']).default('relative')
    .describe("'relative' (img src points into the run directory) or 'embed' (data: URIs, one portable file)"),
});

export const configSchema = z.strictObject({
  description: z.string().optional().describe('free text describing this configuration'),
  run: runSchema.prefault({}),
  data: dataSchema.prefault({}),
  backbone: backboneSchema.prefault({}),
  adapter: adapterSchema.prefault({}),
  head: headSchema.prefault({}),
  warmup: warmupSchema.prefault({}),
  caption: captionSchema.prefault({}),
  synthesis: synthesisSchema.prefault({}),
  selfImprove: selfImproveSchema.prefault({}),
  eval: evalSchema.prefault({}),
  report: reportSchema.prefault({}),
});

/** What a config file may contain (every field optional; `extends` is handled by the loader). */
export type Diff2in1ConfigInput = z.input<typeof configSchema>;
/** The parsed config, before finalize.ts fills the cross-field defaults. */
export type ParsedConfig = z.output<typeof configSchema>;

/** Top-level sections, in order. */
export const SECTIONS = ['run', 'data', 'backbone', 'adapter', 'head', 'warmup', 'caption', 'synthesis', 'selfImprove', 'eval', 'report'] as const;
export type ConfigSection = (typeof SECTIONS)[number];
