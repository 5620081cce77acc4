// @diff2in1/captioner — images → captions (the prompts of partial-noise generation): one Captioner interface,
// a registry of kinds (none, template, scene, transformers.js image-to-text, BLIP-2), dataset captioning into a
// resumable captions.json, and the BLIP-2 groundwork (config, folder reader, preprocessing, expected weights).
export {
  checkIds,
  imageId,
  loadRgb8,
  type CaptionOptions,
  type Captioner,
  type ImageInput,
} from './captioner.js';
export { noneCaptioner, templateCaptioner } from './simple-captioners.js';
export { sceneCaptioner } from './scene-captioner.js';
export {
  checkTransformersFolder,
  transformersCaptioner,
  TRANSFORMERS_DTYPE_SUFFIX,
  TRANSFORMERS_IMAGE_TO_TEXT_MODELS,
  type TransformersCaptionerOptions,
  type TransformersDtype,
} from './transformers-captioner.js';
export { CAPTIONER_KINDS, createCaptioner, type CreateCaptionerOptions } from './registry.js';
export {
  captionDataset,
  type CaptionDatasetOptions,
  type CaptionDatasetResult,
  type CaptionProgress,
} from './caption-dataset.js';
export {
  CAPTIONS_META_FORMAT,
  UNRECORDED_CAPTIONER,
  captionHash,
  loadCaptionsState,
  metaPathFor,
  provenance,
  readCaptionsJson,
  saveCaptionsState,
  type CaptionRecord,
  type CaptionsState,
} from './captions-file.js';
export {
  BLIP2_OPT_2_7B,
  BLIP2_OPT_2_7B_ORIGINAL,
  BLIP2_QFORMER_DEFAULTS,
  BLIP2_VISION_DEFAULTS,
  OPT_DEFAULTS,
  checkBlip2Config,
  parseBlip2Config,
  type Blip2Config,
  type Blip2QFormerConfig,
  type Blip2VisionConfig,
  type OPTConfig,
} from './blip2/configuration-blip-2.js';
export { countParameters, expectedBlip2StateDict, type ExpectedParam } from './blip2/state-dict.js';
export {
  BLIP2_DEFAULT_HUB_ID,
  blip2DownloadCommand,
  checkBlip2Weights,
  compareBlip2Weights,
  openBlip2Folder,
  type Blip2Folder,
  type WeightsReport,
} from './blip2/blip2-folder.js';
export {
  BLIP2_IMAGE_PROCESSOR,
  OPENAI_CLIP_MEAN,
  OPENAI_CLIP_STD,
  blipPixelValues,
  blipPreprocess,
  readBlipImageProcessorConfig,
  type BlipImageProcessorConfig,
} from './blip2/image-processing-blip.js';
export { PIL_RESAMPLE, pilResize, type PilFilter } from './blip2/pil-resample.js';
export { loadBlip2Tokenizer, type Blip2Tokenizer } from './blip2/tokenizer.js';
export { blip2Captioner, type Blip2Captioner, type Blip2CaptionerOptions } from './blip2/blip2-captioner.js';
export {
  beamSearchGenerate,
  causalBias,
  emptyPast,
  greedyGenerate,
  FLOAT32_MIN,
  type DecodeStep,
  type GenerateOptions,
} from './blip2/blip2-decoding.js';
export {
  Blip2ForConditionalGeneration,
  buildBlip2DecoderGraph,
  buildBlip2ImageGraph,
  compileBlip2,
  decoderCacheNames,
  type CompileBlip2Options,
  type CompiledBlip2,
} from './blip2/modeling-blip-2-generation.js';
