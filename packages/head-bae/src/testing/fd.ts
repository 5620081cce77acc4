// Central finite-difference check of a graph-built function's gradients w.r.t. its inputs and parameters, run
// in onnxruntime: loss = Σ y·R with a fixed random R; analytic gradients come from @diff2in1/graph's `grad`.
import { GraphBuilder, type Param, type Value, grad, mul, reduceSum, serialize, cast } from '@diff2in1/graph';
import { createSession } from '@diff2in1/runtime';
import { type Rng, Tensor } from '@diff2in1/tensor';

export interface FdTarget {
  /** A graph input (by name) or a parameter (fed as a graph input named after it). */
  name: string;
  /** Elements checked (default 6). */
  samples?: number;
}

/**
 * Builds `build(g)` in a graph whose params are inputs, checks d(Σ y·R)/d(target) at sampled elements of each
 * target against central differences of step h. Returns the worst relative error per target.
 */
export async function fdCheck(o: {
  build: (g: GraphBuilder) => Value;
  feeds: Record<string, Tensor>;
  params: readonly Param[];
  targets: readonly FdTarget[];
  rng: Rng;
  h?: number;
}): Promise<Record<string, number>> {
  const g = new GraphBuilder('fd', { params: 'input' });
  const y = o.build(g);
  const n = y.shape.reduce<number>((p, d) => p * (d as number), 1);
  const r = y.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) r[i] = o.rng.uniform() * 2 - 1;
  const rv = g.constant(y.dtype === 'float64' ? new Tensor('float64', y.shape as number[], r as Float64Array) : new Tensor('float32', y.shape as number[], r as Float32Array));
  const loss = reduceSum(mul(y, rv));
  g.output('loss64', reduceSum(mul(cast(y, 'float64'), cast(rv, 'float64'))));
  const byName = new Map<string, Value>([...g.inputs].map((v) => [v.name, v]));
  const wrt = o.targets.map((t) => {
    const v = byName.get(t.name);
    if (!v) throw new Error(`fdCheck: '${t.name}' is not an input; inputs: ${[...byName.keys()].join(', ')}`);
    return v;
  });
  grad(loss, wrt).forEach((d, i) => g.output(`d${i}`, d));
  const feeds: Record<string, Tensor> = { ...o.feeds };
  for (const p of o.params) if (byName.has(p.name)) feeds[p.name] = p.data.clone();
  const s = await createSession(serialize(g), { device: 'cpu', intraOpThreads: 1, name: 'fd' });
  const h = o.h ?? 1e-2;
  const out: Record<string, number> = {};
  try {
    const analytic = await s.run(feeds);
    for (const [i, t] of o.targets.entries()) {
      const data = feeds[t.name]!.data as Float32Array | Float64Array;
      const d = analytic[`d${i}`]!.data as Float32Array | Float64Array;
      let num = 0;
      let den = 1e-6;
      for (let k = 0; k < (t.samples ?? 6); k++) {
        // prefer elements with a sizeable gradient so the check is not trivially 0 ≈ 0
        let j = o.rng.int(data.length);
        for (let tries = 0; tries < 8 && Math.abs(d[j]!) < 1e-3; tries++) j = o.rng.int(data.length);
        const x0 = data[j]!;
        data[j] = x0 + h;
        const lp = (await s.run(feeds, ['loss64'])).loss64!.data[0] as number;
        data[j] = x0 - h;
        const lm = (await s.run(feeds, ['loss64'])).loss64!.data[0] as number;
        data[j] = x0;
        const fd = (lp - lm) / (2 * h);
        num = Math.max(num, Math.abs(fd - d[j]!));
        den = Math.max(den, Math.abs(fd));
      }
      out[t.name] = num / den;
    }
  } finally {
    await s.release();
  }
  return out;
}
