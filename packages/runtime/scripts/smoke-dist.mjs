#!/usr/bin/env node
// Checks the BUILT package (dist/) the way users load it: plain Node, no vitest, no TypeScript. In particular the
// worker session, whose thread program must find onnxruntime-node from dist as well as from src.
// usage: pnpm --filter @diff2in1/runtime build && node packages/runtime/scripts/smoke-dist.mjs
import { createSession, createWorkerSession, deviceReport } from '@diff2in1/runtime';
import { PROBE_MODEL_BASE64 } from '../dist/probe.js';
import { Tensor } from '@diff2in1/tensor';

const model = Buffer.from(PROBE_MODEL_BASE64, 'base64'); // y = Identity(x), x: float32[1]
const x = new Tensor('float32', [1], Float32Array.from([42.5]));
console.log(`device: ${await deviceReport()}`);
for (const [kind, create] of [['in-thread', createSession], ['worker', createWorkerSession]]) {
  const s = await create(model, { device: 'cpu', intraOpThreads: 1 });
  const { y } = await s.run({ x });
  await s.release();
  if (!y || y.data[0] !== 42.5) throw new Error(`${kind} session returned ${y?.data[0]}, expected 42.5`);
  console.log(`${kind} session from dist: ok`);
}
