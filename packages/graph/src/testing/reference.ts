// Independent reference implementations (naive loops in float64) that op tests compare ORT's results against,
// plus random test data. Written from the ops' definitions (torch docs / ONNX spec), not from our graph code.
import type { Rng} from '@diff2in1/tensor';
import { Tensor } from '@diff2in1/tensor';

export type Arr = Float64Array;

export function randArray(rng: Rng, n: number, lo = -1, hi = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

export function f32(shape: readonly number[], data: ArrayLike<number>): Tensor<'float32'> {
  return new Tensor('float32', shape, Float32Array.from(data));
}

export function f64(shape: readonly number[], data: ArrayLike<number>): Tensor<'float64'> {
  return new Tensor('float64', shape, Float64Array.from(data));
}

export function i64(shape: readonly number[], data: readonly number[]): Tensor<'int64'> {
  return new Tensor('int64', shape, BigInt64Array.from(data.map((x) => BigInt(x))));
}

/** max |a − b| / max(1e-12, max |b|). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 1e-12;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
}

export function conv2dRef(x: Arr, xs: number[], w: Arr, ws: number[], b: Arr | null, o: { stride: [number, number]; pads: [number, number, number, number]; dilation: [number, number]; groups: number }): { data: Arr; shape: number[] } {
  const [n, cin, h, wd] = xs as [number, number, number, number];
  const [cout, cpg, kh, kw] = ws as [number, number, number, number];
  const [sh, sw] = o.stride;
  const [pt, pl, pb, pr] = o.pads;
  const [dh, dw] = o.dilation;
  const ho = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const opg = cout / o.groups;
  const out = new Float64Array(n * cout * ho * wo);
  for (let bn = 0; bn < n; bn++) for (let co = 0; co < cout; co++) {
    const grp = Math.floor(co / opg);
    for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
      let s = b ? b[co]! : 0;
      for (let ci = 0; ci < cpg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const iy = oy * sh - pt + ky * dh;
        const ix = ox * sw - pl + kx * dw;
        if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
        s += x[((bn * cin + grp * cpg + ci) * h + iy) * wd + ix]! * w[((co * cpg + ci) * kh + ky) * kw + kx]!;
      }
      out[((bn * cout + co) * ho + oy) * wo + ox] = s;
    }
  }
  if (cin !== cpg * o.groups) throw new Error('bad groups');
  return { data: out, shape: [n, cout, ho, wo] };
}

export function convTranspose2dRef(x: Arr, xs: number[], w: Arr, ws: number[], b: Arr | null, o: { stride: [number, number]; pads: [number, number, number, number]; dilation: [number, number]; groups: number; outputPadding: [number, number] }): { data: Arr; shape: number[] } {
  const [n, cin, h, wd] = xs as [number, number, number, number];
  const [, opg, kh, kw] = ws as [number, number, number, number];
  const [sh, sw] = o.stride;
  const [pt, pl, pb, pr] = o.pads;
  const [dh, dw] = o.dilation;
  const cout = opg * o.groups;
  const ipg = cin / o.groups;
  const ho = (h - 1) * sh - pt - pb + dh * (kh - 1) + o.outputPadding[0] + 1;
  const wo = (wd - 1) * sw - pl - pr + dw * (kw - 1) + o.outputPadding[1] + 1;
  const out = new Float64Array(n * cout * ho * wo);
  for (let bn = 0; bn < n; bn++) for (let ci = 0; ci < cin; ci++) {
    const grp = Math.floor(ci / ipg);
    for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < wd; ix++) {
      const xv = x[((bn * cin + ci) * h + iy) * wd + ix]!;
      for (let co = 0; co < opg; co++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const oy = iy * sh - pt + ky * dh;
        const ox = ix * sw - pl + kx * dw;
        if (oy < 0 || oy >= ho || ox < 0 || ox >= wo) continue;
        out[((bn * cout + grp * opg + co) * ho + oy) * wo + ox]! += xv * w[((ci * opg + co) * kh + ky) * kw + kx]!;
      }
    }
  }
  if (b) for (let i = 0; i < out.length; i++) out[i]! += b[Math.floor(i / (ho * wo)) % cout]!;
  return { data: out, shape: [n, cout, ho, wo] };
}

export function pool2dRef(kind: 'max' | 'avg', x: Arr, xs: number[], k: [number, number], s: [number, number], p: [number, number], countIncludePad = true): { data: Arr; shape: number[] } {
  const [n, c, h, w] = xs as [number, number, number, number];
  const ho = Math.floor((h + 2 * p[0] - k[0]) / s[0]) + 1;
  const wo = Math.floor((w + 2 * p[1] - k[1]) / s[1]) + 1;
  const out = new Float64Array(n * c * ho * wo);
  for (let nc = 0; nc < n * c; nc++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
    let acc = kind === 'max' ? -Infinity : 0;
    let cnt = 0;
    for (let ky = 0; ky < k[0]; ky++) for (let kx = 0; kx < k[1]; kx++) {
      const iy = oy * s[0] - p[0] + ky;
      const ix = ox * s[1] - p[1] + kx;
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      const v = x[(nc * h + iy) * w + ix]!;
      acc = kind === 'max' ? Math.max(acc, v) : acc + v;
      cnt++;
    }
    out[(nc * ho + oy) * wo + ox] = kind === 'max' ? acc : acc / (countIncludePad ? k[0] * k[1] : cnt);
  }
  return { data: out, shape: [n, c, ho, wo] };
}

/** Batched matmul of [..., M, K] × [..., K, N] with equal batch sizes. */
export function matmulRef(a: Arr, b: Arr, batch: number, m: number, k: number, n: number): Arr {
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let q = 0; q < k; q++) s += a[(t * m + i) * k + q]! * b[(t * k + q) * n + j]!;
    out[(t * m + i) * n + j] = s;
  }
  return out;
}

/** Normalises groups of `size` consecutive values (biased variance), as group/layer norm do. */
export function normalizeRef(x: Arr, size: number, eps: number): Arr {
  const out = new Float64Array(x.length);
  for (let s = 0; s < x.length; s += size) {
    let mean = 0;
    for (let i = 0; i < size; i++) mean += x[s + i]!;
    mean /= size;
    let v = 0;
    for (let i = 0; i < size; i++) v += (x[s + i]! - mean) ** 2;
    v /= size;
    for (let i = 0; i < size; i++) out[s + i] = (x[s + i]! - mean) / Math.sqrt(v + eps);
  }
  return out;
}

export function softmaxRef(x: Arr, rows: number, cols: number, log = false): Arr {
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let c = 0; c < cols; c++) mx = Math.max(mx, x[r * cols + c]!);
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(x[r * cols + c]! - mx);
    for (let c = 0; c < cols; c++) out[r * cols + c] = log ? x[r * cols + c]! - mx - Math.log(s) : Math.exp(x[r * cols + c]! - mx) / s;
  }
  return out;
}

/** erf by Abramowitz–Stegun 7.1.26 is too coarse; use a series / continued fraction to ~1e-15. */
export function erfRef(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for |x| ≥ 3
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** torch bilinear interpolation of one N×C×H×W tensor, pixel by pixel (upsample_bilinear2d). */
export function bilinearRef(x: Arr, xs: number[], ho: number, wo: number, alignCorners: boolean, scale?: [number, number]): Arr {
  const [n, c, h, w] = xs as [number, number, number, number];
  const src = (o: number, inp: number, out: number, sf?: number): number => {
    if (alignCorners) return out > 1 ? (o * (inp - 1)) / (out - 1) : 0;
    const r = sf !== undefined ? 1 / sf : inp / out;
    return Math.max(r * (o + 0.5) - 0.5, 0);
  };
  const res = new Float64Array(n * c * ho * wo);
  for (let nc = 0; nc < n * c; nc++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
    const sy = src(oy, h, ho, scale?.[0]);
    const sx = src(ox, w, wo, scale?.[1]);
    const y0 = Math.floor(sy);
    const x0 = Math.floor(sx);
    const y1 = Math.min(y0 + 1, h - 1);
    const x1 = Math.min(x0 + 1, w - 1);
    const ly = sy - y0;
    const lx = sx - x0;
    const at = (yy: number, xx: number): number => x[(nc * h + yy) * w + xx]!;
    res[(nc * ho + oy) * wo + ox] = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
  }
  return res;
}

export function nearestRef(x: Arr, xs: number[], ho: number, wo: number): Arr {
  const [n, c, h, w] = xs as [number, number, number, number];
  const res = new Float64Array(n * c * ho * wo);
  for (let nc = 0; nc < n * c; nc++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
    const iy = Math.min(Math.floor((oy * h) / ho), h - 1);
    const ix = Math.min(Math.floor((ox * w) / wo), w - 1);
    res[(nc * ho + oy) * wo + ox] = x[(nc * h + iy) * w + ix]!;
  }
  return res;
}
