// Resuming reproduces an uninterrupted run exactly on the CPU (fixed ORT threads): in-process stops, and a child
// process killed with SIGKILL mid-run and started again.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { openFolder } from '@diff2in1/datasets';
import { type Tensor, readJsonl, readSafetensors } from '@diff2in1/tensor';
import { runSelfImprove } from './self-improve.js';
import { runWarmup } from './warmup.js';
import { tinySd, tmp, toyFolder, toySplits } from './testing/fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const session = { device: 'cpu' as const, intraOpThreads: 1 };
const model = { headOptions: { preset: 'small' } };

function expectSameState(a: Record<string, Tensor>, b: Record<string, Tensor>): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) expect(Array.from(a[k]!.data as Float32Array), k).toEqual(Array.from(b[k]!.data as Float32Array));
}

describe('resume', () => {
  test('warm-up stopped twice and resumed equals an uninterrupted run; changed settings are refused; logs are not duplicated', async () => {
    const { train, test: testSet } = await toySplits(32, 8, 4);
    const sd = await tinySd();
    const o = { backbone: sd, train, test: testSet, batchSize: 2, iterations: 8, lr: 1e-3, model, session, quiet: true, checkpointEvery: 2, augment: 'hflip' as const };
    const a = await runWarmup({ ...o, out: tmp('wa') });
    const out = tmp('wb');
    const b1 = await runWarmup({ ...o, out, stopAfter: 3 });
    expect(b1.iterations).toBe(3);
    await expect(runWarmup({ ...o, out, lr: 2e-3 })).rejects.toThrow(/other settings \(lr: 0.001 → 0.002\)/);
    const b2 = await runWarmup({ ...o, out, stopAfter: 4 });
    expect([b2.resumedFrom, b2.iterations]).toEqual([3, 7]);
    const b3 = await runWarmup({ ...o, out });
    expect(b3.resumedFrom).toBe(7);
    expectSameState(a.state, b3.state);
    expect(b3.metrics).toEqual(a.metrics);
    expect(readJsonl<{ iteration: number }>(join(out, 'log.jsonl')).map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 300_000);
});

describe('kill -9', () => {
  beforeAll(() => {
    // The child runs the BUILT package: compile it (incremental; a no-op when dist is current).
    execFileSync(process.execPath, [join(pkg, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-b', pkg], { stdio: 'inherit' });
  }, 600_000);

  test('a self-improving run killed with SIGKILL and started again ends with the same weights and metrics', async () => {
    const data = await toyFolder(32, 8, 4);
    const synthetic = await toyFolder(32, 8, 0, 7);
    const sd = await tinySd();
    const { train, test: testSet } = await toySplits(32, 8, 4);
    const root = tmp('kill');
    const w = await runWarmup({ backbone: sd, train, out: join(root, 'warmup'), batchSize: 2, iterations: 4, lr: 1e-3, model, session, quiet: true });
    const options = { mode: 'diff2in1', batchSize: 2, iterations: 10, checkpointEvery: 1, ema: { everySamples: 4 }, model, evalEvery: 5 };
    const ref = await runSelfImprove({ backbone: sd, train, test: testSet, synthetic: await openFolder(synthetic, { split: 'train', tasks: [] }), warmup: w.weights, out: join(root, 'ref'), session, quiet: true, ...options, mode: 'diff2in1' });

    const out = join(root, 'killed');
    const arg = JSON.stringify({ stage: 'self-improve', data, synthetic, out, warmup: w.weights, sdCache: process.env.DIFF2IN1_TEST_CACHE ?? join(tmp('sdc'), 'c'), options });
    const script = join(here, 'testing', 'run-stage.mjs');
    const child = spawn(process.execPath, [script, arg], { stdio: ['ignore', 'ignore', 'pipe'], cwd: pkg });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const log = join(out, 'log.jsonl');
    const killedAt = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const n = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
        if (n >= 4) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve(n);
        }
      }, 20);
      child.on('exit', (code) => {
        clearInterval(timer);
        if (code !== null) reject(new Error(`child exited (${code}) before it was killed: ${stderr}`));
      });
    });
    expect(killedAt).toBeGreaterThanOrEqual(4);
    const before = JSON.parse(readFileSync(join(out, 'checkpoints', 'checkpoint.json'), 'utf8')) as { iteration: number };
    expect(before.iteration).toBeLessThan(10);
    // Start again: the child resumes from the last checkpoint and finishes.
    const again = spawn(process.execPath, [script, arg], { stdio: ['ignore', 'ignore', 'pipe'], cwd: pkg });
    let err2 = '';
    again.stderr.on('data', (d: Buffer) => (err2 += d.toString()));
    const code = await new Promise<number | null>((resolve) => again.on('exit', resolve));
    expect(code, err2).toBe(0);
    expectSameState(readSafetensors(join(out, 'theta_c.safetensors')), ref.creation);
    expectSameState(readSafetensors(join(out, 'theta_e.safetensors')), ref.exploitation);
    const evals = readJsonl<{ iteration: number; model: string; metrics: unknown }>(join(out, 'eval.jsonl'));
    const final = evals.filter((r) => r.iteration === 10);
    expect(final.find((r) => r.model === 'theta_c')!.metrics).toEqual(ref.metrics.creation);
    expect(final.find((r) => r.model === 'theta_e')!.metrics).toEqual(ref.metrics.exploitation);
    expect(readJsonl<{ iteration: number }>(log).map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  }, 600_000);
});
