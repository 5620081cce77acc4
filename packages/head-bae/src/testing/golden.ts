// Test helpers (excluded from the build): golden fixtures, running graphs in onnxruntime, comparisons.
import { createSession } from '@diff2in1/runtime';
import { type GraphBuilder, serialize } from '@diff2in1/graph';
import { Tensor, readSafetensors } from '@diff2in1/tensor';

export function loadFixture(url: URL): Record<string, Tensor> {
  return readSafetensors(url.pathname);
}

/** Entries under `prefix`, with the prefix removed. */
export function withPrefix(all: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(all)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

export async function runGraph(g: GraphBuilder, feeds: Record<string, Tensor>, threads = 1): Promise<Record<string, Tensor>> {
  const s = await createSession(serialize(g), { device: 'cpu', intraOpThreads: threads, name: g.name });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** max |a − b| / max(1, max |b|) — absolute for values of order one, relative for large ones. */
export function maxDiff(a: Tensor, b: Tensor): number {
  if (a.size !== b.size) throw new Error(`size ${a.size} vs ${b.size} (${a} vs ${b})`);
  const x = a.data as ArrayLike<number>;
  const y = b.data as ArrayLike<number>;
  let num = 0;
  let den = 1;
  for (let i = 0; i < a.size; i++) {
    num = Math.max(num, Math.abs(Number(x[i]) - Number(y[i])));
    den = Math.max(den, Math.abs(Number(y[i])));
  }
  return num / den;
}

/** Splits [N, C, H, W] along channels into pieces of `sizes` channels. */
export function splitChannels(t: Tensor, sizes: readonly number[]): Tensor<'float32'>[] {
  const [n, c, h, w] = t.shape as [number, number, number, number];
  const src = t.data as Float32Array;
  let c0 = 0;
  return sizes.map((cs) => {
    const out = new Float32Array(n * cs * h * w);
    for (let b = 0; b < n; b++) out.set(src.subarray((b * c + c0) * h * w, (b * c + c0 + cs) * h * w), b * cs * h * w);
    c0 += cs;
    return new Tensor('float32', [n, cs, h, w], out);
  });
}
