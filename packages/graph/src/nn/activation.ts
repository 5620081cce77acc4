// Parameter-free torch.nn layers for use in Sequential: activations, Identity, Upsample.
import type { Value } from '../ir/graph.js';
import { gelu, leakyRelu, quickGelu, silu } from '../ops/activations.js';
import { relu, sigmoid, tanh } from '../ops/elementwise.js';
import { interpolate, type InterpolateOptions } from '../ops/resize.js';
import { Module, type UnaryModule } from './module.js';

/** Wraps a Value → Value function as a module (no parameters). */
export class Lambda extends Module implements UnaryModule {
  constructor(private readonly fn: (x: Value) => Value) {
    super();
  }
  forward(x: Value): Value {
    return this.fn(x);
  }
}

export const ReLU = (): Lambda => new Lambda(relu);
export const GELU = (approximate: 'none' | 'tanh' = 'none'): Lambda => new Lambda((x) => gelu(x, approximate));
export const SiLU = (): Lambda => new Lambda(silu);
export const QuickGELU = (): Lambda => new Lambda(quickGelu);
export const Sigmoid = (): Lambda => new Lambda(sigmoid);
export const Tanh = (): Lambda => new Lambda(tanh);
export const LeakyReLU = (slope = 0.01): Lambda => new Lambda((x) => leakyRelu(x, slope));
export const Identity = (): Lambda => new Lambda((x) => x);
export const Upsample = (o: InterpolateOptions): Lambda => new Lambda((x) => interpolate(x, o));
