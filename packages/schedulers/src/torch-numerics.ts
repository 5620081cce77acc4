// Float32 arithmetic as PyTorch 1.13's CPU kernels do it, so schedules built here equal diffusers' bit for bit.
//
// What was measured (torch 1.13.1, Debian build, AVX2 dispatch; see tools/golden/schedulers/):
// - Elementwise +, −, ×, ÷ and sqrt on float32 are single correctly rounded operations. Doing them in float64
//   and rounding once with Math.fround gives the same float32 (double rounding is harmless for these five
//   operations because 53 ≥ 2·24 + 2).
// - A Python float combined with a float32 tensor is first rounded to float32 (`0.37 * t` is
//   fround(fround(0.37) · t)), and `t ** 0.5` is sqrt, `t ** 2` is t·t.
// - `torch.cumprod` on float32 accumulates in double (at::acc_type<float, /*is_cuda=*/false> = double) and
//   rounds each running product to float32; it is NOT a float32 running product.
// - `torch.linspace` is a vectorised kernel (RangeFactoriesKernel.cpp): chunks of 8 (float32; 4 for float64) lanes whose base
//   `start + step·i` (or `end − step·(steps−i−1)` past the midpoint) is computed with a fused multiply-add,
//   then `base + j·step` per lane without fusion; the scalar tail uses the same fused base formula.

/** Round to float32 (alias kept short because it appears in every formula). */
export const f32 = Math.fround;

/**
 * Correctly rounded float32 fused multiply-add round32(a·b + c) for float32 inputs. a·b is exact in double
 * (24+24 bits); the sum is formed in double with its exact error and made "round to odd" before the final
 * rounding, which makes the float32 rounding correct.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  // TwoSum: exact error of s = p + c
  const bb = s - p;
  const err = (p - (s - bb)) + (c - bb);
  if (err === 0 || !Number.isFinite(s)) return f32(s);
  // round to odd: if s's last mantissa bit is even, move s one ulp toward the true value
  const buf = new Float64Array([s]);
  const bits = new BigInt64Array(buf.buffer);
  const lo = bits[0]! & 1n;
  if (lo === 0n) {
    const towardLarger = (err > 0) === (s > 0);
    bits[0] = towardLarger ? bits[0]! + 1n : bits[0]! - 1n;
  }
  return f32(buf[0]!);
}

/** a·b + c with one rounding in float64 (Dekker's exact product, then a compensated sum). */
export function fma64(a: number, b: number, c: number): number {
  const split = (x: number): [number, number] => {
    const t = 134217729 * x;
    const hi = t - (t - x);
    return [hi, x - hi];
  };
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const perr = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  const s = p + c;
  const bb = s - p;
  const serr = (p - (s - bb)) + (c - bb);
  return s + (serr + perr);
}

/** Lanes of torch's CPU `Vectorized<float>` / `Vectorized<double>` under the AVX2 (and the default) dispatch. */
const FLOAT_LANES = 8;
const DOUBLE_LANES = 4;

/**
 * torch's CPU linspace kernel (RangeFactoriesKernel.cpp) into `out`: chunks of `lanes` whose base is a fused
 * multiply-add from the nearer end, then base + j·step per lane; `round` is applied after every unfused op.
 */
function linspaceKernel(out: Float32Array | Float64Array, s: number, e: number, lanes: number, round: (x: number) => number, fma: (a: number, b: number, c: number) => number): void {
  const steps = out.length;
  if (steps === 0) return;
  if (steps === 1) {
    out[0] = s;
    return;
  }
  const step = round(round(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const base = (i: number): number => (i < halfway ? fma(step, i, s) : fma(-step, steps - i - 1, e));
  let i = 0;
  for (; i <= steps - 2 * lanes; i += 2 * lanes) {
    for (const c of [i, i + lanes]) {
      const b = base(c);
      for (let j = 0; j < lanes; j++) out[c + j] = round(b + round(j * step));
    }
  }
  for (; i < steps; i++) out[i] = base(i);
}

/** `torch.linspace(start, end, steps, dtype=torch.float32)` on the CPU, element for element. */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  linspaceKernel(out, f32(start), f32(end), FLOAT_LANES, f32, fma32);
  return out;
}

/** `torch.linspace(start, end, steps, dtype=torch.float64)` on the CPU (the official code's LDM betas). */
export function torchLinspaceF64(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  linspaceKernel(out, start, end, DOUBLE_LANES, (x) => x, fma64);
  return out;
}

/** `torch.cumprod(x, 0)` for a float32 vector on the CPU: double accumulator, float32 outputs. */
export function torchCumprodF32(x: ArrayLike<number>): Float32Array {
  const out = new Float32Array(x.length);
  let acc = 1;
  for (let i = 0; i < x.length; i++) {
    acc *= x[i]!;
    out[i] = acc;
  }
  return out;
}

/** `torch.lerp(a, b, w)` for float32 scalars (ATen's two-sided formula, the small-weight branch fused). */
export function torchLerpF32(a: number, b: number, w: number): number {
  const d = f32(b - a);
  return Math.abs(w) < 0.5 ? fma32(w, d, a) : f32(b - f32(d * f32(1 - w)));
}
