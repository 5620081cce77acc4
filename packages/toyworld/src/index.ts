// @diff2in1/toyworld — procedural indoor scenes with exact labels (see README.md).
export * from './camera.js';
export * from './classes.js';
export * from './types.js';
export { makeScene } from './scene.js';
export type { SceneOptions } from './scene.js';
export { renderScene, objectPixelCounts, PROBE_WIDTH, PROBE_HEIGHT } from './render.js';
export type { RenderOptions, RenderResult } from './render.js';
export { captionOf, sceneCaption, visibleObjects, objectPhrase, joinPhrases, CAPTION_MIN_PIXELS } from './caption.js';
export * from './toy-image.js';
export { exportDataset, exportItems, writeItem, LAYOUTS, LAYOUT_NAMES } from './export.js';
export type { ExportOptions, ExportSummary, ExportItem, ItemMeta, Layout, LayoutContext, LayoutName } from './export.js';
export { encodeMat, matChar, matMatrix, matScalar, matStructRow } from './mat5.js';
export type { MatValue } from './mat5.js';
export { humanParts } from './layouts/pascal.js';
export { edgeMap } from './layouts/common.js';
export { valueNoise, patternWeight } from './texture.js';
