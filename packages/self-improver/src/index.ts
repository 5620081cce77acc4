// @diff2in1/self-improver — the warm-up and self-improving stages of Diff-2-in-1 (ICLR 2025, §4): the perception
// model (adapter + head) compiled into inference / pseudo-label / train-step graphs over frozen backbone features,
// an fp16 feature cache, the EMA of θC from θE, atomic checkpoints and exact resume. See README.md.
export { emaUpdate, emaDue, DEFAULT_EMA_ALPHA, DEFAULT_EMA_SAMPLES } from './ema.js';
export {
  FeatureExtractor, featureTaps, backboneFingerprint, hflipImage, LATENT_MODES, FEATURE_NOISE, VARIANTS,
  type FeatureBackbone, type FeatureOptions, type FeatureRequest, type LatentMode, type FeatureNoise, type Variant,
} from './features.js';
export { FeatureCache, roundToFloat16, type FeatureCacheSpec, type CacheTap } from './feature-cache.js';
export { PerceptionModel, makeOptimizer, OPTIMIZERS, type OptimizerName, type PerceptionModelOptions } from './perception.js';
export { Predictor, Labeler } from './predictor.js';
export { SampleSource, sliceBatch, stackFeatures, type SourceItem, type SourceOptions, type LoadedBatch } from './sample-source.js';
export { evaluate, meanNormalBaseline, stackLabels, type Metrics, type EvaluateOptions } from './evaluate.js';
export {
  saveCheckpoint, loadCheckpoint, trimLog, configHash, configDiff, stableJson, CHECKPOINT_FORMAT, CHECKPOINT_FILE, type CheckpointMeta,
} from './checkpoint.js';
export { oneCycleLr, BAE_ONE_CYCLE, type OneCycleOptions } from './lr-schedule.js';
export { batchesPerEpoch, cursorAt, epochBatch, variantOf, iterationRng, AUGMENTATIONS, type Augmentation } from './schedule.js';
export { buildModel, modelSpecOf, type ModelSpec, type FeatureSettings, type StageCommon } from './stage.js';
export { runWarmup, loadWarmupWeights, summarize, WARMUP_DEFAULTS, type WarmupOptions, type WarmupResult } from './warmup.js';
export {
  runSelfImprove, toLabels, SELF_IMPROVE_MODES, PSEUDO_LABEL_MODES, SELF_IMPROVE_DEFAULTS,
  type SelfImproveMode, type PseudoLabelMode, type SelfImproveOptions, type SelfImproveResult,
} from './self-improve.js';
export { synthesizeFromNoise, type FromNoiseDatasetOptions } from './gna.js';
export { pretrainTinySd, vaeTrainProgram, unetTrainProgram, type PretrainTinySdOptions, type PretrainPhase, type PretrainResult } from './pretrain-sd.js';
export { registerSdGradRules } from './sd-grad-rules.js';
export { ensureToyPretrainedSd, type ToySdOptions } from './toy-sd.js';
