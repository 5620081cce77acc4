export * from './tensor.js';
export * from './errors.js';
export * from './fs-atomic.js';
export * from './image.js';
export * from './resize.js';
export * from './tile-grid.js';
export * from './float16.js';
export * from './rng.js';
