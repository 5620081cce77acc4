// @diff2in1/synthesis — partial-noise (SDEdit, paper §4.2) and from-noise generation on a Stable Diffusion backbone,
// and sharded, resumable jobs that turn a dataset into a synthetic one (folder format + manifest.jsonl). See README.md.

/** What synthesis needs from a backbone (StableDiffusion of @diff2in1/backbone-sd fits), and its manifest hash. */
export { modelHash, type SynthesisModel } from './model.js';
/** createFromImage (encode → noise to T → DDIM on the caption → decode) and generateFromNoise (Φ_gen). */
export {
  createFromImage, generateFromNoise, schedulerFor, partialNoisePlan, toModelInput,
  SCHEDULER_KINDS, LATENT_MODES, DEFAULT_T, DEFAULT_STEPS,
  type SchedulerKind, type LatentMode, type SamplingOptions, type FromImageOptions, type FromImageResult,
  type FromNoiseOptions, type FromNoiseResult,
} from './sampler.js';
/** Shards (i/N, Slurm arrays, Kubernetes indexed Jobs) and order-free per-sample seeds. */
export { parseShard, shardFromEnv, shardItems, inShard, subShard, sampleSeed, WHOLE, type Shard } from './shards.js';
/** The output folder's files: job.json, manifest parts, the merged manifest. */
export {
  readManifest, mergeManifest, readJobFile, readParts, listParts, jobItems, itemId, imagePath, partPath, withoutTiming,
  settingsDiff, JOB_FILE, MANIFEST_FILE, TIMING_FIELDS,
  type JobFile, type JobSettings, type ManifestRecord, type MergeResult,
} from './manifest.js';
/** The job: runSynthesisJob. */
export {
  runSynthesisJob, DATASET_LAYOUTS,
  type DatasetLayout, type LoadedModel, type SynthesisJobOptions, type SynthesisJobSummary,
} from './job.js';
