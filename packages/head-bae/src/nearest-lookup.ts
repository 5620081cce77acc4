// Which ground-truth pixel the UG loss reads for a sampled point. Upstream (losses.py, forward_UG) looks the gt
// up with grid_sample(mode='nearest', align_corners=True) at the point's normalised coordinates, which
// sample_points made in float32: x = (c / float(W−1))·2 − 1. torch's CPU grid sampler unnormalises as
// (x + 1)·((size − 1)/2) and rounds half to even (std::nearbyint); the normals are read with a float64 grid
// (`coord.double()`), the mask with a float32 one, so the two can differ at exact .5 ties. These tables replay
// that arithmetic per level row/column (checked against torch on tie-prone sizes by the golden).

/** Round half to even (std::nearbyint in the default rounding mode). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** The float32 normalised coordinate sample_points gives level index c of n. */
export function levelCoordinate(c: number, n: number): number {
  const f = Math.fround;
  const t = n > 1 ? f(f(c) / f(n - 1)) : NaN; // n = 1: 0/0 upstream too
  return f(f(t * 2) - 1);
}

/** For each index 0..n−1 of a level axis, the gt index of length `size` read by grid_sample 'nearest'. */
export function nearestLookup(n: number, size: number, precision: 'float64' | 'float32'): Int32Array {
  const out = new Int32Array(n);
  const f = precision === 'float32' ? Math.fround : (x: number): number => x;
  const scale = f((size - 1) / 2);
  for (let c = 0; c < n; c++) {
    const src = f(f(levelCoordinate(c, n) + 1) * scale);
    out[c] = Math.min(Math.max(roundHalfEven(src), 0), size - 1);
  }
  return out;
}
