// @diff2in1/heads — the TaskNetworkV1 plugin spec for task heads, the registry plugins join on import, target
// feeds, and the conformance suite every plugin runs on itself.
export {
  type TaskNetworkV1, type TaskNetworkPluginV1, type BuildMode, type BuildOptions, type BuildResult, type StepFeed,
  type Targets, type ValidMasks, type TaskPrediction, type Predictions,
  targetInputName, validInputName, targetInputs, TARGET_CHANNELS,
} from './spec.js';
export { registerTaskNetwork, getTaskNetwork, listTaskNetworks, unregisterTaskNetwork, PLUGIN_ID } from './registry.js';
export { taskTargetFeeds, targetFeeds } from './target-feeds.js';
export { runConformance, type ConformanceOptions, type ConformanceReport, type ConformanceCheck } from './conformance.js';
