// @diff2in1/head-bae — Bae et al.'s surface-normal head (ICCV 2021) as the official Diff-2-in-1 code uses it:
// decoder, uncertainty-guided point sampling and refinement, UG_NLL_ours loss. Importing this package registers
// the 'bae' TaskNetworkV1 plugin.
import { registerTaskNetwork } from '@diff2in1/heads';
import { baePlugin } from './plugin.js';

export { baePlugin, createBae, type BaeNetwork, BAE_DEFAULTS, BAE_PRESETS, permInputName, normalsOf, type BaeHyperParameters } from './plugin.js';
export { Decoder, OFFICIAL_BAE_CHANNELS, SMALL_BAE_CHANNELS, BAE_INPUT_STRIDES, BAE_LEVELS, type BaeChannels, type DecoderOutputs, type SamplingInputs } from './decoder.js';
export { UpSampleGN } from './up-sample-gn.js';
export { WSConv2d } from './ws-conv2d.js';
export { PointConv1d } from './conv1d.js';
export { normNormalize, MIN_KAPPA } from './norm-normalize.js';
export { samplePoints, samplePerm, sampleCounts, type SampleCounts } from './sample-points.js';
export { nearestLookup, levelCoordinate, roundHalfEven } from './nearest-lookup.js';
export { ugNllLoss, ugNllTerms, lookupAtSamples, type UgLossInputs } from './compute-loss.js';

registerTaskNetwork(baePlugin);
