// What flows into and out of a feature-pyramid adapter: tapped backbone features (name, channels, stride) and
// pyramid levels (stride, channels). Strides are relative to the INPUT IMAGE (SD v1-5 at 512²: the `vpd` taps
// sit at strides 64, 32, 16, 8; Bae et al.'s decoder reads strides 32, 16, 8, 4, 2).
import { type Dim, type GraphBuilder, type Value } from '@diff2in1/graph';
import { Diff2in1Error } from '@diff2in1/tensor';

/** One tapped backbone feature. */
export interface TapSpec {
  /** The tapped module, e.g. 'up_blocks.1.attentions.1' (used as the key of the feature values). */
  readonly name: string;
  readonly channels: number;
  /** Input-image pixels per feature pixel (a power of two). */
  readonly stride: number;
}

/** One level of a pyramid: its stride (relative to the image) and channel count. */
export interface PyramidLevel {
  readonly stride: number;
  readonly channels: number;
}

/** The levels a head asks for, finest or coarsest first (adapters keep the given order). */
export interface PyramidRequest {
  readonly levels: readonly PyramidLevel[];
}

/** A pyramid level with its graph value [N, channels, H/stride, W/stride]. */
export interface PyramidFeature extends PyramidLevel {
  readonly value: Value;
}

/** Feature values by tap name. */
export type TapValues = Readonly<Record<string, Value>>;

/** A backbone tap as @diff2in1/backbone-sd describes it (stride relative to the latent). */
export interface BackboneTap {
  readonly module: string;
  readonly channels: number;
  readonly stride: number;
}

/** Converts backbone taps (latent strides) to image strides: SD's VAE downsamples by 8. */
export function fromBackboneTaps(taps: readonly BackboneTap[], latentStride = 8): TapSpec[] {
  return taps.map((t) => ({ name: t.module, channels: t.channels, stride: t.stride * latentStride }));
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/** Checks tap specs (unique names, positive channels, power-of-two strides); `where` names the caller. */
export function checkTaps(where: string, taps: readonly TapSpec[]): void {
  if (taps.length === 0) throw new Diff2in1Error('feature-pyramid', `${where}: no taps given`);
  const seen = new Set<string>();
  for (const t of taps) {
    if (seen.has(t.name)) throw new Diff2in1Error('feature-pyramid', `${where}: tap '${t.name}' is listed twice`);
    seen.add(t.name);
    if (!(Number.isInteger(t.channels) && t.channels > 0)) throw new Diff2in1Error('feature-pyramid', `${where}: tap '${t.name}' has channels ${t.channels}; expected a positive integer`);
    if (!isPowerOfTwo(t.stride)) throw new Diff2in1Error('feature-pyramid', `${where}: tap '${t.name}' has stride ${t.stride}; expected a power of two (1, 2, 4, ...)`);
  }
}

/** Taps grouped by stride, coarsest first; taps keep their given (execution) order inside a group. */
export function groupByStride(taps: readonly TapSpec[]): { stride: number; taps: TapSpec[]; channels: number }[] {
  const strides = [...new Set(taps.map((t) => t.stride))].sort((a, b) => b - a);
  return strides.map((stride) => {
    const group = taps.filter((t) => t.stride === stride);
    return { stride, taps: group, channels: group.reduce((s, t) => s + t.channels, 0) };
  });
}

/** The value of each tap, checking presence, channels and spatial size (image / stride). */
export function tapValue(where: string, features: TapValues, tap: TapSpec): Value {
  const v = features[tap.name];
  if (!v) {
    throw new Diff2in1Error('feature-pyramid', `${where}: no feature value for tap '${tap.name}'; given: ${Object.keys(features).join(', ') || '(none)'}`);
  }
  if (v.rank !== 4 || v.shape[1] !== tap.channels) {
    throw new Diff2in1Error('feature-pyramid', `${where}: tap '${tap.name}' must be [N, ${tap.channels}, h, w], got ${v}`);
  }
  return v;
}

/** Spatial size of a level for an image of `image` = [H, W] (SD's stride-2 convs round up). */
export function levelSize(image: readonly [number, number], stride: number): [number, number] {
  return [Math.ceil(image[0] / stride), Math.ceil(image[1] / stride)];
}

/**
 * Graph inputs for the taps, named `tap.<name>`, of shape [batch, C, ⌈H/stride⌉, ⌈W/stride⌉]; returns the values by
 * tap name (what adapters' `forward` takes).
 */
export function tapInputs(g: GraphBuilder, taps: readonly TapSpec[], batch: Dim, image: readonly [number, number], dtype: 'float32' | 'float64' = 'float32'): Record<string, Value> {
  checkTaps('tapInputs', taps);
  const out: Record<string, Value> = {};
  for (const t of taps) out[t.name] = g.input(tapInputName(t.name), dtype, [batch, t.channels, ...levelSize(image, t.stride)]);
  return out;
}

/** The graph input name of a tap. */
export function tapInputName(name: string): string {
  return `tap.${name}`;
}

/** The features of `request`'s levels in its order, checking strides and channels; `where` names the caller. */
export function pickLevels(where: string, features: readonly PyramidFeature[], request: PyramidRequest): PyramidFeature[] {
  return request.levels.map((l) => {
    const f = features.find((x) => x.stride === l.stride);
    if (!f) throw new Diff2in1Error('feature-pyramid', `${where}: no pyramid level at stride ${l.stride}; the adapter gives strides ${features.map((x) => x.stride).join(', ')}`);
    if (f.channels !== l.channels || f.value.shape[1] !== l.channels) {
      throw new Diff2in1Error('feature-pyramid', `${where}: the level at stride ${l.stride} has ${f.channels} channels (${f.value}), the head needs ${l.channels}`);
    }
    return f;
  });
}

/** The `tap.<name>` inputs as {dtype, shape} specs (batch inputs of a compiled training step). */
export function tapShapes(taps: readonly TapSpec[], batch: number, image: readonly [number, number]): Record<string, { dtype: 'float32'; shape: number[] }> {
  checkTaps('tapShapes', taps);
  return Object.fromEntries(taps.map((t) => [tapInputName(t.name), { dtype: 'float32' as const, shape: [batch, t.channels, ...levelSize(image, t.stride)] }]));
}
