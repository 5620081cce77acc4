// Gradient rules of Conv, ConvTranspose and pooling in standard ONNX ops. Conv: see conv-grads.ts.
// ConvTranspose: dX = Conv(dY, W), dW = im2col(dY) · Xᵀ as one batched MatMul.
import { Tensor } from '@diff2in1/tensor';
import { type Node, type Value, attr, spec } from '../ir/graph.js';
import { graphError } from '../ir/shape.js';
import { mul } from '../ops/elementwise.js';
import { conv, convTranspose } from '../ops/conv.js';
import { im2col } from '../ops/im2col.js';
import { reduceSum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { scatterElements } from '../ops/indexing.js';
import { registerVjp, zeros } from './autodiff.js';
import { batchOuter, convInputGrad, convWeightGrad } from './conv-grads.js';

interface Geo { kernel: number[]; strides: number[]; pads: number[]; dilations: number[]; group: number }

function geometry(n: Node): Geo {
  const ints = (k: string, d: number[]): number[] => {
    const a = n.attrs[k];
    return a && a.kind === 'ints' ? [...a.value] : d;
  };
  const w = n.inputs[1];
  const sp = n.inputs[0]!.rank - 2;
  const kernel = ints('kernel_shape', w ? (w.shape.slice(2) as number[]) : []);
  const g = n.attrs.group;
  return {
    kernel,
    strides: ints('strides', new Array<number>(sp).fill(1)),
    pads: ints('pads', new Array<number>(2 * sp).fill(0)),
    dilations: ints('dilations', new Array<number>(sp).fill(1)),
    group: g && g.kind === 'int' ? g.value : 1,
  };
}

const spatialOf = (v: Value): number[] => v.shape.slice(2) as number[];

registerVjp('Conv', (n, [gy], want) => {
  const [x, w, b] = [n.inputs[0]!, n.inputs[1]!, n.inputs[2]];
  const geo = geometry(n);
  const sp = spatialOf(x);
  return [
    want[0] ? convInputGrad(gy!, w, geo, sp) : undefined,
    want[1] ? convWeightGrad(x, gy!, w, geo) : undefined,
    want[2] && b ? reduceSum(gy!, [0, ...sp.map((_, i) => i + 2)]) : undefined,
  ];
});

registerVjp('ConvTranspose', (n, [gy], want) => {
  const [x, w, b] = [n.inputs[0]!, n.inputs[1]!, n.inputs[2]];
  const geo = geometry(n);
  const sp = spatialOf(x);
  const out = spatialOf(gy!);
  const r = sp.length;
  const dx = want[0] ? conv(gy!, w, null, { stride: geo.strides, padding: geo.pads, dilation: geo.dilations, groups: geo.group }) : undefined;
  let dw: Value | undefined;
  if (want[1]) {
    const padEnd = sp.map((len, i) => Math.max(0, (len - 1) * geo.strides[i]! - geo.pads[i]! + (geo.kernel[i]! - 1) * geo.dilations[i]! - (out[i]! - 1)));
    const cols = im2col(gy!, { kernel: geo.kernel, strides: geo.strides, dilations: geo.dilations, pads: [...geo.pads.slice(0, r), ...padEnd], out: sp }); // [N, Cout·K, L]
    const [cin, opg] = [w.shape[0] as number, w.shape[1] as number];
    const l = sp.reduce((p, d) => p * d, 1);
    const k = geo.kernel.reduce((p, d) => p * d, 1);
    const g = geo.group;
    const xG = reshape(x, [x.shape[0]!, g, cin / g, l]);
    const colsG = reshape(cols, [x.shape[0]!, g, opg * k, l]);
    dw = reshape(batchOuter(xG, colsG), w.shape); // [g, Cin/g, Cout/g·K] → [Cin, Cout/g, ...k]
  }
  const db = want[2] && b ? reduceSum(gy!, [0, ...out.map((_, i) => i + 2)]) : undefined;
  return [dx, dw, db];
});

// MaxPool: recompute with the Indices output (flat offsets into the whole N×C×... tensor), scatter-add dY there.
registerVjp('MaxPool', (n, [gy]) => {
  const x = n.inputs[0]!;
  const g = x.graph;
  const [, idx] = g.node('MaxPool', [x], { ...n.attrs, storage_order: attr.int(0) }, [spec(x.dtype, gy!.shape), spec('int64', gy!.shape)]);
  const flatX = zeros(x, [countOf(x)]);
  const dx = scatterElements(flatX, reshape(idx!, [-1]), reshape(gy!, [-1]), 0, 'add');
  return [reshape(dx, x.shape)];
});

function countOf(x: Value): number {
  const c = x.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : NaN), 1);
  if (!Number.isFinite(c)) throw graphError('MaxPool', `gradient needs a static input shape, got ${x}`);
  return c;
}

// AveragePool: dY divided by each window's divisor, spread back by a depthwise ConvTranspose with a ones kernel.
registerVjp('AveragePool', (n, [gy]) => {
  const x = n.inputs[0]!;
  const geo = geometry(n);
  const sp = spatialOf(x);
  const out = spatialOf(gy!);
  const r = sp.length;
  const cip = n.attrs.count_include_pad;
  const includePad = !!cip && cip.kind === 'int' && cip.value === 1;
  const c = x.shape[1] as number;
  const div = divisors(sp, out, geo, includePad);
  const scaled = mul(gy!, x.graph.constant(toDtype(x.dtype, out, div)));
  const ones = new Tensor(x.dtype, [c, 1, ...geo.kernel]);
  (ones.data as Float32Array).fill(1);
  const outputPadding = sp.map((len, i) => len - ((out[i]! - 1) * geo.strides[i]! - geo.pads[i]! - geo.pads[i + r]! + geo.kernel[i]!));
  if (outputPadding.some((p, i) => p < 0 || p >= geo.strides[i]!)) throw graphError('AveragePool', `gradient not supported for this geometry (ceil_mode windows past the input) in ${n.name}`);
  return [convTranspose(scaled, x.graph.constant(ones), null, { stride: geo.strides, padding: geo.pads, groups: c, outputPadding })];
});

/** 1/divisor of every output position (torch avg_pool: window clipped to the padded input, or to the input). */
function divisors(sp: number[], out: number[], geo: Geo, includePad: boolean): Float64Array {
  const r = sp.length;
  const total = out.reduce((p, d) => p * d, 1);
  const res = new Float64Array(total);
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let count = 1;
    for (let i = r - 1; i >= 0; i--) {
      const o = rem % out[i]!;
      rem = Math.floor(rem / out[i]!);
      const start = o * geo.strides[i]! - geo.pads[i]!;
      const end = Math.min(start + geo.kernel[i]!, sp[i]! + geo.pads[i + r]!);
      count *= includePad ? end - start : Math.min(end, sp[i]!) - Math.max(start, 0);
    }
    res[flat] = 1 / count;
  }
  return res;
}

function toDtype(dtype: Value['dtype'], shape: number[], data: Float64Array): Tensor {
  return dtype === 'float64' ? new Tensor('float64', shape, data) : new Tensor('float32', shape, Float32Array.from(data));
}
