// The few numpy (1.24) float64 routines diffusers builds its timestep lists with, reproduced exactly.

/** `np.round` / `np.rint`: round half to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * `np.arange(start, stop, step)` with a float step: length ceil((stop − start) / step); element 0 is start,
 * element 1 is start + step, and the rest are start + i·delta with delta = (start + step) − start
 * (numpy's DOUBLE_fill).
 */
export function npArange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out: number[] = [];
  if (length === 0) return out;
  out.push(start);
  if (length === 1) return out;
  const next = start + step;
  out.push(next);
  const delta = next - start;
  for (let i = 2; i < length; i++) out.push(start + i * delta);
  return out;
}

/** `np.linspace(start, stop, num)` (endpoint=True): start + i·step, the last element set to stop. */
export function npLinspace(start: number, stop: number, num: number): number[] {
  const out: number[] = [];
  if (num <= 0) return out;
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out.push(i * step + start);
  out[num - 1] = stop;
  return out;
}
