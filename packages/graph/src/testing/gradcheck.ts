// Central finite-difference gradient checks of graph-built functions, run in onnxruntime.
// loss = Σ y·R with a fixed random R, so every output element contributes; analytic gradients come from `grad`.
import { createSession } from '@diff2in1/runtime';
import { type Rng, Tensor } from '@diff2in1/tensor';
import { GraphBuilder, type Value } from '../ir/graph.js';
import { grad } from '../grad/index.js';
import { cast, mul } from '../ops/elementwise.js';
import { reduceSum } from '../ops/reduce.js';
import { serialize } from '../proto/serialize.js';

export interface CheckInput {
  shape: number[];
  /** Data (default: uniform in [lo, hi)). */
  data?: ArrayLike<number>;
  lo?: number;
  hi?: number;
  /** Differentiate with respect to this input (default true). */
  grad?: boolean;
  dtype?: 'float32' | 'float64' | 'int64';
}

export interface CheckOptions {
  dtype: 'float32' | 'float64';
  inputs: CheckInput[];
  build: (...xs: Value[]) => Value;
  rng: Rng;
  /** Elements checked per input (default 10). */
  samples?: number;
  /** Finite-difference step (default 1e-2 for float32, 1e-6 for float64). */
  h?: number;
}

export interface CheckResult {
  /** max |analytic − numeric| / max |numeric| over the sampled elements, per differentiated input. */
  errors: number[];
  maxError: number;
}

function makeTensor(dtype: 'float32' | 'float64' | 'int64', shape: number[], data: ArrayLike<number>): Tensor {
  if (dtype === 'int64') return new Tensor('int64', shape, BigInt64Array.from(Array.from(data, (v) => BigInt(v))));
  return dtype === 'float64' ? new Tensor('float64', shape, Float64Array.from(data)) : new Tensor('float32', shape, Float32Array.from(data));
}

export async function gradCheck(o: CheckOptions): Promise<CheckResult> {
  const g = new GraphBuilder('gradcheck');
  const specs = o.inputs.map((inp) => ({ ...inp, dtype: inp.dtype ?? o.dtype }));
  const xs = specs.map((s, i) => g.input(`x${i}`, s.dtype, s.shape));
  const y = o.build(...xs);
  const n = y.shape.reduce<number>((p, d) => p * (d as number), 1);
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = o.rng.uniform() * 2 - 1;
  const loss = reduceSum(mul(y, g.constant(makeTensor(y.dtype as 'float32', y.shape as number[], r))));
  g.output('loss64', reduceSum(mul(cast(y, 'float64'), g.constant(makeTensor('float64', y.shape as number[], r)))));
  const wrt = specs.map((s, i) => (s.grad !== false && s.dtype !== 'int64' ? i : -1)).filter((i) => i >= 0);
  const grads = grad(loss, wrt.map((i) => xs[i]!));
  grads.forEach((d, k) => g.output(`d${k}`, d));
  const session = await createSession(serialize(g), { device: 'cpu', intraOpThreads: 1, name: 'gradcheck' });
  try {
    const base = specs.map((s) => {
      const len = s.shape.reduce((p, d) => p * d, 1);
      const data = s.data ?? Array.from({ length: len }, () => (s.lo ?? -1) + ((s.hi ?? 1) - (s.lo ?? -1)) * o.rng.uniform());
      return makeTensor(s.dtype, s.shape, data);
    });
    const feeds = (): Record<string, Tensor> => Object.fromEntries(base.map((t, i) => [`x${i}`, t]));
    const analytic = await session.run(feeds());
    const h = o.h ?? (o.dtype === 'float32' ? 1e-2 : 1e-6);
    const errors: number[] = [];
    for (let k = 0; k < wrt.length; k++) {
      const t = base[wrt[k]!]!;
      const d = analytic[`d${k}`]!.data as Float32Array | Float64Array;
      const data = t.data as Float32Array | Float64Array;
      const picks = new Set<number>();
      const want = Math.min(o.samples ?? 10, data.length);
      while (picks.size < want) picks.add(o.rng.int(data.length));
      let num = 0;
      let den = 1e-30;
      for (const i of picks) {
        const x0 = data[i]!;
        data[i] = x0 + h;
        const xp = data[i]!;
        const lp = (await session.run(feeds(), ['loss64'])).loss64!.data[0] as number;
        data[i] = x0 - h;
        const xm = data[i]!;
        const lm = (await session.run(feeds(), ['loss64'])).loss64!.data[0] as number;
        data[i] = x0;
        const fd = (lp - lm) / (xp - xm);
        num = Math.max(num, Math.abs(d[i]! - fd));
        den = Math.max(den, Math.abs(fd));
      }
      errors.push(num / den);
    }
    return { errors, maxError: Math.max(0, ...errors) };
  } finally {
    await session.release();
  }
}
