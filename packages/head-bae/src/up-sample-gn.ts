// UpSampleGN (Bae et al.; official Diff-2-in-1 ldm/models/submodules.py): bilinear upsampling (align_corners=True)
// of x to the skip feature's size, concatenation, then _net = [WSConv2d 3×3, GroupNorm(8), LeakyReLU,
// WSConv2d 3×3, GroupNorm(8), LeakyReLU] — state_dict names `_net.0`, `_net.1`, `_net.3`, `_net.4`.
import { GroupNorm, LeakyReLU, Module, Sequential, type Value, concat, interpolate } from '@diff2in1/graph';
import { Diff2in1Error } from '@diff2in1/tensor';
import { WSConv2d } from './ws-conv2d.js';

export class UpSampleGN extends Module {
  readonly net: Sequential;

  constructor(readonly skipInput: number, readonly outputFeatures: number) {
    super();
    if (outputFeatures % 8 !== 0) throw new Diff2in1Error('head-bae', `UpSampleGN: output_features ${outputFeatures} must be a multiple of 8 (GroupNorm(8, C))`);
    this.net = this.addModule('_net', new Sequential(
      new WSConv2d(skipInput, outputFeatures), new GroupNorm(8, outputFeatures), LeakyReLU(),
      new WSConv2d(outputFeatures, outputFeatures), new GroupNorm(8, outputFeatures), LeakyReLU(),
    ));
  }

  forward(x: Value, concatWith: Value): Value {
    return this.scoped(x, () => {
      const up = interpolate(x, { size: [concatWith.shape[2] as number, concatWith.shape[3] as number], mode: 'bilinear', alignCorners: true });
      return this.net.forward(concat([up, concatWith], 1));
    });
  }
}
