// Reverse-mode autodiff: importing this module registers every op's gradient rule.
import './rules-elementwise.js';
import './rules-shape.js';
import './rules-linalg.js';
import './rules-conv.js';
import './rules-norm.js';

export { grad, registerVjp, hasVjp, unbroadcast, zeros, zerosLike, type GradOptions } from './autodiff.js';
