// A stateless 32-bit hash for values that must be a function of coordinates, not of drawing order: the RGB
// anti-aliasing jitter of pixel p (render.ts) and the value-noise lattice of texture cell (i, j, k)
// (texture.ts). A stream generator cannot serve here: worker threads and tiles render pixels in any order,
// and a pixel's rays must not change when its neighbours do. Scene layout, which is drawn in one fixed
// order, uses @diff2in1/tensor's seeded Rng instead (scene-random.ts).

/** murmur3's fmix32 finaliser (Appleby, MurmurHash3): a bijective 32-bit mixer with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
