// Convolutions and pooling over N-d spatial axes (NC[D]HW layout), with torch's argument conventions.
import { type Value, attr, graphOf, spec } from '../ir/graph.js';
import { type Dim, fmtShape, graphError } from '../ir/shape.js';

/** A per-axis value given once for all spatial axes or per axis (torch `_pair`). */
export type PerAxis = number | readonly number[];

export function perAxis(op: string, what: string, v: PerAxis | undefined, n: number, dflt: number): number[] {
  if (v === undefined) return new Array<number>(n).fill(dflt);
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (v.length !== n) throw graphError(op, `${what} needs 1 or ${n} values, got [${v.join(', ')}]`);
  return [...v];
}

/**
 * ONNX pads [x1_begin, x2_begin, ..., x1_end, x2_end, ...] from torch-style padding: one number, one per axis
 * (symmetric), or explicit begin/end pairs in ONNX order (2n values).
 */
export function onnxPads(op: string, padding: PerAxis | undefined, n: number): number[] {
  if (padding !== undefined && typeof padding !== 'number' && padding.length === 2 * n) return [...padding];
  const p = perAxis(op, 'padding', padding, n, 0);
  return [...p, ...p];
}

export interface ConvOptions {
  stride?: PerAxis;
  /** Per-axis symmetric padding, or ONNX [begin..., end...] pads. */
  padding?: PerAxis;
  dilation?: PerAxis;
  groups?: number;
}

export interface ConvGeometry {
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
  kernel: number[];
}

function spatial(op: string, x: Value, w: Value): number[] {
  if (x.rank < 3 || w.rank !== x.rank) throw graphError(op, `input ${x} and weight ${w} must both be N×C×spatial of equal rank`);
  const s = x.shape.slice(2);
  if (!s.every((d): d is number => typeof d === 'number')) throw graphError(op, `spatial dimensions of ${x} must be static`);
  return s as number[];
}

function convGeometry(op: string, w: Value, n: number, o: ConvOptions): ConvGeometry {
  const kernel = w.shape.slice(2) as number[];
  if (!kernel.every((d) => typeof d === 'number')) throw graphError(op, `kernel of ${w} must be static`);
  const group = o.groups ?? 1;
  if (!Number.isInteger(group) || group < 1) throw graphError(op, `groups must be a positive integer, got ${group}`);
  return {
    strides: perAxis(op, 'stride', o.stride, n, 1),
    pads: onnxPads(op, o.padding, n),
    dilations: perAxis(op, 'dilation', o.dilation, n, 1),
    group,
    kernel,
  };
}

export function convAttrs(geo: ConvGeometry, extra: Record<string, readonly number[]> = {}): Record<string, ReturnType<typeof attr.ints>> {
  const a: Record<string, ReturnType<typeof attr.ints>> = {
    dilations: attr.ints(geo.dilations),
    group: attr.int(geo.group),
    kernel_shape: attr.ints(geo.kernel),
    pads: attr.ints(geo.pads),
    strides: attr.ints(geo.strides),
  };
  for (const [k, v] of Object.entries(extra)) a[k] = attr.ints(v);
  return a;
}

/** Output size of a convolution along one axis. */
export function convOutSize(len: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((len + p0 + p1 - d * (k - 1) - 1) / s) + 1;
}

/** torch.nn.functional.conv{1,2,3}d: x [N, Cin, ...], w [Cout, Cin/groups, k...], b [Cout]. */
export function conv(x: Value, w: Value, b: Value | null = null, o: ConvOptions = {}): Value {
  const op = 'Conv';
  const sp = spatial(op, x, w);
  const geo = convGeometry(op, w, sp.length, o);
  const cin = x.shape[1];
  const cout = w.shape[0] as number;
  if (typeof cin !== 'number' || cin !== (w.shape[1] as number) * geo.group || cout % geo.group !== 0) {
    throw graphError(op, `input ${fmtShape(x.shape)} and weight ${fmtShape(w.shape)} do not fit with groups=${geo.group}`);
  }
  if (b && (b.rank !== 1 || b.shape[0] !== cout)) throw graphError(op, `bias ${b} must be [${cout}]`);
  const out: Dim[] = [x.shape[0]!, cout];
  sp.forEach((len, i) => {
    const o2 = convOutSize(len, geo.kernel[i]!, geo.strides[i]!, geo.dilations[i]!, geo.pads[i]!, geo.pads[i + sp.length]!);
    if (o2 < 1) throw graphError(op, `kernel ${fmtShape(geo.kernel)} does not fit input ${fmtShape(x.shape)} with pads [${geo.pads.join(', ')}]`);
    out.push(o2);
  });
  return graphOf(op, x, w, b).node1(op, b ? [x, w, b] : [x, w], convAttrs(geo), spec(x.dtype, out));
}

export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: PerAxis;
}

/** torch.nn.functional.conv_transpose{1,2,3}d: w [Cin, Cout/groups, k...]. */
export function convTranspose(x: Value, w: Value, b: Value | null = null, o: ConvTransposeOptions = {}): Value {
  const op = 'ConvTranspose';
  const sp = spatial(op, x, w);
  const geo = convGeometry(op, w, sp.length, o);
  const outPad = perAxis(op, 'output_padding', o.outputPadding, sp.length, 0);
  if (x.shape[1] !== w.shape[0] || (w.shape[0] as number) % geo.group !== 0) {
    throw graphError(op, `input ${fmtShape(x.shape)} and weight ${fmtShape(w.shape)} do not fit with groups=${geo.group}`);
  }
  const cout = (w.shape[1] as number) * geo.group;
  if (b && (b.rank !== 1 || b.shape[0] !== cout)) throw graphError(op, `bias ${b} must be [${cout}]`);
  const out: Dim[] = [x.shape[0]!, cout];
  sp.forEach((len, i) => {
    if (outPad[i]! >= Math.max(geo.strides[i]!, geo.dilations[i]!)) throw graphError(op, `output_padding ${outPad[i]} must be smaller than stride or dilation`);
    out.push((len - 1) * geo.strides[i]! - geo.pads[i]! - geo.pads[i + sp.length]! + geo.dilations[i]! * (geo.kernel[i]! - 1) + outPad[i]! + 1);
  });
  const extra: Record<string, readonly number[]> = outPad.some((p) => p !== 0) ? { output_padding: outPad } : {};
  return graphOf(op, x, w, b).node1(op, b ? [x, w, b] : [x, w], convAttrs(geo, extra), spec(x.dtype, out));
}

export interface PoolOptions {
  stride?: PerAxis;
  padding?: PerAxis;
  dilation?: PerAxis;
  ceilMode?: boolean;
}

function poolShape(op: string, x: Value, kernel: number[], o: PoolOptions): { out: Dim[]; strides: number[]; pads: number[]; dilations: number[] } {
  const n = x.rank - 2;
  if (n < 1 || !x.shape.slice(2).every((d) => typeof d === 'number')) throw graphError(op, `input ${x} must be N×C×spatial with static spatial dims`);
  const strides = perAxis(op, 'stride', o.stride, n, 0).map((s, i) => (s === 0 ? kernel[i]! : s)); // torch: stride defaults to kernel
  const pads = onnxPads(op, o.padding, n);
  const dilations = perAxis(op, 'dilation', o.dilation, n, 1);
  const out: Dim[] = [x.shape[0]!, x.shape[1]!];
  for (let i = 0; i < n; i++) {
    const len = x.shape[i + 2] as number;
    const span = len + pads[i]! + pads[i + n]! - dilations[i]! * (kernel[i]! - 1) - 1;
    let size = (o.ceilMode ? Math.ceil(span / strides[i]!) : Math.floor(span / strides[i]!)) + 1;
    if (o.ceilMode && (size - 1) * strides[i]! >= len + pads[i]!) size--; // last window must start inside (torch)
    if (size < 1) throw graphError(op, `kernel [${kernel.join(', ')}] does not fit ${x}`);
    out.push(size);
  }
  return { out, strides, pads, dilations };
}

/** torch max_pool{1,2,3}d (stride defaults to the kernel size). */
export function maxPool(x: Value, kernel: PerAxis, o: PoolOptions = {}): Value {
  const k = perAxis('MaxPool', 'kernel_size', kernel, x.rank - 2, 1);
  const { out, strides, pads, dilations } = poolShape('MaxPool', x, k, o);
  const attrs = { kernel_shape: attr.ints(k), strides: attr.ints(strides), pads: attr.ints(pads), dilations: attr.ints(dilations), ceil_mode: attr.int(o.ceilMode ? 1 : 0) };
  return x.graph.node1('MaxPool', [x], attrs, spec(x.dtype, out));
}

export interface AvgPoolOptions extends PoolOptions {
  /** torch default true (ONNX's default is false). */
  countIncludePad?: boolean;
}

/** torch avg_pool{1,2,3}d (stride defaults to the kernel size; count_include_pad defaults to true). */
export function avgPool(x: Value, kernel: PerAxis, o: AvgPoolOptions = {}): Value {
  const k = perAxis('AveragePool', 'kernel_size', kernel, x.rank - 2, 1);
  const { out, strides, pads } = poolShape('AveragePool', x, k, { ...o, dilation: 1 });
  const attrs = {
    kernel_shape: attr.ints(k), strides: attr.ints(strides), pads: attr.ints(pads),
    ceil_mode: attr.int(o.ceilMode ? 1 : 0), count_include_pad: attr.int(o.countIncludePad === false ? 0 : 1),
  };
  return x.graph.node1('AveragePool', [x], attrs, spec(x.dtype, out));
}
