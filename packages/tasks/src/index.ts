// @diff2in1/tasks — task definitions: label codecs, valid masks, streaming metrics as the papers compute
// them, and visualisations.
export * from './labels.js';
export * from './codecs/array.js';
export * from './codecs/normals.js';
export * from './codecs/depth.js';
export * from './codecs/classes.js';
export * from './codecs/saliency.js';
export * from './metrics/accumulator.js';
export * from './metrics/float-store.js';
export * from './metrics/normals.js';
export * from './metrics/depth.js';
export * from './metrics/segmentation.js';
export * from './metrics/saliency.js';
export * from './visualize/colormaps.js';
export * from './visualize/visualize.js';
export * from './registry.js';
