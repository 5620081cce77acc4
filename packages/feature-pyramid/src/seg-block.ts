// SegBlock of the official Diff-2-in-1 code (ldm/models/sn_module.py): a pre-activation residual block with
// parameter-free batch norms over stored statistics (buffers stored_mean1/var1 over the input channels,
// stored_mean2/var2 over the output channels; momentum 0.1, eps 1e-4), SNConv2d 3×3 convolutions and a 1×1
// SNConv2d shortcut when the channel count changes. upsample=False in every use, so it is not modelled.
//
// Upstream's activation is nn.ReLU(inplace=True) applied to the normalised input, so the shortcut convolves the
// ReLU'd tensor too:  r = relu(bn1(x));  out = conv2(relu(bn2(conv1(r)))) + conv_sc(r)   (checked by the golden).
import { Module, type Param, type Value, add, batchNorm, relu } from '@diff2in1/graph';
import { type Rng, Tensor } from '@diff2in1/tensor';
import { SNConv2d } from './sn-conv2d.js';

const BN_EPS = 1e-4;
const BN_MOMENTUM = 0.1;

function filled(n: number, v: number): Tensor {
  const t = new Tensor('float32', [n]);
  t.data.fill(v);
  return t;
}

export class SegBlock extends Module {
  readonly conv1: SNConv2d;
  readonly conv2: SNConv2d;
  readonly convSc: SNConv2d | undefined;
  readonly storedMean1: Param;
  readonly storedVar1: Param;
  readonly storedMean2: Param;
  readonly storedVar2: Param;

  constructor(readonly inChannels: number, readonly outChannels: number, rng: Rng, o: { eps?: number } = {}) {
    super();
    const eps = o.eps ?? 1e-4; // SNmodule builds its SegBlocks' convs with eps=1e-04
    this.conv1 = this.addModule('conv1', new SNConv2d(inChannels, outChannels, { kernelSize: 3, padding: 1, eps, rng: rng.fork('conv1') }));
    this.conv2 = this.addModule('conv2', new SNConv2d(outChannels, outChannels, { kernelSize: 3, padding: 1, eps, rng: rng.fork('conv2') }));
    this.convSc = inChannels !== outChannels
      ? this.addModule('conv_sc', new SNConv2d(inChannels, outChannels, { kernelSize: 1, padding: 0, eps, rng: rng.fork('conv_sc') }))
      : undefined;
    this.storedMean1 = this.registerBuffer('stored_mean1', filled(inChannels, 0));
    this.storedVar1 = this.registerBuffer('stored_var1', filled(inChannels, 1));
    this.storedMean2 = this.registerBuffer('stored_mean2', filled(outChannels, 0));
    this.storedVar2 = this.registerBuffer('stored_var2', filled(outChannels, 1));
  }

  private norm(x: Value, mean: Param, variance: Param): Value {
    const g = x.graph;
    const r = batchNorm(x, g.param(mean), g.param(variance), null, null, { training: this.training, momentum: BN_MOMENTUM, eps: BN_EPS });
    if (this.training) {
      g.setBuffer(mean, r.runningMean!);
      g.setBuffer(variance, r.runningVar!);
    }
    return r.y;
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const r = relu(this.norm(x, this.storedMean1, this.storedVar1));
      const h = this.conv2.forward(relu(this.norm(this.conv1.forward(r), this.storedMean2, this.storedVar2)));
      return add(h, this.convSc ? this.convSc.forward(r) : r);
    });
  }
}
