// θC ← α·θC + (1 − α)·θE (paper Eq. 8) over every parameter AND buffer, as the official code's
// `update_creation(keep_rate=0.998)` does it (github.com/zsh2000/diff-2-in-1, training_2nd_stage.py): for each key
// of θC's state_dict, `state_e[key] * (1 - keep_rate) + value * keep_rate`, then `load_state_dict` back into θC.
//
// Arithmetic as torch does it on CPU tensors:
// - float32 tensors: the Python floats become float32 scalars, each product is rounded to float32, then the sum.
// - float64 tensors: the same in float64.
// - integer buffers (BatchNorm's num_batches_tracked, int64): `long_tensor * python_float` promotes to the default
//   dtype (float32), the sum is float32, and load_state_dict's copy_ into the int64 buffer truncates towards zero.
//   So θC's counter mostly keeps its value (100·0.998 + 110·0.002 = 100.02 → 100), exactly as upstream.
// θC and θE must hold the same keys and shapes (upstream raises "<key> is not found in exploitation model").
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';

/** The paper's / official code's defaults: α = 0.998 (keep rate), one update per 40 samples (appendix A.3). */
export const DEFAULT_EMA_ALPHA = 0.998;
export const DEFAULT_EMA_SAMPLES = 40;

/** θC ← α·θC + (1 − α)·θE for every entry of θC; returns a new record (inputs are not modified). */
export function emaUpdate(creation: Readonly<Record<string, Tensor>>, exploitation: Readonly<Record<string, Tensor>>, alpha: number = DEFAULT_EMA_ALPHA): Record<string, Tensor> {
  if (!(alpha >= 0 && alpha <= 1)) throw new Diff2in1Error('self-improver', `EMA: alpha (keep rate) must be in [0, 1], got ${alpha}`);
  const out: Record<string, Tensor> = {};
  for (const [key, c] of Object.entries(creation)) {
    const e = exploitation[key];
    if (!e) throw new Diff2in1Error('self-improver', `EMA: '${key}' of θC is not found in θE (θE has ${Object.keys(exploitation).length} entries)`);
    if (e.dtype !== c.dtype || e.shape.join() !== c.shape.join()) {
      throw new Diff2in1Error('self-improver', `EMA: '${key}' is ${c.dtype} [${c.shape.join(', ')}] in θC but ${e.dtype} [${e.shape.join(', ')}] in θE`);
    }
    out[key] = emaTensor(c, e, alpha, key);
  }
  return out;
}

function emaTensor(c: Tensor, e: Tensor, alpha: number, key: string): Tensor {
  const n = c.size;
  switch (c.dtype) {
    case 'float32': {
      const f = Math.fround;
      const a = f(alpha), b = f(1 - alpha);
      const cd = c.data as Float32Array, ed = e.data as Float32Array;
      const o = new Float32Array(n);
      for (let i = 0; i < n; i++) o[i] = f(ed[i]! * b) + f(cd[i]! * a);
      return new Tensor('float32', c.shape, o);
    }
    case 'float64': {
      const a = alpha, b = 1 - alpha;
      const cd = c.data as Float64Array, ed = e.data as Float64Array;
      const o = new Float64Array(n);
      for (let i = 0; i < n; i++) o[i] = ed[i]! * b + cd[i]! * a;
      return new Tensor('float64', c.shape, o);
    }
    case 'int64': {
      const f = Math.fround;
      const a = f(alpha), b = f(1 - alpha);
      const cd = c.data as BigInt64Array, ed = e.data as BigInt64Array;
      const o = new BigInt64Array(n);
      for (let i = 0; i < n; i++) o[i] = BigInt(Math.trunc(f(f(f(Number(ed[i]!)) * b) + f(f(Number(cd[i]!)) * a))));
      return new Tensor('int64', c.shape, o);
    }
    case 'int32': {
      const f = Math.fround;
      const a = f(alpha), b = f(1 - alpha);
      const cd = c.data as Int32Array, ed = e.data as Int32Array;
      const o = new Int32Array(n);
      for (let i = 0; i < n; i++) o[i] = Math.trunc(f(f(f(ed[i]!) * b) + f(f(cd[i]!) * a)));
      return new Tensor('int32', c.shape, o);
    }
    default:
      throw new Diff2in1Error('self-improver', `EMA: '${key}' has dtype ${c.dtype}; supported: float32, float64, int64, int32`);
  }
}

/**
 * When the EMA fires: after the iteration at which the samples θE has consumed cross a multiple of `everySamples`
 * (40 samples at batch 4 = every 10 iterations, the paper's appendix A.3). The official loop fires at per-epoch
 * `iteration > 0 and iteration % 10 == 0`, i.e. after the 11th, 21st, … batch of each epoch; we count samples over
 * the whole run instead (documented deviation: the same rate, without the per-epoch restart).
 */
export function emaDue(samplesBefore: number, samplesAfter: number, everySamples: number = DEFAULT_EMA_SAMPLES): boolean {
  if (!(Number.isSafeInteger(everySamples) && everySamples > 0)) throw new Diff2in1Error('self-improver', `EMA interval must be a positive number of samples, got ${everySamples}`);
  return Math.floor(samplesAfter / everySamples) > Math.floor(samplesBefore / everySamples);
}
