import { afterAll, describe, expect, it } from 'vitest';
import { Diff2in1Error, Tensor, tensor } from '@diff2in1/tensor';
import { createSession, type Session } from './session.js';
import { createWorkerSession } from './worker-session.js';
import { addModel, castModel, identityModel, longModel, matMulModel } from './testing/onnx-test-models.js';

const opened: Session[] = [];
afterAll(async () => Promise.all(opened.map((s) => s.release())));
async function openWorker(model: Uint8Array | string, extra: Parameters<typeof createWorkerSession>[1] = {}): Promise<Session> {
  const s = await createWorkerSession(model, { device: 'cpu', intraOpThreads: 1, ...extra });
  opened.push(s);
  return s;
}

describe('createWorkerSession', () => {
  it('has the same metadata and results as an in-thread session', async () => {
    const w = await openWorker(matMulModel(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3));
    expect(w.device).toBe('cpu');
    expect(w.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 2], isTensor: true }]);
    expect(w.outputNames).toEqual(['y']);
    const { y } = await w.run({ x: tensor('float32', [2, 2], [1, 2, 3, 4]) });
    expect(y).toBeInstanceOf(Tensor);
    expect(y?.shape).toEqual([2, 3]);
    expect(Array.from(y!.data as Float32Array)).toEqual([9, 12, 15, 19, 26, 33]); // hand-computed x·W
  });

  it('keeps fp16 bit patterns and int64 BigInts across the thread boundary', async () => {
    const half = await openWorker(castModel('float16'));
    const { y } = await half.run({ x: tensor('float32', [3], [1, -2, 65504]) });
    expect(y?.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(y!.data as Uint16Array)).toEqual([0x3c00, 0xc000, 0x7bff]);
    const id = await openWorker(identityModel('int64'));
    const { y: i } = await id.run({ x: tensor('int64', [2], [2n ** 62n + 1n, -5n]) });
    expect(Array.from(i!.data as BigInt64Array)).toEqual([2n ** 62n + 1n, -5n]);
  });

  it('copies feeds by default, moves them with transferInputs, shares SharedArrayBuffer feeds', async () => {
    const w = await openWorker(identityModel('float32'));
    const x = tensor('float32', [3], [1, 2, 3]);
    const copied = await w.run({ x });
    expect(x.data.length).toBe(3); // still usable
    expect(copied.y?.data).not.toBe(x.data);
    const moved = await w.run({ x }, undefined, { transferInputs: true });
    expect(Array.from(moved.y!.data as Float32Array)).toEqual([1, 2, 3]);
    expect(x.data.byteLength).toBe(0); // detached: the buffer went to the worker
    // By name: only the listed feeds move.
    const add = await openWorker(addModel('float32', [2]));
    const a = tensor('float32', [2], [1, 2]);
    const b = tensor('float32', [2], [10, 20]);
    const sum = await add.run({ a, b }, undefined, { transferInputs: ['b'] });
    expect(Array.from(sum.c!.data as Float32Array)).toEqual([11, 22]);
    expect(a.data.length).toBe(2);
    expect(b.data.byteLength).toBe(0);
    // A view into a larger buffer is copied even with transferInputs, so its neighbours stay intact.
    const big = new Float32Array(8).fill(7);
    const view = new Tensor('float32', [2], big.subarray(2, 4));
    await w.run({ x: view }, undefined, { transferInputs: true });
    expect(big.length).toBe(8);
    const shared = new Float32Array(new SharedArrayBuffer(8));
    shared.set([4, 5]);
    const r = await w.run({ x: new Tensor('float32', [2], shared) }, undefined, { transferInputs: true });
    expect(Array.from(r.y!.data as Float32Array)).toEqual([4, 5]);
    expect(shared.length).toBe(2);
  });

  it('validates in the caller thread and reports worker-side ORT failures as Diff2in1Error', async () => {
    const w = await openWorker(addModel('float32', ['batch', 3]), { name: 'adder.onnx', logLevel: 'fatal' });
    await expect(w.run({ a: tensor('float32', [1, 3]) })).rejects.toThrow(/^adder\.onnx: bad feeds — missing input\(s\): b/);
    const e = await w.run({ a: tensor('float32', [2, 3]), b: tensor('float32', [3, 3]) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Diff2in1Error);
    expect((e as Error).message).toMatch(/^adder\.onnx: run failed in onnxruntime \(worker thread\)/);
    // The worker survives a failed run.
    const { c } = await w.run({ a: tensor('float32', [1, 3], [1, 2, 3]), b: tensor('float32', [1, 3], [1, 1, 1]) });
    expect(Array.from(c!.data as Float32Array)).toEqual([2, 3, 4]);
    const bad = await createWorkerSession(new TextEncoder().encode('not a model'), { device: 'cpu', name: 'junk' }).catch((x: unknown) => x);
    expect((bad as Diff2in1Error).code).toBe('model');
    expect((bad as Error).message).toMatch(/^junk: onnxruntime could not load the model on cpu/);
  });

  it('release() stops the worker; later runs throw', async () => {
    const w = await createWorkerSession(addModel('float32', [1]), { device: 'cpu', intraOpThreads: 1 });
    await w.release();
    await w.release();
    await expect(w.run({ a: tensor('float32', [1]), b: tensor('float32', [1]) })).rejects.toThrow(/after release/);
  });
});

/** Runs `session` once on the long model while a 5 ms interval counts ticks; returns ticks and elapsed ms. */
async function ticksDuring(session: Session, x: Tensor): Promise<{ ticks: number; ms: number; y: Tensor }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  // Let the interval get armed before the model starts.
  await new Promise((r) => setTimeout(r, 20));
  const before = ticks;
  const t0 = performance.now();
  const { y } = await session.run({ x });
  const ms = performance.now() - t0;
  const during = ticks - before;
  clearInterval(timer);
  return { ticks: during, ms, y: y! };
}

describe('event loop', () => {
  it('a timer keeps ticking while a long model runs in a worker, and stalls when it runs in this thread', async () => {
    const size = 1024;
    const depth = 36; // 36 × 2·1024³ flops ≈ 77 GFLOP: ~0.8 s on one CI core
    const model = longModel(size, depth);
    const x = new Tensor('float32', [size, size]);
    for (let i = 0; i < x.size; i++) x.data[i] = (i % 17) - 8;
    const main = await createSession(model, { device: 'cpu', intraOpThreads: 1 });
    const worker = await openWorker(model);
    try {
      const inThread = await ticksDuring(main, x);
      const inWorker = await ticksDuring(worker, x);
      // W is the identity, so y = x exactly: both really ran the model.
      expect(Buffer.from(inThread.y.data.buffer).equals(Buffer.from(x.data.buffer))).toBe(true);
      expect(Buffer.from(inWorker.y.data.buffer).equals(Buffer.from(x.data.buffer))).toBe(true);
      expect(inThread.ms).toBeGreaterThan(250); // long enough for the counts to mean something
      expect(inWorker.ms).toBeGreaterThan(250);
      // Blocked loop: at most the tick that was already due when run() started.
      expect(inThread.ticks).toBeLessThanOrEqual(2);
      // Free loop: at least a quarter of the ideal count (ms / 5), even on a loaded 2-core machine.
      expect(inWorker.ticks).toBeGreaterThanOrEqual(Math.max(20, Math.floor(inWorker.ms / 5 / 4)));
      console.log(`timer ticks: in-thread ${inThread.ticks} in ${inThread.ms.toFixed(0)} ms; worker ${inWorker.ticks} in ${inWorker.ms.toFixed(0)} ms`);
    } finally {
      await main.release();
    }
  });
});
