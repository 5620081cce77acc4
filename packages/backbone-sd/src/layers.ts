// The torch.nn leaf layers SD's modules are made of (Conv2d, Linear, GroupNorm, LayerNorm, Embedding), with
// torch's parameter names and shapes, for graphs in float32 or float16. @diff2in1/graph's own nn modules are
// float32-only; these add the compute dtype (weights of Conv2d / Linear / LayerNorm / Embedding in that dtype)
// and GroupNorm computed in float32 whatever the dtype, as mixed-precision SD does (diffusers upcasts where
// float16 loses range; GroupNorm statistics over 4096 positions are one of those places).
//
// Graph-building choices made for ONNX Runtime's CPU kernels (same numbers as the plain formulas):
//   Linear    → Reshape to 2-D, Gemm(transB = 1) with the weight as stored, Reshape back (MLAS pre-packs B)
//   GroupNorm → Reshape to [N, G, C/G·H·W], InstanceNormalization (one fused kernel), Reshape, per-channel affine
import { Diff2in1Error, type DType, Tensor, float32ToFloat16Bits } from '@diff2in1/tensor';
import {
  type Dim, Module, type Param, type Value, attr, cast, conv, fanInBiasInit, gather, kaimingUniformInit, layerNorm, normalInit, onesInit,
  reshape, spec, zerosInit,
} from '@diff2in1/graph';

/** Compute dtypes of the SD graphs. */
export type SdDType = 'float32' | 'float16';

/** A scalar constant of `dtype` (float16 as its bit pattern). */
export function scalarOf(x: Value, value: number, dtype: DType = x.dtype): Value {
  const t = dtype === 'float16' ? new Tensor('float16', [], Uint16Array.of(float32ToFloat16Bits(value)))
    : dtype === 'float64' ? new Tensor('float64', [], Float64Array.of(value)) : new Tensor('float32', [], Float32Array.of(value));
  return x.graph.constant(t);
}

/** x cast to `dtype` (no node when it already is). */
export function castTo(x: Value, dtype: DType): Value {
  return x.dtype === dtype ? x : cast(x, dtype);
}

/** torch.nn.Conv2d (square kernel, zero padding). */
export class Conv2d extends Module {
  readonly weight: Param;
  readonly bias: Param | undefined;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number,
    readonly o: { stride?: number; padding?: number; bias?: boolean; dtype?: SdDType } = {}) {
    super();
    const dtype = o.dtype ?? 'float32';
    const ws = [outChannels, inChannels, kernel, kernel];
    this.weight = this.registerParameter('weight', ws, kaimingUniformInit(Math.sqrt(5)), { dtype });
    this.bias = o.bias === false ? undefined : this.registerParameter('bias', [outChannels], fanInBiasInit(ws), { dtype });
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      return conv(x, g.param(this.weight), this.bias ? g.param(this.bias) : null, { stride: this.o.stride ?? 1, padding: this.o.padding ?? 0 });
    });
  }
}

/**
 * Reshape to a constant `target` (ONNX semantics: −1 inferred, 0 copies the input's dimension), declaring the
 * result's shape as `out`. For the flattening steps whose size mixes a symbolic batch with numbers, which the
 * builder's `reshape` cannot infer.
 */
export function rawReshape(x: Value, target: readonly number[], out: readonly Dim[]): Value {
  return x.graph.node1('Reshape', [x, x.graph.int64s(target)], {}, spec(x.dtype, out));
}

/** The Reshape target restoring `lead` dims (at most one symbolic, which becomes −1) before a last dim. */
function unflatten(lead: readonly Dim[], last: number): number[] {
  if (lead.filter((d) => typeof d === 'string').length > 1) throw new Diff2in1Error('graph', `Linear: at most one symbolic leading dimension, got [${lead.join(', ')}]`);
  return [...lead.map((d) => (typeof d === 'string' ? -1 : d)), last];
}

/** torch.nn.Linear over the last axis of a tensor of any rank ≥ 2. */
export class Linear extends Module {
  readonly weight: Param;
  readonly bias: Param | undefined;
  constructor(readonly inFeatures: number, readonly outFeatures: number, o: { bias?: boolean; dtype?: SdDType } = {}) {
    super();
    const dtype = o.dtype ?? 'float32';
    this.weight = this.registerParameter('weight', [outFeatures, inFeatures], kaimingUniformInit(Math.sqrt(5)), { dtype });
    this.bias = o.bias === false ? undefined : this.registerParameter('bias', [outFeatures], fanInBiasInit([outFeatures, inFeatures]), { dtype });
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      const lead = x.shape.slice(0, -1);
      const x2 = x.rank === 2 ? x : rawReshape(x, [-1, this.inFeatures], [lead.join('*'), this.inFeatures]);
      const inputs = this.bias ? [x2, g.param(this.weight), g.param(this.bias)] : [x2, g.param(this.weight)];
      const y = g.node1('Gemm', inputs, { transB: attr.int(1) }, spec(x.dtype, [x2.shape[0]!, this.outFeatures]));
      return x.rank === 2 ? y : rawReshape(y, unflatten(lead, this.outFeatures), [...lead, this.outFeatures]);
    });
  }
}

/**
 * torch.nn.GroupNorm, computed in float32 (the input is cast up and the result back down in float16 graphs);
 * weight and bias are float32 in every graph.
 */
export class GroupNorm extends Module {
  readonly weight: Param;
  readonly bias: Param;
  constructor(readonly numGroups: number, readonly numChannels: number, readonly eps: number) {
    super();
    this.weight = this.registerParameter('weight', [numChannels], onesInit());
    this.bias = this.registerParameter('bias', [numChannels], zerosInit());
  }

  forward(x: Value): Value {
    return this.scoped(x, () => {
      const g = x.graph;
      const [n, c] = x.shape as [number | string, number];
      const x32 = castTo(x, 'float32');
      const grouped = reshape(x32, [n, this.numGroups, -1]);
      const ones = g.constant(new Tensor('float32', [this.numGroups], new Float32Array(this.numGroups).fill(1)));
      const zeros = g.constant(new Tensor('float32', [this.numGroups], new Float32Array(this.numGroups)));
      const normed = g.node1('InstanceNormalization', [grouped, ones, zeros], { epsilon: attr.float(this.eps) }, spec('float32', grouped.shape));
      const back = reshape(normed, x.shape);
      const view = [c, ...new Array<number>(x.rank - 2).fill(1)];
      const w = reshape(g.param(this.weight), view);
      const b = reshape(g.param(this.bias), view);
      const y = g.node1('Add', [g.node1('Mul', [back, w], {}, spec('float32', x.shape)), b], {}, spec('float32', x.shape));
      return castTo(y, x.dtype);
    });
  }
}

/** torch.nn.LayerNorm over the last axis (ONNX LayerNormalization, which keeps float32 statistics). */
export class LayerNorm extends Module {
  readonly weight: Param;
  readonly bias: Param;
  constructor(readonly dim: number, readonly eps: number, dtype: SdDType = 'float32') {
    super();
    this.weight = this.registerParameter('weight', [dim], onesInit(), { dtype });
    this.bias = this.registerParameter('bias', [dim], zerosInit(), { dtype });
  }

  forward(x: Value): Value {
    return this.scoped(x, () => layerNorm(x, 1, x.graph.param(this.weight), x.graph.param(this.bias), this.eps));
  }
}

/** torch.nn.Embedding: rows of `weight` for integer ids. */
export class Embedding extends Module {
  readonly weight: Param;
  constructor(readonly num: number, readonly dim: number, dtype: SdDType = 'float32') {
    super();
    this.weight = this.registerParameter('weight', [num, dim], normalInit(), { dtype });
  }

  forward(ids: Value): Value {
    return this.scoped(ids, () => gather(ids.graph.param(this.weight), ids, 0));
  }
}

/** SiLU as x·sigmoid(x) (ORT fuses the pair). */
export function silu(x: Value): Value {
  const g = x.graph;
  return g.node1('Mul', [x, g.node1('Sigmoid', [x], {}, spec(x.dtype, x.shape))], {}, spec(x.dtype, x.shape));
}
