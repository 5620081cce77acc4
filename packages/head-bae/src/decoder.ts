// Bae et al.'s decoder (ICCV 2021) as the official Diff-2-in-1 code uses it (ldm/models/decoder.py, architecture
// 'GN'): conv2 (1×1) on the stride-32 input, UpSampleGN ×4 with the stride-16/8/4/2 inputs, a 3×3 conv to
// (xyz, κ) at stride 8, then three refinement levels (strides 4, 2, 1) whose per-pixel MLPs (Conv1d stacks)
// read the ×2 bilinear (align_corners=True) feature map and the ×2 upsampled coarser prediction.
//   mode 'eval'  (upstream 'test'): every pixel is refined.
//   mode 'train': only sample_points' N = int(0.4·H·W) pixels are refined (70% lowest κ, 30% random from the
//                 rest); the level's output is the upsampled coarser prediction with those pixels replaced.
// Grid-sampling a map at a level pixel (align_corners=True, integer coordinates) equals reading the map's ×2
// align_corners upsampling at that pixel, so sampled features are gathered from the upsampled maps.
// Widths are configurable; OFFICIAL_BAE_CHANNELS gives upstream's. Names are upstream's state_dict keys.
import { Conv2d, Module, ReLU, Sequential, type Value, concat, expand, gatherElements, interpolate, reshape, scatterElements, unsqueeze } from '@diff2in1/graph';
import { Diff2in1Error } from '@diff2in1/tensor';
import { PointConv1d } from './conv1d.js';
import { normNormalize } from './norm-normalize.js';
import { type SampleCounts, sampleCounts, samplePoints } from './sample-points.js';
import { UpSampleGN } from './up-sample-gn.js';

export interface BaeChannels {
  /** Channels of the five inputs x_block4..x_block0 (strides 32, 16, 8, 4, 2). */
  inputs: readonly [number, number, number, number, number];
  /** Outputs of conv2, up1, up2, up3, up4. up1..up4 must be multiples of 8 (GroupNorm(8)). */
  widths: readonly [number, number, number, number, number];
  /** Hidden width of the per-pixel MLPs. */
  hidden: number;
}

/** ldm/models/decoder.py with SNmodule's outputs: inputs 2048/176/64/40/24, widths 2048/1024/512/256/128, MLP 128. */
export const OFFICIAL_BAE_CHANNELS: BaeChannels = { inputs: [2048, 176, 64, 40, 24], widths: [2048, 1024, 512, 256, 128], hidden: 128 };
/** Our small variant for the CPU demo (128² images, tiny SD): the same structure at ~1/16 of the widths. */
export const SMALL_BAE_CHANNELS: BaeChannels = { inputs: [64, 32, 16, 16, 8], widths: [64, 64, 32, 16, 16], hidden: 32 };

/** Input strides of the decoder, relative to the image (x_block4 … x_block0). */
export const BAE_INPUT_STRIDES = [32, 16, 8, 4, 2] as const;
export const BAE_LEVELS = ['res8', 'res4', 'res2', 'res1'] as const;

function mlp(cin: number, hidden: number): Sequential {
  return new Sequential(new PointConv1d(cin, hidden), ReLU(), new PointConv1d(hidden, hidden), ReLU(), new PointConv1d(hidden, hidden), ReLU(), new PointConv1d(hidden, 4));
}

/** Per refinement level (res4, res2, res1) in train mode: the random draw and, optionally, the gt valid mask. */
export interface SamplingInputs {
  perms: readonly (Value | undefined)[];
  validMask?: Value;
}

export interface DecoderOutputs {
  /** out_res8 … out_res1, [B, 4, H/s, W/s] each (train mode: upsampled coarser output with refined samples). */
  outputs: Value[];
  /** Train mode: refined samples per level res4, res2, res1, [B, 4, N]. */
  samplePreds: Value[];
  /** Train mode: sampled pixel indices per level, [B, N] int64 (rows·W + cols). */
  samples: Value[];
}

export class Decoder extends Module {
  readonly conv2: Conv2d;
  readonly up1: UpSampleGN;
  readonly up2: UpSampleGN;
  readonly up3: UpSampleGN;
  readonly up4: UpSampleGN;
  readonly outConvRes8: Conv2d;
  readonly outConvRes4: Sequential;
  readonly outConvRes2: Sequential;
  readonly outConvRes1: Sequential;

  constructor(readonly channels: BaeChannels = OFFICIAL_BAE_CHANNELS, readonly samplingRatio = 0.4, readonly importanceRatio = 0.7) {
    super();
    const [i4, i3, i2, i1, i0] = channels.inputs;
    const [d0, d1, d2, d3, d4] = channels.widths;
    for (const v of [...channels.inputs, ...channels.widths, channels.hidden]) {
      if (!(Number.isInteger(v) && v > 0)) throw new Diff2in1Error('head-bae', `Decoder channels ${JSON.stringify(channels)}: every entry must be a positive integer`);
    }
    this.conv2 = this.addModule('conv2', new Conv2d(i4, d0, 1));
    this.up1 = this.addModule('up1', new UpSampleGN(d0 + i3, d1));
    this.up2 = this.addModule('up2', new UpSampleGN(d1 + i2, d2));
    this.up3 = this.addModule('up3', new UpSampleGN(d2 + i1, d3));
    this.up4 = this.addModule('up4', new UpSampleGN(d3 + i0, d4));
    this.outConvRes8 = this.addModule('out_conv_res8', new Conv2d(d2, 4, 3, { padding: 1 }));
    this.outConvRes4 = this.addModule('out_conv_res4', mlp(d2 + 4, channels.hidden));
    this.outConvRes2 = this.addModule('out_conv_res2', mlp(d3 + 4, channels.hidden));
    this.outConvRes1 = this.addModule('out_conv_res1', mlp(d4 + 4, channels.hidden));
  }

  /** Points per refinement level for an image of [H, W] (levels at strides 4, 2, 1). */
  counts(image: readonly [number, number]): SampleCounts[] {
    return [4, 2, 1].map((s) => sampleCounts(Math.ceil(image[0] / s), Math.ceil(image[1] / s), this.samplingRatio, this.importanceRatio));
  }

  forward(x: readonly [Value, Value, Value, Value, Value], mode: 'train' | 'eval', sampling?: SamplingInputs): DecoderOutputs {
    const [x4, x3, x2, x1, x0] = x;
    return this.scoped(x4, () => {
      const xd0 = this.conv2.forward(x4);
      const xd1 = this.up1.forward(xd0, x3);
      const xd2 = this.up2.forward(xd1, x2);
      const xd3 = this.up3.forward(xd2, x1);
      const xd4 = this.up4.forward(xd3, x0);
      const out8 = normNormalize(this.outConvRes8.forward(xd2));
      const res: DecoderOutputs = { outputs: [out8], samplePreds: [], samples: [] };
      const levels: [Value, Sequential][] = [[xd2, this.outConvRes4], [xd3, this.outConvRes2], [xd4, this.outConvRes1]];
      let prev = out8;
      levels.forEach(([feat, head], i) => {
        const up2 = (v: Value): Value => interpolate(v, { scaleFactor: 2, mode: 'bilinear', alignCorners: true });
        const featMap = up2(feat);
        const init = up2(prev);
        const [b, c, h, w] = featMap.shape as [number, number, number, number];
        const flatFeat = reshape(featMap, [b, c, h * w]);
        const flatInit = reshape(init, [b, 4, h * w]);
        if (mode === 'eval') {
          prev = reshape(normNormalize(head.forward(concat([flatFeat, flatInit], 1))), [b, 4, h, w]);
        } else {
          if (typeof b !== 'number') throw new Diff2in1Error('head-bae', `train mode needs a static batch size, got ${x4}`);
          const counts = sampleCounts(h, w, this.samplingRatio, this.importanceRatio);
          const idx = samplePoints(init, sampling?.validMask, sampling?.perms[i], counts); // [B, N]
          const at = (ch: number): Value => expand(unsqueeze(idx, 1), [b, ch, counts.n]);
          const points = concat([gatherElements(flatFeat, at(c), 2), gatherElements(flatInit, at(4), 2)], 1);
          const pred = normNormalize(head.forward(points)); // [B, 4, N]
          prev = reshape(scatterElements(flatInit, at(4), pred, 2), [b, 4, h, w]);
          res.samplePreds.push(pred);
          res.samples.push(idx);
        }
        res.outputs.push(prev);
      });
      return res;
    });
  }
}
