// torch.nn.Conv2d / ConvTranspose2d (torch/nn/modules/conv.py): parameter names, shapes and default init.
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Value } from '../ir/graph.js';
import type { Param } from '../ir/param.js';
import { conv, convTranspose, type PerAxis, perAxis } from '../ops/conv.js';
import { pad } from '../ops/shape.js';
import { fanInBiasInit, kaimingUniformInit } from './init.js';
import { Module, type UnaryModule } from './module.js';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate';

export interface Conv2dOptions {
  stride?: PerAxis;
  padding?: PerAxis;
  dilation?: PerAxis;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

export class Conv2d extends Module implements UnaryModule {
  readonly weight: Param;
  readonly bias: Param | undefined;
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: PerAxis, o: Conv2dOptions = {}) {
    super();
    const k = perAxis('Conv2d', 'kernel_size', kernelSize, 2, 1);
    this.groups = o.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Diff2in1Error('graph', `Conv2d: in_channels ${inChannels} and out_channels ${outChannels} must be divisible by groups ${this.groups}`);
    }
    this.stride = perAxis('Conv2d', 'stride', o.stride, 2, 1);
    this.padding = perAxis('Conv2d', 'padding', o.padding, 2, 0);
    this.dilation = perAxis('Conv2d', 'dilation', o.dilation, 2, 1);
    this.paddingMode = o.paddingMode ?? 'zeros';
    const ws = [outChannels, inChannels / this.groups, ...k];
    this.weight = this.registerParameter('weight', ws, kaimingUniformInit(Math.sqrt(5)));
    this.bias = o.bias === false ? undefined : this.registerParameter('bias', [outChannels], fanInBiasInit(ws));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      const [ph, pw] = this.padding as [number, number];
      const opts = { stride: this.stride, dilation: this.dilation, groups: this.groups };
      const b = this.bias ? g.param(this.bias) : null;
      if (this.paddingMode === 'zeros') return conv(x, g.param(this.weight), b, { ...opts, padding: this.padding });
      // torch pads explicitly for the other modes, then convolves without padding
      const padded = pad(x, [0, 0, ph, pw, 0, 0, ph, pw], this.paddingMode === 'reflect' ? 'reflect' : 'edge');
      return conv(padded, g.param(this.weight), b, opts);
    });
  }
}

export interface ConvTranspose2dOptions {
  stride?: PerAxis;
  padding?: PerAxis;
  outputPadding?: PerAxis;
  dilation?: PerAxis;
  groups?: number;
  bias?: boolean;
}

export class ConvTranspose2d extends Module implements UnaryModule {
  readonly weight: Param;
  readonly bias: Param | undefined;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: PerAxis, readonly options: ConvTranspose2dOptions = {}) {
    super();
    const k = perAxis('ConvTranspose2d', 'kernel_size', kernelSize, 2, 1);
    const groups = options.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Diff2in1Error('graph', `ConvTranspose2d: in_channels ${inChannels} and out_channels ${outChannels} must be divisible by groups ${groups}`);
    }
    // torch stores [in, out/groups, kH, kW]; its fan_in (size(1)·k²) is what kaiming and the bias bound use.
    const ws = [inChannels, outChannels / groups, ...k];
    this.weight = this.registerParameter('weight', ws, kaimingUniformInit(Math.sqrt(5)));
    this.bias = options.bias === false ? undefined : this.registerParameter('bias', [outChannels], fanInBiasInit(ws));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      const o = this.options;
      return convTranspose(x, g.param(this.weight), this.bias ? g.param(this.bias) : null, {
        stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups, outputPadding: o.outputPadding,
      });
    });
  }
}
