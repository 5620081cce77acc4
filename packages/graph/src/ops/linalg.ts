// Matrix products: MatMul (numpy batching), Gemm, and torch's linear.
import { type Value, attr, graphOf, spec } from '../ir/graph.js';
import { type Dim, broadcastShapes, fmtShape, graphError } from '../ir/shape.js';
import { add } from './elementwise.js';
import { transpose } from './shape.js';

/** Numpy matmul: batch dimensions broadcast; rank-1 operands are promoted and the added axis dropped. */
export function matmul(a: Value, b: Value): Value {
  const op = 'MatMul';
  if (a.dtype !== b.dtype) throw graphError(op, `dtypes differ: ${a} and ${b}`);
  if (a.rank === 0 || b.rank === 0) throw graphError(op, `operands must have rank ≥ 1, got ${a} and ${b}`);
  const as = a.rank === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bs = b.rank === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const k1 = as[as.length - 1]!;
  const k2 = bs[bs.length - 2]!;
  if (k1 !== k2) throw graphError(op, `inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  const batch = broadcastShapes(op, as.slice(0, -2), bs.slice(0, -2));
  const out: Dim[] = [...batch];
  if (a.rank > 1) out.push(as[as.length - 2]!);
  if (b.rank > 1) out.push(bs[bs.length - 1]!);
  return graphOf(op, a, b).node1(op, [a, b], {}, spec(a.dtype, out));
}

export interface GemmOptions {
  alpha?: number;
  beta?: number;
  transA?: boolean;
  transB?: boolean;
}

/** alpha·op(A)·op(B) + beta·C for 2-D A, B; C broadcasts to the result (ONNX Gemm). */
export function gemm(a: Value, b: Value, c: Value | null = null, o: GemmOptions = {}): Value {
  const op = 'Gemm';
  if (a.rank !== 2 || b.rank !== 2) throw graphError(op, `A and B must be 2-D, got ${a} and ${b}`);
  const [m, ka] = o.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = o.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (ka !== kb) throw graphError(op, `inner dimensions differ: A ${fmtShape(a.shape)}${o.transA ? 'ᵀ' : ''} · B ${fmtShape(b.shape)}${o.transB ? 'ᵀ' : ''}`);
  if (c) broadcastShapes(op, c.shape, [m, n]);
  const attrs = {
    ...(o.alpha !== undefined && o.alpha !== 1 ? { alpha: attr.float(o.alpha) } : {}),
    ...(o.beta !== undefined && o.beta !== 1 ? { beta: attr.float(o.beta) } : {}),
    ...(o.transA ? { transA: attr.int(1) } : {}),
    ...(o.transB ? { transB: attr.int(1) } : {}),
  };
  return graphOf(op, a, b, c).node1(op, c ? [a, b, c] : [a, b], attrs, spec(a.dtype, [m, n]));
}

/** torch.nn.functional.linear: x·Wᵀ + b with W [out, in], x [..., in]. */
export function linear(x: Value, w: Value, b?: Value): Value {
  if (w.rank !== 2 || x.shape[x.rank - 1] !== w.shape[1]) throw graphError('Linear', `weight ${w} does not fit input ${x} (need [out, ${x.shape[x.rank - 1]}])`);
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[0])) throw graphError('Linear', `bias ${b} does not fit weight ${w}`);
  if (x.rank === 2) return gemm(x, w, b ?? null, { transB: true });
  const y = matmul(x, transpose(w, [1, 0]));
  return b ? add(y, b) : y;
}
