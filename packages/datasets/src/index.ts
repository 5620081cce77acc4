// @diff2in1/datasets — readers for the folder format and the layouts the paper's baselines use (NYUv2 normals,
// NYUD-MT, PASCAL-Context, ADE20K), the NYUv2 .mat converter, the MAT v5 reader,
// transforms applied consistently to every modality, and seeded batching. See README.md.
export * from './sample.js';
export * from './file-dataset.js';
export * from './label-files.js';
export * from './formats/mat5.js';
export * from './transforms.js';
export * from './batching.js';
export * from './readers/common.js';
export * from './readers/folder.js';
export * from './readers/nyuv2.js';
export * from './readers/nyudmt.js';
export * from './readers/pascal-context.js';
export * from './readers/ade20k.js';
export * from './nyuv2-mat.js';
