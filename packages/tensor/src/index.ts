export * from './tensor.js';
export * from './errors.js';
export * from './fs-atomic.js';
