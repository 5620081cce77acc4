// diffusers v0.25.0 models/unet_2d_blocks.py: the UNet's CrossAttnDownBlock2D, DownBlock2D,
// UNetMidBlock2DCrossAttn, UpBlock2D, CrossAttnUpBlock2D, and the VAE's DownEncoderBlock2D, UpDecoderBlock2D and
// UNetMidBlock2D (with its single-head attention). Every block reports each sub-module's output through `tap`
// (full module path → value) so feature taps are plain graph outputs.
import { Module, ModuleList, type Value, concat } from '@diff2in1/graph';
import { Attention, type AttentionImpl } from './attention.js';
import type { SdDType } from './layers.js';
import { Downsample2D, ResnetBlock2D, Upsample2D } from './resnet.js';
import { Transformer2DModel } from './transformer-2d.js';

/** Receives the output of a sub-module by its full state_dict path (e.g. 'up_blocks.1.attentions.1'). */
export type TapFn = (module: string, value: Value) => void;
const noTap: TapFn = () => undefined;

/** What the UNet's blocks share (diffusers' get_down_block / get_up_block arguments). */
export interface UNetBlockOptions {
  inChannels: number;
  outChannels: number;
  tembChannels: number;
  layers: number;
  groups: number;
  eps: number;
  /** Cross-attention blocks only. */
  heads?: number;
  transformerLayers?: number;
  crossAttentionDim?: number;
  useLinearProjection?: boolean;
  upcastAttention?: boolean;
  dtype?: SdDType;
  impl?: AttentionImpl;
}

function transformer(o: UNetBlockOptions, channels: number): Transformer2DModel {
  const heads = o.heads ?? 8;
  return new Transformer2DModel({
    heads, dimHead: Math.floor(channels / heads), inChannels: channels, layers: o.transformerLayers ?? 1,
    crossAttentionDim: o.crossAttentionDim ?? channels, normGroups: o.groups, useLinearProjection: o.useLinearProjection ?? false,
    upcastAttention: o.upcastAttention ?? false, dtype: o.dtype ?? 'float32', impl: o.impl ?? 'matmul',
  });
}

function resnet(o: UNetBlockOptions, inCh: number, outCh: number, scale = 1): ResnetBlock2D {
  return new ResnetBlock2D({ inChannels: inCh, outChannels: outCh, tembChannels: o.tembChannels, groups: o.groups, eps: o.eps, outputScaleFactor: scale, dtype: o.dtype ?? 'float32' });
}

/** Down blocks' result: the output and the skip tensors (one per layer, plus the downsampler's). */
export interface DownResult {
  h: Value;
  skips: Value[];
}

/** CrossAttnDownBlock2D / DownBlock2D: (resnet[, transformer]) × layers, then a stride-2 conv unless last. */
export class DownBlock2D extends Module {
  readonly attentions: ModuleList<Transformer2DModel> | undefined;
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly downsamplers: ModuleList<Downsample2D> | undefined;

  constructor(o: UNetBlockOptions & { crossAttention: boolean; addDownsample: boolean; downsamplePadding: number }) {
    super();
    if (o.crossAttention) {
      this.attentions = this.addModule('attentions', new ModuleList(Array.from({ length: o.layers }, () => transformer(o, o.outChannels))));
    }
    this.resnets = this.addModule('resnets', new ModuleList(Array.from({ length: o.layers }, (_, j) => resnet(o, j === 0 ? o.inChannels : o.outChannels, o.outChannels))));
    if (o.addDownsample) {
      this.downsamplers = this.addModule('downsamplers', new ModuleList([new Downsample2D(o.outChannels, o.outChannels, o.downsamplePadding, o.dtype ?? 'float32')]));
    }
  }

  forward(x: Value, temb: Value, context: Value, tap: TapFn = noTap): DownResult {
    let h = x;
    const skips: Value[] = [];
    for (let j = 0; j < this.resnets.length; j++) {
      const r = this.resnets.at(j);
      h = r.forward(h, temb);
      tap(r.path, h);
      if (this.attentions) {
        const a = this.attentions.at(j);
        h = a.forward(h, context);
        tap(a.path, h);
      }
      skips.push(h);
    }
    if (this.downsamplers) {
      const d = this.downsamplers.at(0);
      h = d.forward(h);
      tap(d.path, h);
      skips.push(h);
    }
    return { h, skips };
  }
}

/** UNetMidBlock2DCrossAttn: resnets[0], then (attentions[k], resnets[k + 1]). */
export class UNetMidBlock2DCrossAttn extends Module {
  readonly attentions: ModuleList<Transformer2DModel>;
  readonly resnets: ModuleList<ResnetBlock2D>;

  constructor(o: Omit<UNetBlockOptions, 'outChannels' | 'layers'> & { outputScaleFactor: number; layers?: number }) {
    super();
    const opts = { ...o, outChannels: o.inChannels, layers: o.layers ?? 1 };
    this.attentions = this.addModule('attentions', new ModuleList(Array.from({ length: opts.layers }, () => transformer(opts, o.inChannels))));
    this.resnets = this.addModule('resnets', new ModuleList(Array.from({ length: opts.layers + 1 }, () => resnet(opts, o.inChannels, o.inChannels, o.outputScaleFactor))));
  }

  forward(x: Value, temb: Value, context: Value, tap: TapFn = noTap): Value {
    let h = this.resnets.at(0).forward(x, temb);
    tap(this.resnets.at(0).path, h);
    for (let k = 0; k < this.attentions.length; k++) {
      h = this.attentions.at(k).forward(h, context);
      tap(this.attentions.at(k).path, h);
      h = this.resnets.at(k + 1).forward(h, temb);
      tap(this.resnets.at(k + 1).path, h);
    }
    return h;
  }
}

/**
 * UpBlock2D / CrossAttnUpBlock2D: per layer, concatenate the last remaining skip on channels, resnet[, transformer];
 * then nearest ×2 (or to the next skip's size) + conv unless last. `prevOutputChannels` is the previous block's width.
 */
export class UpBlock2D extends Module {
  readonly attentions: ModuleList<Transformer2DModel> | undefined;
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly upsamplers: ModuleList<Upsample2D> | undefined;

  constructor(o: UNetBlockOptions & { prevOutputChannels: number; crossAttention: boolean; addUpsample: boolean }) {
    super();
    if (o.crossAttention) {
      this.attentions = this.addModule('attentions', new ModuleList(Array.from({ length: o.layers }, () => transformer(o, o.outChannels))));
    }
    this.resnets = this.addModule('resnets', new ModuleList(Array.from({ length: o.layers }, (_, j) => {
      const skip = j === o.layers - 1 ? o.inChannels : o.outChannels;
      const inCh = j === 0 ? o.prevOutputChannels : o.outChannels;
      return resnet(o, inCh + skip, o.outChannels);
    })));
    if (o.addUpsample) this.upsamplers = this.addModule('upsamplers', new ModuleList([new Upsample2D(o.outChannels, o.outChannels, o.dtype ?? 'float32')]));
  }

  /** `skips` is consumed from its end. */
  forward(x: Value, skips: Value[], temb: Value, context: Value, upsampleSize: readonly [number, number] | undefined, tap: TapFn = noTap): Value {
    let h = x;
    for (let j = 0; j < this.resnets.length; j++) {
      const skip = skips.pop()!;
      const r = this.resnets.at(j);
      h = r.forward(concat([h, skip], 1), temb);
      tap(r.path, h);
      if (this.attentions) {
        const a = this.attentions.at(j);
        h = a.forward(h, context);
        tap(a.path, h);
      }
    }
    if (this.upsamplers) {
      const u = this.upsamplers.at(0);
      h = u.forward(h, upsampleSize);
      tap(u.path, h);
    }
    return h;
  }
}

/** The VAE blocks' options (no time embedding, no cross-attention). */
export interface VaeBlockOptions {
  inChannels: number;
  outChannels: number;
  layers: number;
  groups: number;
  eps: number;
  dtype?: SdDType;
}

function vaeResnet(o: VaeBlockOptions, inCh: number, outCh: number): ResnetBlock2D {
  return new ResnetBlock2D({ inChannels: inCh, outChannels: outCh, tembChannels: null, groups: o.groups, eps: o.eps, dtype: o.dtype ?? 'float32' });
}

/** DownEncoderBlock2D: resnets, then Downsample2D with padding 0 (asymmetric pad, stride-2 conv) unless last. */
export class DownEncoderBlock2D extends Module {
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly downsamplers: ModuleList<Downsample2D> | undefined;
  constructor(o: VaeBlockOptions & { addDownsample: boolean }) {
    super();
    this.resnets = this.addModule('resnets', new ModuleList(Array.from({ length: o.layers }, (_, j) => vaeResnet(o, j === 0 ? o.inChannels : o.outChannels, o.outChannels))));
    if (o.addDownsample) this.downsamplers = this.addModule('downsamplers', new ModuleList([new Downsample2D(o.outChannels, o.outChannels, 0, o.dtype ?? 'float32')]));
  }

  forward(x: Value): Value {
    let h = x;
    for (const r of this.resnets) h = r.forward(h, null);
    return this.downsamplers ? this.downsamplers.at(0).forward(h) : h;
  }
}

/** UpDecoderBlock2D: resnets, then nearest ×2 + conv unless last. */
export class UpDecoderBlock2D extends Module {
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly upsamplers: ModuleList<Upsample2D> | undefined;
  constructor(o: VaeBlockOptions & { addUpsample: boolean }) {
    super();
    this.resnets = this.addModule('resnets', new ModuleList(Array.from({ length: o.layers }, (_, j) => vaeResnet(o, j === 0 ? o.inChannels : o.outChannels, o.outChannels))));
    if (o.addUpsample) this.upsamplers = this.addModule('upsamplers', new ModuleList([new Upsample2D(o.outChannels, o.outChannels, o.dtype ?? 'float32')]));
  }

  forward(x: Value): Value {
    let h = x;
    for (const r of this.resnets) h = r.forward(h, null);
    return this.upsamplers ? this.upsamplers.at(0).forward(h) : h;
  }
}

/**
 * UNetMidBlock2D of the VAE: resnets[0], attentions[0] (one head of width C, GroupNorm on the input, biased
 * projections, softmax in float32, residual), resnets[1].
 */
export class UNetMidBlock2D extends Module {
  readonly attentions: ModuleList<Attention>;
  readonly resnets: ModuleList<ResnetBlock2D>;
  constructor(o: Omit<VaeBlockOptions, 'outChannels' | 'layers'>) {
    super();
    const c = o.inChannels;
    const opts = { ...o, outChannels: c, layers: 1 };
    this.attentions = this.addModule('attentions', new ModuleList([new Attention({
      queryDim: c, heads: 1, dimHead: c, bias: true, upcastSoftmax: true, normGroups: o.groups, eps: o.eps,
      residualConnection: true, dtype: o.dtype ?? 'float32',
    })]));
    this.resnets = this.addModule('resnets', new ModuleList([vaeResnet(opts, c, c), vaeResnet(opts, c, c)]));
  }

  forward(x: Value): Value {
    const h = this.resnets.at(0).forward(x, null);
    return this.resnets.at(1).forward(this.attentions.at(0).forward(h), null);
  }
}
