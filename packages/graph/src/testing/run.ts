// Test helpers: run a built graph in onnxruntime (CPU, one thread) through @diff2in1/runtime.
// Test-only: @diff2in1/graph itself never depends on the runtime (excluded from the build).
import { createSession } from '@diff2in1/runtime';
import type { Tensor } from '@diff2in1/tensor';
import type { GraphBuilder } from '../ir/graph.js';
import { serialize } from '../proto/serialize.js';

export async function runGraph(g: GraphBuilder, feeds: Record<string, Tensor> = {}, opts: { threads?: number } = {}): Promise<Record<string, Tensor>> {
  const s = await createSession(serialize(g), { device: 'cpu', intraOpThreads: opts.threads ?? 1, name: g.name });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}
