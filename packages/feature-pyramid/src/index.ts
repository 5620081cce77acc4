// @diff2in1/feature-pyramid — adapters from tapped UNet features to the multi-scale pyramid a task head reads:
// the paper's Eq. 9 / Eq. 10 ('eq9') and the official code's SNmodule ('sn-module', upstream state_dict names).
export {
  type TapSpec, type PyramidLevel, type PyramidRequest, type PyramidFeature, type TapValues, type BackboneTap,
  fromBackboneTaps, checkTaps, groupByStride, tapValue, levelSize, tapInputs, tapInputName, tapShapes, pickLevels, isPowerOfTwo,
} from './levels.js';
export { SNConv2d, type SNConv2dOptions } from './sn-conv2d.js';
export { SegBlock } from './seg-block.js';
export {
  SNModule, type SNModuleConfig, type SNModuleChannels, OFFICIAL_SN_CHANNELS, SN_MODULE_UNUSED_PREFIXES, SN_GROUP_NAMES,
  snModuleLevels, snChannelsFor, loadSNModuleState,
} from './sn-module.js';
export { Eq9Pyramid, type Eq9PyramidConfig, type Eq9Block, type Eq9Plan, FuseConv, ExtendStep, planEq9, gnGroups } from './eq9-pyramid.js';
export { createAdapter, ADAPTER_KINDS, type AdapterKind, type AdapterOptions, type PyramidAdapter } from './adapter.js';
