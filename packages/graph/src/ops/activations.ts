// Activations with PyTorch semantics. GELU uses ONNX Gelu (opset 20) — one fused kernel in ORT; SiLU and
// QuickGELU are written as x·sigmoid(αx), which ORT fuses and autodiff differentiates through.
import { type Value, attr, spec } from '../ir/graph.js';
import { graphError, normAxis } from '../ir/shape.js';
import { mul, sigmoid } from './elementwise.js';

function requireFloat(op: string, x: Value): void {
  if (x.dtype !== 'float32' && x.dtype !== 'float64' && x.dtype !== 'float16') throw graphError(op, `needs a floating-point input, got ${x}`);
}

/** max(0,x) + alpha·min(0,x) (torch default alpha 0.01). */
export function leakyRelu(x: Value, alpha = 0.01): Value {
  requireFloat('LeakyRelu', x);
  return x.graph.node1('LeakyRelu', [x], { alpha: attr.float(alpha) }, spec(x.dtype, x.shape));
}

/** x for x > 0, alpha·(e^x − 1) otherwise (torch default alpha 1). */
export function elu(x: Value, alpha = 1): Value {
  requireFloat('Elu', x);
  return x.graph.node1('Elu', [x], { alpha: attr.float(alpha) }, spec(x.dtype, x.shape));
}

/** GELU: x·Φ(x) ('none', torch default) or the tanh approximation ('tanh'). */
export function gelu(x: Value, approximate: 'none' | 'tanh' = 'none'): Value {
  requireFloat('Gelu', x);
  if (approximate !== 'none' && approximate !== 'tanh') throw graphError('Gelu', `approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  return x.graph.node1('Gelu', [x], { approximate: attr.string(approximate) }, spec(x.dtype, x.shape));
}

/** SiLU (swish): x·sigmoid(x). */
export function silu(x: Value): Value {
  requireFloat('SiLU', x);
  return mul(x, sigmoid(x));
}

/** QuickGELU (CLIP): x·sigmoid(1.702·x). */
export function quickGelu(x: Value): Value {
  requireFloat('QuickGELU', x);
  return mul(x, sigmoid(mul(x, 1.702)));
}

/** Softmax along `axis` (default last). */
export function softmax(x: Value, axis = -1): Value {
  requireFloat('Softmax', x);
  return x.graph.node1('Softmax', [x], { axis: attr.int(normAxis('Softmax', axis, x.rank)) }, spec(x.dtype, x.shape));
}

/** log(softmax(x)) along `axis` (default last), computed stably by ORT. */
export function logSoftmax(x: Value, axis = -1): Value {
  requireFloat('LogSoftmax', x);
  return x.graph.node1('LogSoftmax', [x], { axis: attr.int(normAxis('LogSoftmax', axis, x.rank)) }, spec(x.dtype, x.shape));
}
