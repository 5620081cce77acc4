// Procedural textures: a blend weight m ∈ [0, 1] between a material's two colours, from texture coordinates in
// metres. Flat faces pass 2-D coordinates (w = 0) so a checker never flickers on a face lying on a cell boundary.
import { fmix32 } from './hash.js';

export const PAT_PLAIN = 0;
export const PAT_CHECKER = 1;
export const PAT_STRIPES = 2;
export const PAT_NOISE = 3;

function lattice(i: number, j: number, k: number): number {
  return fmix32((Math.imul(i, 73856093) ^ Math.imul(j, 19349663) ^ Math.imul(k, 83492791)) >>> 0) / 4294967296;
}

/** Trilinear value noise with smoothstep weights, in [0, 1). */
export function valueNoise(x: number, y: number, z: number): number {
  const xi = Math.floor(x), yi = Math.floor(y), zi = Math.floor(z);
  let fx = x - xi, fy = y - yi, fz = z - zi;
  fx = fx * fx * (3 - 2 * fx);
  fy = fy * fy * (3 - 2 * fy);
  fz = fz * fz * (3 - 2 * fz);
  const c000 = lattice(xi, yi, zi), c100 = lattice(xi + 1, yi, zi);
  const c010 = lattice(xi, yi + 1, zi), c110 = lattice(xi + 1, yi + 1, zi);
  const c001 = lattice(xi, yi, zi + 1), c101 = lattice(xi + 1, yi, zi + 1);
  const c011 = lattice(xi, yi + 1, zi + 1), c111 = lattice(xi + 1, yi + 1, zi + 1);
  const x00 = c000 + (c100 - c000) * fx, x10 = c010 + (c110 - c010) * fx;
  const x01 = c001 + (c101 - c001) * fx, x11 = c011 + (c111 - c011) * fx;
  const y0 = x00 + (x10 - x00) * fy, y1 = x01 + (x11 - x01) * fy;
  return y0 + (y1 - y0) * fz;
}

/** Blend weight of pattern `pattern` at (u, v, w) metres with `scale` cells per metre along `axis`. */
export function patternWeight(pattern: number, scale: number, axis: number, u: number, v: number, w: number): number {
  if (pattern === PAT_PLAIN) return 0;
  const x = u * scale, y = v * scale, z = w * scale;
  if (pattern === PAT_CHECKER) return (Math.floor(x) + Math.floor(y) + Math.floor(z)) & 1;
  if (pattern === PAT_STRIPES) {
    const c = axis === 0 ? x : axis === 1 ? y : z;
    const k = Math.floor(c);
    // Alternating stripes, each with its own slight shade (planks, wallpaper).
    return (k & 1) * 0.8 + 0.2 * lattice(k, 7, 3);
  }
  // Two octaves of value noise, contrast-stretched.
  const n = 0.65 * valueNoise(x, y, z) + 0.35 * valueNoise(x * 2.7 + 11.3, y * 2.7 + 5.1, z * 2.7 + 3.7);
  const m = (n - 0.5) * 2.2 + 0.5;
  return m < 0 ? 0 : m > 1 ? 1 : m;
}
