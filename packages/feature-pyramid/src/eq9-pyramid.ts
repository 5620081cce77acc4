// The paper's adapter (Diff-2-in-1, appendix A.1):
//   Eq. 9   f_i^proc = Conv(Up(f_{i−1}^raw), f_i^raw)            for adjacent tapped resolutions, i ≥ 1
//   Eq. 10  f_{i+1}^proc = Conv(Up(f_i^proc), Deconv(f_i^proc))  to reach finer strides the taps lack,
//           with Up/Deconv replaced by Down/strided Conv for coarser strides; factor 2, repeated as needed.
// Taps of equal stride are concatenated first (so the `all` taps work as well as `vpd`). The paper leaves the
// convolution unspecified; ours is `block`: 'conv' (a 3×3 conv) or 'conv-gn-relu' (default: 3×3 conv, GroupNorm,
// ReLU). Up = bilinear (align_corners=False) to the finer size; Deconv = ConvTranspose2d(k=2, s=2);
// Down = bilinear to the coarser size (for ×½ exactly a 2×2 average); strided Conv = Conv2d(k=3, s=2, p=1).
// Parameter names (no upstream exists): fuse.<i>.* for Eq. 9 (i = index of the finer tap stride, coarsest = 0),
// extend.<j>.* for Eq. 10 steps in the order they are built; each has conv (+ norm) and resample (deconv / strided
// conv) children.
import { Conv2d, ConvTranspose2d, GroupNorm, Module, ModuleList, type UnaryModule, type Value, concat, interpolate, relu } from '@diff2in1/graph';
import { Diff2in1Error } from '@diff2in1/tensor';
import { type PyramidFeature, type PyramidLevel, type PyramidRequest, type TapSpec, type TapValues, checkTaps, groupByStride, isPowerOfTwo, tapValue } from './levels.js';

export type Eq9Block = 'conv' | 'conv-gn-relu';

export interface Eq9PyramidConfig {
  taps: readonly TapSpec[];
  request: PyramidRequest;
  block?: Eq9Block;
  /** Channels of processed levels the head does not ask for (default: the finer tap group's channels). */
  width?: number;
  /** Kernel of the fusing convolutions (default 3). */
  kernelSize?: number;
}

/** GroupNorm group count: gcd(channels, 32). */
export function gnGroups(c: number): number {
  let a = c;
  let b = 32;
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Conv (+ GroupNorm + ReLU) over a concatenation: the "Conv(·, ·)" of Eq. 9 and Eq. 10. */
export class FuseConv extends Module implements UnaryModule {
  readonly conv: Conv2d;
  readonly norm: GroupNorm | undefined;
  constructor(cin: number, cout: number, block: Eq9Block, k: number) {
    super();
    this.conv = this.addModule('conv', new Conv2d(cin, cout, k, { padding: Math.floor(k / 2) }));
    this.norm = block === 'conv-gn-relu' ? this.addModule('norm', new GroupNorm(gnGroups(cout), cout)) : undefined;
  }
  forward(x: Value): Value {
    const y = this.conv.forward(x);
    return this.norm ? relu(this.norm.forward(y)) : y;
  }
}

/** One Eq. 10 step: ×2 finer (Up ⊕ Deconv) or ×2 coarser (Down ⊕ strided Conv), then FuseConv. */
export class ExtendStep extends Module {
  readonly resample: ConvTranspose2d | Conv2d;
  readonly fuse: FuseConv;
  constructor(readonly direction: 'finer' | 'coarser', cin: number, cout: number, block: Eq9Block, k: number) {
    super();
    this.resample = this.addModule('resample', direction === 'finer'
      ? new ConvTranspose2d(cin, cin, 2, { stride: 2 })
      : new Conv2d(cin, cin, 3, { stride: 2, padding: 1 }));
    this.fuse = this.addModule('fuse', new FuseConv(2 * cin, cout, block, k));
  }
  forward(x: Value): Value {
    const learned = this.resample.forward(x);
    const fixed = interpolate(x, { size: [learned.shape[2] as number, learned.shape[3] as number], mode: 'bilinear', alignCorners: false });
    return this.fuse.forward(concat([fixed, learned], 1));
  }
}

export interface Eq9Plan {
  /** Eq. 9 convolutions that are used: `index` of the finer tap group (coarsest = 0), output stride, channels. */
  processed: { index: number; stride: number; channels: number }[];
  /** Eq. 10 steps in build order. */
  steps: { from: number; to: number; cin: number; cout: number }[];
}

/**
 * Which Eq. 9 convolutions and Eq. 10 steps serve `request` from tap groups at `groups` strides (coarse first).
 * Requested strides finer than every processed level extend from the finest one; all other missing strides from
 * the nearest finer processed level. Processed levels nobody reads are dropped (their parameters would get no
 * gradient).
 */
export function planEq9(groups: readonly { stride: number; channels: number }[], request: PyramidRequest, width?: number): Eq9Plan {
  if (groups.length < 2) throw new Diff2in1Error('feature-pyramid', `Eq. 9 needs taps at two or more strides, got ${groups.map((g) => g.stride).join(', ') || 'none'}`);
  const want = new Map<number, number>();
  for (const l of request.levels) {
    if (!isPowerOfTwo(l.stride) || !(Number.isInteger(l.channels) && l.channels > 0)) throw new Diff2in1Error('feature-pyramid', `requested level {stride ${l.stride}, channels ${l.channels}}: stride must be a power of two and channels a positive integer`);
    if (want.has(l.stride)) throw new Diff2in1Error('feature-pyramid', `requested levels list stride ${l.stride} twice`);
    want.set(l.stride, l.channels);
  }
  if (want.size === 0) throw new Diff2in1Error('feature-pyramid', 'the head requests no pyramid levels');
  const all = groups.slice(1).map((g, j) => ({ index: j + 1, stride: g.stride, channels: want.get(g.stride) ?? width ?? g.channels }));
  const have = new Map(all.map((p) => [p.stride, p.channels]));
  const finest = Math.min(...have.keys());
  const steps: Eq9Plan['steps'] = [];
  const reach = (target: number): void => {
    let from = target < finest ? finest : Math.min(...[...have.keys()].filter((s) => s < target));
    const factor = target < from ? 0.5 : 2;
    while (from !== target) {
      const to = from * factor;
      if (!have.has(to)) {
        const cin = have.get(from)!;
        const cout = want.get(to) ?? cin;
        steps.push({ from, to, cin, cout });
        have.set(to, cout);
      }
      from = to;
    }
  };
  const missing = [...want.keys()].filter((s) => !have.has(s));
  for (const s of missing.filter((x) => x < finest).sort((a, b) => b - a)) if (!have.has(s)) reach(s);
  for (const s of missing.filter((x) => x > finest).sort((a, b) => a - b)) if (!have.has(s)) reach(s);
  const read = new Set([...want.keys(), ...steps.map((s) => s.from)]);
  return { processed: all.filter((p) => read.has(p.stride)), steps };
}

export class Eq9Pyramid extends Module {
  readonly kind = 'eq9';
  readonly groups: { stride: number; taps: TapSpec[]; channels: number }[];
  readonly levels: PyramidLevel[];
  /** Eq. 9 convolutions by finer-group index ('fuse.1', 'fuse.2', ...; unused ones are absent). */
  readonly fuse: Module;
  readonly extend: ModuleList<ExtendStep>;
  readonly plan: Eq9Plan;

  constructor(readonly config: Eq9PyramidConfig) {
    super();
    checkTaps('Eq. 9 pyramid', config.taps);
    this.groups = groupByStride(config.taps);
    const block = config.block ?? 'conv-gn-relu';
    const k = config.kernelSize ?? 3;
    this.plan = planEq9(this.groups, config.request, config.width);
    this.fuse = this.addModule('fuse', new Module());
    for (const p of this.plan.processed) this.fuse.addModule(String(p.index), new FuseConv(this.groups[p.index - 1]!.channels + this.groups[p.index]!.channels, p.channels, block, k));
    this.extend = this.addModule('extend', new ModuleList<ExtendStep>());
    for (const s of this.plan.steps) this.extend.push(new ExtendStep(s.to < s.from ? 'finer' : 'coarser', s.cin, s.cout, block, k));
    this.levels = config.request.levels.map((l) => ({ stride: l.stride, channels: l.channels }));
  }

  /** The requested levels, in the request's order. */
  forward(features: TapValues): PyramidFeature[] {
    const raw = this.groups.map((grp) => {
      const vs = grp.taps.map((t) => tapValue('Eq. 9 pyramid', features, t));
      return vs.length === 1 ? vs[0]! : concat(vs, 1);
    });
    return this.scoped(raw[0]!, () => {
      const have = new Map<number, Value>();
      const fuse = new Map(this.fuse.children());
      for (const p of this.plan.processed) {
        const fine = raw[p.index]!;
        const up = interpolate(raw[p.index - 1]!, { size: [fine.shape[2] as number, fine.shape[3] as number], mode: 'bilinear', alignCorners: false });
        have.set(p.stride, (fuse.get(String(p.index)) as FuseConv).forward(concat([up, fine], 1)));
      }
      this.plan.steps.forEach((s, j) => have.set(s.to, this.extend.at(j).forward(have.get(s.from)!)));
      return this.levels.map((l) => ({ ...l, value: have.get(l.stride)! }));
    });
  }
}
