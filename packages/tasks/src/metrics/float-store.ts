// An append-only store of non-negative float32 values with exact order statistics.
//
// Used for the normals median: Bae et al. take np.median over the float32 angular errors of every valid
// pixel of the test set, so an exact median needs every error. We keep them as float32 in 1 Mi-value chunks
// (4 bytes per valid pixel: NYUv2's 654 test images at 480×640 are at most 201 M pixels = 804 MB, in practice
// ~75% of that) and select the k-th smallest by a two-pass radix select on the float32 bit patterns, which
// for non-negative floats order exactly like the values. No sort, no concatenation.

const CHUNK = 1 << 20;

/** Non-negative float32 values in 1 Mi-value chunks, with exact k-th smallest and median (see the file comment). */
export class Float32Store {
  private chunks: Float32Array[] = [];
  private fill = CHUNK;
  private n = 0;

  get length(): number {
    return this.n;
  }

  /** Appends v (must be ≥ 0 and not NaN; −0 is stored as +0). */
  push(v: number): void {
    if (this.fill === CHUNK) {
      this.chunks.push(new Float32Array(CHUNK));
      this.fill = 0;
    }
    (this.chunks[this.chunks.length - 1] as Float32Array)[this.fill++] = v === 0 ? 0 : v;
    this.n++;
  }

  clear(): void {
    this.chunks = [];
    this.fill = CHUNK;
    this.n = 0;
  }

  private *views(): Generator<Uint32Array> {
    const last = this.chunks.length - 1;
    for (let i = 0; i <= last; i++) {
      const c = this.chunks[i] as Float32Array;
      yield new Uint32Array(c.buffer, 0, i === last ? this.fill : CHUNK);
    }
  }

  /** The k-th smallest value (0-based), exactly. */
  select(k: number): number {
    if (!(k >= 0 && k < this.n)) throw new RangeError(`rank ${k} outside 0..${this.n - 1}`);
    const hist = new Float64Array(65536);
    for (const v of this.views()) {
      for (let i = 0; i < v.length; i++) {
        const b = (v[i] as number) >>> 16;
        hist[b] = (hist[b] as number) + 1;
      }
    }
    let hi = 0;
    let before = 0;
    while (before + (hist[hi] as number) <= k) before += hist[hi++] as number;
    hist.fill(0);
    for (const v of this.views()) {
      for (let i = 0; i < v.length; i++) {
        const b = v[i] as number;
        if (b >>> 16 === hi) hist[b & 0xffff] = (hist[b & 0xffff] as number) + 1;
      }
    }
    let lo = 0;
    while (before + (hist[lo] as number) <= k) before += hist[lo++] as number;
    const bits = new Uint32Array([((hi << 16) | lo) >>> 0]);
    return new Float32Array(bits.buffer)[0] as number;
  }

  /** numpy's median: the middle value, or the mean of the two middle values for an even count. */
  median(): number {
    if (this.n === 0) return NaN;
    const k = (this.n - 1) >> 1;
    if (this.n % 2 === 1) return this.select(k);
    return (this.select(k) + this.select(k + 1)) / 2;
  }
}
