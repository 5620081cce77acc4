// This project's side of the UNet benchmark (a child process of bench/unet.ts): compile or find the graph in the
// cache, open the session, then time forwards on request; peak RSS is the kernel's high-water mark, reset after
// loading so the forward-only peak is known too.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createSession } from '@diff2in1/runtime';
import { type Tensor, openCheckpoint, readSafetensors, writeSafetensors } from '@diff2in1/tensor';
import type { ComponentWeights } from '../folder.js';
import { compileStats, compiledModel, weightsIdentity } from '../compile-cache.js';
import { parseUNet2DConditionConfig } from '../configs/unet-2d-condition.js';
import { unetGraph } from '../graphs.js';
import { assertStateDictMatches, expectedStateDictShapes } from '../state-dict.js';
import { UNet2DConditionModel } from '../unet-2d-condition.js';

/** What the serving child reports when ready and when it quits. */
export interface OursReady {
  compiled: { graphs: number; blobs: number };
  compileSeconds: number;
  blobSeconds: number;
  graphSeconds: number;
  sessionSeconds: number;
}
export interface OursFinal {
  peakRssAfterLoadBytes: number;
  peakRssForwardBytes: number | null;
  peakRssBytes: number;
}

function hwm(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function resetHwm(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const emit = (obj: object): void => {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
};

/**
 * Compiles (or finds in the cache) and loads the graph, prints a JSON "ready" line, then serves stdin lines:
 * "run" → one timed forward (a JSON line back), "quit" → writes out_sample and prints the peak RSS.
 */
export async function serveOurs(o: { folder: string; cacheDir: string; inputs: string; out: string; threads: number; attention: 'mha' | 'matmul' }): Promise<void> {
  const cfgFile = join(o.folder, 'unet', 'config.json');
  const config = parseUNet2DConditionConfig(JSON.parse(readFileSync(cfgFile, 'utf8')) as never, cfgFile);
  const file = join(o.folder, 'unet', 'diffusion_pytorch_model.safetensors');
  const unet = new UNet2DConditionModel(config, { attention: o.attention });
  const weights = (): ComponentWeights => {
    const source = openCheckpoint(file);
    const names = new Map(source.names().map((n) => [n, n]));
    const expected = expectedStateDictShapes('unet', config);
    assertStateDictMatches(expected, new Map(source.names().map((n) => [n, source.info(n).shape])), file, cfgFile);
    return { component: 'unet', file, source, names, expected };
  };
  const t0 = performance.now();
  const model = compiledModel({
    cacheDir: o.cacheDir, component: 'unet', model: unet, modelKey: { config, dtype: 'float32' }, weightsId: weightsIdentity(file), weights,
    variant: 'unet-noise', variantKey: { h: 64, w: 64, s: 77, outputs: 'noise', dtype: 'float32', attention: o.attention },
    build: () => unetGraph(unet, { height: 64, width: 64, sequenceLength: 77, outputs: 'noise' }),
  });
  const compileSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const session = await createSession(model, { device: 'cpu', intraOpThreads: o.threads, graphOptimization: 'all' });
  const sessionSeconds = (performance.now() - t1) / 1000;
  const afterLoad = hwm();
  const reset = resetHwm();
  const x = readSafetensors(o.inputs);
  const feeds = { sample: x['sample']!, timestep: x['timestep']!, encoder_hidden_states: x['encoder_hidden_states']! };
  const ready: OursReady = {
    compiled: { graphs: compileStats.graphs, blobs: compileStats.blobs }, compileSeconds, blobSeconds: compileStats.blobSeconds,
    graphSeconds: compileStats.graphSeconds, sessionSeconds,
  };
  emit({ ready: true, ...ready });
  let out: Record<string, Tensor> | undefined;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'run') {
      const s = performance.now();
      out = await session.run(feeds);
      emit({ seconds: (performance.now() - s) / 1000 });
    } else if (line.trim() === 'quit') break;
  }
  const forward = hwm();
  if (out) writeSafetensors(o.out, { out_sample: out['out_sample']! });
  await session.release();
  const final: OursFinal = { peakRssAfterLoadBytes: afterLoad, peakRssForwardBytes: reset ? forward : null, peakRssBytes: Math.max(afterLoad, forward) };
  emit(final);
}
