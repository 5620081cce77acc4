// SNmodule, the adapter of the official Diff-2-in-1 code (ldm/models/sn_module.py) over the `all` taps: every
// down/mid/up block output grouped by resolution into low / mid / high / highest (strides 64 / 32 / 16 / 8 for
// SD v1-5 at 512²). Per group: the tensors are concatenated (upstream resizes each, then concatenates — equal,
// since resizing is per channel); low, mid and high are resized ×2 (bilinear, align_corners=False) and reduced
// by a 1×1 conv; fused coarse to fine by SegBlocks; the finest is then brought to ½ and ¼ of its stride by
// BatchNorm → ReLU → ConvTranspose2d(2, 2) → BatchNorm (+ a bilinear ×2 skip for the last). Outputs, coarse first:
//   low_feat_out  [low ch]   stride s_low/2       mid_feat_out [mid ch]  s_mid/2      high_feat [high ch] s_high/2
//   image_feature_1 [up1 ch] s_highest/2          image_feature_2_before_relu [up2 ch] s_highest/4
// For SD at 512² that is 2048@1/32, 176@1/16, 64@1/8, 40@1/4, 24@1/2: the five inputs of Bae et al.'s decoder.
// Upstream applies nn.ReLU(inplace=True) to image_feature_1_before_relu, so the tensor it returns under that
// name is ReLU'd; we return it ReLU'd as well (the golden checks it).
// Upstream hard-codes 16 / 32 / 64 / 128-pixel sizes (a 512² image); here each size is 2× the group's own, equal
// for 512² and valid for any size whose groups halve stride by stride.
// The state_dict of upstream's SNmodule also holds a transformer decoder, an MLP and to_k / to_q that its forward
// never uses; they are not modelled (SN_MODULE_UNUSED_PREFIXES; loadSNModuleState skips them).
import { BatchNorm2d, ConvTranspose2d, Module, Conv2d, Sequential, type LoadReport, type StateSource, type Value, concat, interpolate, loadStateDict, relu } from '@diff2in1/graph';
import { Diff2in1Error, Rng, type Tensor } from '@diff2in1/tensor';
import { type PyramidFeature, type PyramidLevel, type PyramidRequest, type TapSpec, type TapValues, checkTaps, groupByStride, tapValue } from './levels.js';
import { SegBlock } from './seg-block.js';

/** Output widths of SNmodule; SD v1-5 values in OFFICIAL_SN_CHANNELS. */
export interface SNModuleChannels {
  low: number;
  mid: number;
  high: number;
  highest: number;
  up1: number;
  up2: number;
}

/** ldm/models/sn_module.py: low 2048, mid 176, high 64, highest 64, conv_up1 40, conv_up2 24. */
export const OFFICIAL_SN_CHANNELS: Readonly<SNModuleChannels> = { low: 2048, mid: 176, high: 64, highest: 64, up1: 40, up2: 24 };

/** State-dict prefixes of upstream SNmodule that its forward never reads. */
export const SN_MODULE_UNUSED_PREFIXES: readonly string[] = ['transfromer_decoder.', 'mlp.', 'to_k.', 'to_q.'];

export const SN_GROUP_NAMES = ['low', 'mid', 'high', 'highest'] as const;

export interface SNModuleConfig {
  /** The `all` taps (any tap set with exactly four strides, each half the previous). */
  taps: readonly TapSpec[];
  channels?: Partial<SNModuleChannels>;
  /** Seeds the SNConv2d u0 vectors (torch.randn upstream); parameters come from initParameters / a checkpoint. */
  seed?: number;
}

/** The output levels SNmodule produces for taps whose coarsest stride is `sLow`, with widths `c`. */
export function snModuleLevels(sLow: number, c: SNModuleChannels): PyramidLevel[] {
  return [
    { stride: sLow / 2, channels: c.low },
    { stride: sLow / 4, channels: c.mid },
    { stride: sLow / 8, channels: c.high },
    { stride: sLow / 16, channels: c.up1 },
    { stride: sLow / 32, channels: c.up2 },
  ];
}

/** SNmodule widths that serve `request` (which must ask for exactly SNmodule's five output strides). */
export function snChannelsFor(taps: readonly TapSpec[], request: PyramidRequest, highest?: number): SNModuleChannels {
  const sLow = Math.max(...taps.map((t) => t.stride));
  const want = snModuleLevels(sLow, { ...OFFICIAL_SN_CHANNELS }).map((l) => l.stride);
  const by = new Map(request.levels.map((l) => [l.stride, l.channels]));
  if (request.levels.length !== 5 || want.some((s) => !by.has(s))) {
    throw new Diff2in1Error('feature-pyramid', `SNmodule (adapter 'sn-module') produces strides ${want.join(', ')} for taps whose coarsest stride is ${sLow}; the head asks for ${request.levels.map((l) => l.stride).join(', ')}. Use the 'eq9' adapter for other pyramids`);
  }
  const [low, mid, high, up1, up2] = want.map((s) => by.get(s)!) as [number, number, number, number, number];
  return { low, mid, high, highest: highest ?? high, up1, up2 };
}

const conv1x1 = (cin: number, cout: number): Sequential => new Sequential(new Conv2d(cin, cout, 1, { bias: false }));

export class SNModule extends Module {
  readonly kind = 'sn-module';
  readonly channels: SNModuleChannels;
  readonly groups: { stride: number; taps: TapSpec[]; channels: number }[];
  readonly levels: PyramidLevel[];
  readonly lowFeatureConv: Sequential;
  readonly midFeatureConv: Sequential;
  readonly midFeatureMixConv: SegBlock;
  readonly highFeatureConv: Sequential;
  readonly highFeatureMixConv: SegBlock;
  readonly highestFeatureConv: Sequential;
  readonly highestFeatureMixConv: SegBlock;
  readonly bnUp0: BatchNorm2d;
  readonly convUp1: ConvTranspose2d;
  readonly bnUp1: BatchNorm2d;
  readonly convUp2: ConvTranspose2d;
  readonly bnUp2: BatchNorm2d;

  constructor(config: SNModuleConfig) {
    super();
    checkTaps('SNmodule', config.taps);
    this.groups = groupByStride(config.taps);
    const strides = this.groups.map((g) => g.stride);
    if (this.groups.length !== 4 || strides.some((s, i) => i > 0 && s * 2 !== strides[i - 1])) {
      throw new Diff2in1Error('feature-pyramid', `SNmodule needs taps at exactly four strides, each half the previous (low, mid, high, highest; 64, 32, 16, 8 for SD at 512²), got strides ${strides.join(', ')}`);
    }
    const c = (this.channels = { ...OFFICIAL_SN_CHANNELS, ...config.channels });
    const [gLow, gMid, gHigh, gHighest] = this.groups.map((g) => g.channels) as [number, number, number, number];
    const rng = new Rng(config.seed ?? 0);
    // registration order = upstream's __init__ order (state_dict order)
    this.lowFeatureConv = this.addModule('low_feature_conv', conv1x1(gLow, c.low));
    this.midFeatureConv = this.addModule('mid_feature_conv', conv1x1(gMid, c.mid));
    this.midFeatureMixConv = this.addModule('mid_feature_mix_conv', new SegBlock(c.low + c.mid, c.mid, rng.fork('mid')));
    this.highFeatureConv = this.addModule('high_feature_conv', conv1x1(gHigh, c.high));
    this.highFeatureMixConv = this.addModule('high_feature_mix_conv', new SegBlock(c.mid + c.high, c.high, rng.fork('high')));
    this.highestFeatureConv = this.addModule('highest_feature_conv', conv1x1(gHighest, c.highest));
    this.highestFeatureMixConv = this.addModule('highest_feature_mix_conv', new SegBlock(c.high + c.highest, c.highest, rng.fork('highest')));
    this.bnUp0 = this.addModule('bn_up0', new BatchNorm2d(c.highest));
    this.convUp1 = this.addModule('conv_up1', new ConvTranspose2d(c.highest, c.up1, 2, { stride: 2 }));
    this.bnUp1 = this.addModule('bn_up1', new BatchNorm2d(c.up1));
    this.convUp2 = this.addModule('conv_up2', new ConvTranspose2d(c.highest + c.up1, c.up2, 2, { stride: 2 }));
    this.bnUp2 = this.addModule('bn_up2', new BatchNorm2d(c.up2));
    this.levels = snModuleLevels(strides[0]!, c);
  }

  /** One group's taps concatenated on channels, in tap order. */
  private group(features: TapValues, i: number): Value {
    const vs = this.groups[i]!.taps.map((t) => tapValue('SNmodule', features, t));
    return vs.length === 1 ? vs[0]! : concat(vs, 1);
  }

  /** The five pyramid levels (see the file comment), coarse to fine, as `levels` describes them. */
  forward(features: TapValues): PyramidFeature[] {
    const [low, mid, high, highest] = [0, 1, 2, 3].map((i) => this.group(features, i)) as [Value, Value, Value, Value];
    return this.scoped(low, () => {
      const up2x = (x: Value): Value => interpolate(x, { size: [2 * (x.shape[2] as number), 2 * (x.shape[3] as number)], mode: 'bilinear', alignCorners: false });
      const lowOut = this.lowFeatureConv.forward(up2x(low));
      const midIn = concat([up2x(lowOut), this.midFeatureConv.forward(up2x(mid))], 1);
      const midOut = this.midFeatureMixConv.forward(midIn);
      const highIn = concat([up2x(midOut), this.highFeatureConv.forward(up2x(high))], 1);
      const highOut = this.highFeatureMixConv.forward(highIn);
      const highestIn = concat([highOut, this.highestFeatureConv.forward(highest)], 1);
      const image = this.highestFeatureMixConv.forward(highestIn);

      const f0 = relu(this.bnUp0.forward(image));
      const f1 = relu(this.bnUp1.forward(this.convUp1.forward(f0))); // ReLU'd in place upstream (see above)
      const f2 = this.bnUp2.forward(this.convUp2.forward(concat([f1, up2x(f0)], 1)));
      return [lowOut, midOut, highOut, f1, f2].map((value, i) => ({ ...this.levels[i]!, value }));
    });
  }
}

/**
 * Loads an upstream SNmodule state dict (e.g. a `checkpoint_<epoch>.pth` converted to safetensors) by name,
 * skipping the entries of its unused transformer / MLP / to_k / to_q (strict about everything else).
 */
export function loadSNModuleState(m: SNModule, source: StateSource, opts: { file?: string } = {}): LoadReport & { skipped: string[] } {
  const entries = source instanceof Map ? [...(source as Map<string, Tensor>).entries()] : isNamed(source) ? source.names().map((n) => [n, source.get(n)] as [string, Tensor]) : Object.entries(source);
  const skipped = entries.filter(([k]) => SN_MODULE_UNUSED_PREFIXES.some((p) => k.startsWith(p))).map(([k]) => k);
  const kept = new Map(entries.filter(([k]) => !skipped.includes(k)));
  const report = loadStateDict(m, kept, { strict: true, file: opts.file });
  return { ...report, skipped };
}

function isNamed(s: StateSource): s is Extract<StateSource, { names(): string[] }> {
  return typeof (s as { names?: unknown }).names === 'function';
}
