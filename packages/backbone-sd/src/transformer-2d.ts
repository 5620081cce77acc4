// diffusers v0.25.0 models/transformer_2d.py Transformer2DModel, continuous input (the SD UNet's attention
// blocks): GroupNorm (eps 1e-6) → proj_in (1×1 conv, or Linear on the token view with use_linear_projection) →
// BasicTransformerBlocks over H·W tokens → proj_out → + input.
import { Module, ModuleList, type Value, reshape, spec, transpose } from '@diff2in1/graph';
import { type AttentionImpl, BasicTransformerBlock } from './attention.js';
import { Conv2d, GroupNorm, Linear, type SdDType } from './layers.js';

export interface Transformer2DModelOptions {
  heads: number;
  /** Per-head width: in_channels / heads in SD. */
  dimHead: number;
  inChannels: number;
  layers: number;
  crossAttentionDim: number;
  normGroups: number;
  useLinearProjection: boolean;
  upcastAttention?: boolean;
  dtype?: SdDType;
  impl?: AttentionImpl;
}

export class Transformer2DModel extends Module {
  readonly norm: GroupNorm;
  readonly proj_in: Conv2d | Linear;
  readonly transformer_blocks: ModuleList<BasicTransformerBlock>;
  readonly proj_out: Conv2d | Linear;
  readonly inner: number;

  constructor(readonly o: Transformer2DModelOptions) {
    super();
    const dtype = o.dtype ?? 'float32';
    const inner = o.heads * o.dimHead;
    this.inner = inner;
    this.norm = this.addModule('norm', new GroupNorm(o.normGroups, o.inChannels, 1e-6));
    this.proj_in = this.addModule('proj_in', o.useLinearProjection ? new Linear(o.inChannels, inner, { dtype }) : new Conv2d(o.inChannels, inner, 1, { dtype }));
    const blocks: BasicTransformerBlock[] = [];
    for (let i = 0; i < o.layers; i++) {
      blocks.push(new BasicTransformerBlock({
        dim: inner, heads: o.heads, dimHead: o.dimHead, crossAttentionDim: o.crossAttentionDim,
        upcastAttention: o.upcastAttention ?? false, dtype, impl: o.impl ?? 'matmul',
      }));
    }
    this.transformer_blocks = this.addModule('transformer_blocks', new ModuleList(blocks));
    this.proj_out = this.addModule('proj_out', o.useLinearProjection ? new Linear(inner, o.inChannels, { dtype }) : new Conv2d(inner, o.inChannels, 1, { dtype }));
  }

  /** x [B, C, H, W], context [B, S, crossAttentionDim] → [B, C, H, W]. */
  forward(x: Value, context: Value): Value {
    return this.scoped(x, () => {
      const [b, c, hh, ww] = x.shape as [number | string, number, number, number];
      const toTokens = (v: Value): Value => reshape(transpose(v, [0, 2, 3, 1]), [b, hh * ww, v.shape[1]!]);
      const toMap = (v: Value, ch: number): Value => transpose(reshape(v, [b, hh, ww, ch]), [0, 3, 1, 2]);
      let h = this.norm.forward(x);
      h = this.o.useLinearProjection ? this.proj_in.forward(toTokens(h)) : toTokens(this.proj_in.forward(h));
      for (const block of this.transformer_blocks) h = block.forward(h, context);
      h = this.o.useLinearProjection ? toMap(this.proj_out.forward(h), c) : this.proj_out.forward(toMap(h, this.inner));
      return h.graph.node1('Add', [h, x], {}, spec(x.dtype, x.shape));
    });
  }
}
