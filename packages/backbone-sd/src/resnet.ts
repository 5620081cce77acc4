// diffusers v0.25.0 models/resnet.py ResnetBlock2D (time_embedding_norm "default", the SD 1.x / 2.x block) and
// models/downsampling.py Downsample2D / models/upsampling.py Upsample2D (the conv variants SD uses).
import { type Value, attr, pad, reshape, spec } from '@diff2in1/graph';
import { Module } from '@diff2in1/graph';
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';
import { Conv2d, GroupNorm, Linear, type SdDType, scalarOf, silu } from './layers.js';

export interface ResnetBlock2DOptions {
  inChannels: number;
  outChannels: number;
  /** null: no time embedding (the VAE's blocks). */
  tembChannels: number | null;
  groups: number;
  eps: number;
  /** (input + h) / output_scale_factor. */
  outputScaleFactor?: number;
  dtype?: SdDType;
}

/**
 * ResnetBlock2D: norm1 → SiLU → conv1 → (+ time_emb_proj(SiLU(temb))[:, :, None, None]) → norm2 → SiLU → conv2,
 * plus the input (through a 1×1 conv_shortcut when the channel count changes), divided by output_scale_factor.
 */
export class ResnetBlock2D extends Module {
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly time_emb_proj: Linear | undefined;
  readonly norm2: GroupNorm;
  readonly conv2: Conv2d;
  readonly conv_shortcut: Conv2d | undefined;
  readonly outputScaleFactor: number;

  constructor(o: ResnetBlock2DOptions) {
    super();
    const dtype = o.dtype ?? 'float32';
    this.outputScaleFactor = o.outputScaleFactor ?? 1;
    this.norm1 = this.addModule('norm1', new GroupNorm(o.groups, o.inChannels, o.eps));
    this.conv1 = this.addModule('conv1', new Conv2d(o.inChannels, o.outChannels, 3, { padding: 1, dtype }));
    this.time_emb_proj = o.tembChannels === null ? undefined : this.addModule('time_emb_proj', new Linear(o.tembChannels, o.outChannels, { dtype }));
    this.norm2 = this.addModule('norm2', new GroupNorm(o.groups, o.outChannels, o.eps));
    this.conv2 = this.addModule('conv2', new Conv2d(o.outChannels, o.outChannels, 3, { padding: 1, dtype }));
    this.conv_shortcut = o.inChannels === o.outChannels ? undefined : this.addModule('conv_shortcut', new Conv2d(o.inChannels, o.outChannels, 1, { dtype }));
  }

  forward(x: Value, temb: Value | null): Value {
    return this.scoped(x, () => {
      let h = this.conv1.forward(silu(this.norm1.forward(x)));
      if (this.time_emb_proj) {
        if (!temb) throw new Diff2in1Error('graph', `${this.path}: this block needs the time embedding`);
        const t = this.time_emb_proj.forward(silu(temb));
        h = add(h, reshape(t, [t.shape[0]!, t.shape[1]!, 1, 1]));
      }
      h = this.conv2.forward(silu(this.norm2.forward(h)));
      const skip = this.conv_shortcut ? this.conv_shortcut.forward(x) : x;
      const out = add(skip, h);
      return this.outputScaleFactor === 1 ? out : out.graph.node1('Div', [out, scalarOf(out, this.outputScaleFactor)], {}, spec(out.dtype, out.shape));
    });
  }
}

function add(a: Value, b: Value): Value {
  const shape = a.shape.map((d, i) => (d === 1 ? b.shape[i]! : d));
  return a.graph.node1('Add', [a, b], {}, spec(a.dtype, shape));
}

/**
 * Downsample2D with use_conv: a 3×3 stride-2 conv. padding 0 (the VAE encoder) first pads one zero row / column
 * at the bottom / right, as diffusers does.
 */
export class Downsample2D extends Module {
  readonly conv: Conv2d;
  constructor(channels: number, outChannels: number, readonly padding: number, dtype: SdDType = 'float32') {
    super();
    this.conv = this.addModule('conv', new Conv2d(channels, outChannels, 3, { stride: 2, padding, dtype }));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => this.conv.forward(this.padding === 0 ? pad(x, [0, 0, 0, 0, 0, 0, 1, 1]) : x));
  }
}

/**
 * Upsample2D with use_conv: nearest-neighbour ×2 (or to `outputSize`, as the UNet asks when the latent is not a
 * multiple of 2^upsamplers), then a 3×3 conv. torch's nearest picks source index floor(dst · in / out); ONNX
 * Resize 'asymmetric' + 'floor' picks floor(dst / (out / in)): the same index for every size here.
 */
export class Upsample2D extends Module {
  readonly conv: Conv2d;
  constructor(channels: number, outChannels: number, dtype: SdDType = 'float32') {
    super();
    this.conv = this.addModule('conv', new Conv2d(channels, outChannels, 3, { padding: 1, dtype }));
  }

  forward(x: Value, outputSize?: readonly [number, number]): Value {
    return this.scoped(x, () => this.conv.forward(nearestResize(x, outputSize)));
  }
}

/** Nearest resize of N×C×H×W to ×2 or to `size`. */
export function nearestResize(x: Value, size?: readonly [number, number]): Value {
  const g = x.graph;
  const [n, c, h, w] = x.shape as [number | string, number, number, number];
  const [ho, wo] = size ?? [2 * h, 2 * w];
  const attrs = { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') };
  const out = spec(x.dtype, [n, c, ho, wo]);
  if (ho === 2 * h && wo === 2 * w) {
    return g.node1('Resize', [x, null, g.constant(new Tensor('float32', [4], Float32Array.of(1, 1, 2, 2)))], attrs, out);
  }
  // sizes for the N and C axes come from the input's shape (N may be symbolic)
  const nc = g.node1('Shape', [x], { start: attr.int(0), end: attr.int(2) }, spec('int64', [2]));
  const sizes = g.node1('Concat', [nc, g.int64s([ho, wo])], { axis: attr.int(0) }, spec('int64', [4]));
  return g.node1('Resize', [x, null, null, sizes], attrs, out);
}
