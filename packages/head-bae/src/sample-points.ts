// sample_points (Bae et al.; official ldm/models/submodules.py), uncertainty-guided point sampling, as a graph.
// At an H×W level it picks N = int(0.4·H·W) pixels: the first int(0.7·N) of all pixels sorted by uncertainty −κ
// (descending; pixels invalid in the nearest-resized gt mask get −1e4 and sort last), then N − int(0.7·N) pixels
// drawn at random from the REST of that sorted list (upstream: remaining[randperm(len)[:m]] — so invalid pixels
// can be drawn there). The draw is an input (`perm`, m distinct positions in [0, H·W − int(0.7·N))) that the host
// samples from a seeded Rng, which keeps the graph deterministic. Ties are ordered lower index first (ONNX TopK;
// torch's CPU sort leaves their order unspecified). Returns pixel indices rows·W + cols, [N_batch, N] int64.
import { type Value, concat, gatherElements, interpolate, less, neg, reshape, slice, squeeze, stopGradient, topK, where } from '@diff2in1/graph';
import { Diff2in1Error, type Rng, Tensor } from '@diff2in1/tensor';

export interface SampleCounts {
  /** Points per image. */
  n: number;
  /** Lowest-κ points. */
  importance: number;
  /** Random points from the rest. */
  coverage: number;
  /** Length of the list the random points come from. */
  remaining: number;
}

/** N = int(ratio·H·W), k = int(β·N) with Python's float arithmetic (left to right, truncation). */
export function sampleCounts(h: number, w: number, samplingRatio: number, beta: number): SampleCounts {
  const n = Math.trunc(samplingRatio * h * w);
  const importance = Math.trunc(beta * n);
  if (n < 1) throw new Diff2in1Error('head-bae', `sample_points: int(${samplingRatio}·${h}·${w}) = 0 points; the level is too small`);
  return { n, importance, coverage: n - importance, remaining: h * w - importance };
}

/**
 * The random part: `coverage` distinct positions in [0, remaining) for each of `batch` images — the first
 * entries of a uniform random permutation (a partial Fisher–Yates shuffle), as torch.randperm(remaining)[:m].
 */
export function samplePerm(rng: Rng, batch: number, c: SampleCounts): Tensor<'int64'> {
  const out = new BigInt64Array(batch * c.coverage);
  const pool = new Int32Array(c.remaining);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < c.remaining; i++) pool[i] = i;
    for (let i = 0; i < c.coverage; i++) {
      const j = i + rng.int(c.remaining - i);
      const t = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = t;
      out[b * c.coverage + i] = BigInt(pool[i]!);
    }
  }
  return new Tensor('int64', [batch, c.coverage], out);
}

/**
 * Sampled pixel indices [B, N] from `init` [B, 4, H, W] (gradients stopped), an optional valid mask
 * [B, 1, Hg, Wg] (float 0/1, resized here by torch-'nearest' to H×W) and `perm` [B, coverage] int64.
 */
export function samplePoints(init: Value, validMask: Value | undefined, perm: Value | undefined, c: SampleCounts): Value {
  const [b, , h, w] = init.shape as [number, number, number, number];
  let unc = neg(reshape(squeeze(slice(stopGradient(init), { starts: [3], ends: [4], axes: [1] }), 1), [b, h * w]));
  if (validMask) {
    const m = interpolate(stopGradient(validMask), { size: [h, w], mode: 'nearest' });
    unc = where(less(reshape(m, [b, h * w]), 0.5), -1e4, unc);
  }
  const order = topK(unc, h * w, { axis: 1 }).indices; // descending uncertainty, ties: lower index first
  const parts: Value[] = [];
  if (c.importance > 0) parts.push(slice(order, { starts: [0], ends: [c.importance], axes: [1] }));
  if (c.coverage > 0) {
    if (!perm) throw new Diff2in1Error('head-bae', 'sample_points: the random part needs a perm input');
    const rest = c.importance > 0 ? slice(order, { starts: [c.importance], ends: [h * w], axes: [1] }) : order;
    parts.push(gatherElements(rest, perm, 1));
  }
  return parts.length === 1 ? parts[0]! : concat(parts, 1);
}
