// @diff2in1/toyworld — procedural indoor scenes with exact labels (see README.md).
export * from './camera.js';
export * from './classes.js';
export * from './types.js';
export { Rng, sceneRng, hash2, fmix32 } from './rng.js';
export { makeScene } from './scene.js';
export type { SceneOptions } from './scene.js';
export { renderScene, objectPixelCounts, PROBE_WIDTH, PROBE_HEIGHT } from './render.js';
export type { RenderOptions, RenderResult } from './render.js';
export { captionOf, sceneCaption, visibleObjects, objectPhrase, joinPhrases, CAPTION_MIN_PIXELS } from './caption.js';
export * from './toy-image.js';
