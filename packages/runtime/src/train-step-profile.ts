// Where a training step's time goes: runs a compiled training step with ORT's profiler and sums kernel time by
// op type (and by node) per step. For benchmarks and tuning; TrainStepSession is what training uses.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tensor } from '@diff2in1/tensor';
import { fromOrtTensor, toOrtTensor } from './ort-tensor.js';
import type { TrainStepProgram } from './train-step.js';

export interface StepProfile {
  /** Wall time per profiled step (ms), profiler overhead included. */
  wallMsPerStep: number;
  /** Kernel time per step summed over all nodes (ms). */
  kernelMsPerStep: number;
  /** Kernel ms per step by ONNX op type, largest first. */
  byOpType: { op: string; ms: number; nodes: number }[];
  /** The slowest nodes (ms per step). */
  topNodes: { node: string; op: string; ms: number }[];
}

interface ProfileEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string };
}

/** Profiles `steps` training steps (after `warmup` unprofiled-in-the-average ones) on the CPU. */
export async function profileTrainStep(program: TrainStepProgram, batch: Readonly<Record<string, Tensor>>, opts: { threads?: number; steps?: number; warmup?: number; lr?: number } = {}): Promise<StepProfile> {
  const dir = mkdtempSync(join(tmpdir(), 'd2i-profile-'));
  const steps = opts.steps ?? 5;
  const warmup = opts.warmup ?? 2;
  try {
    const session = await ort.InferenceSession.create(program.stepModel(), {
      executionProviders: ['cpu'],
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
      enableProfiling: true,
      profileFilePrefix: join(dir, 'step'),
    });
    let state = program.initialState();
    const lr = new Tensor('float64', [], Float64Array.of(opts.lr ?? 1e-4));
    let wall = 0;
    for (let i = 0; i < warmup + steps; i++) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [k, t] of Object.entries({ ...state, ...batch, lr })) feeds[k] = toOrtTensor(t);
      const t0 = performance.now();
      const out = await session.run(feeds);
      if (i >= warmup) wall += performance.now() - t0;
      state = Object.fromEntries(program.state.map((e) => [e.name, fromOrtTensor(out[`${e.name}:next`]!)]));
    }
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.startsWith('step') && f.endsWith('.json'));
    const events = file ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[]) : [];
    // Kernel events of all runs; the first `warmup` runs are included, so scale by the run count.
    const runs = warmup + steps;
    const byOp = new Map<string, { ms: number; nodes: Set<string> }>();
    const byNode = new Map<string, { op: string; ms: number }>();
    let total = 0;
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || e.dur === undefined) continue;
      const op = e.args?.op_name ?? '?';
      const node = e.name.slice(0, -'_kernel_time'.length);
      const ms = e.dur / 1000 / runs;
      total += ms;
      const o = byOp.get(op) ?? { ms: 0, nodes: new Set<string>() };
      o.ms += ms;
      o.nodes.add(node);
      byOp.set(op, o);
      const n = byNode.get(node) ?? { op, ms: 0 };
      n.ms += ms;
      byNode.set(node, n);
    }
    return {
      wallMsPerStep: wall / steps,
      kernelMsPerStep: total,
      byOpType: [...byOp].map(([op, v]) => ({ op, ms: v.ms, nodes: v.nodes.size })).sort((a, b) => b.ms - a.ms),
      topNodes: [...byNode].map(([node, v]) => ({ node, op: v.op, ms: v.ms })).sort((a, b) => b.ms - a.ms).slice(0, 15),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
