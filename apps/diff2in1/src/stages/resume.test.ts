// kill -9 in the middle of `diff2in1 train`, then the same command again: the run must end exactly where an
// uninterrupted run ends (same θC / θE bytes, same metrics). Spawns the BUILT CLI (dist/cli.js, made by
// `pnpm build` / tools/bootstrap.sh, which `npm test` runs first) as child processes, ORT on 1 thread each.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(appRoot, 'dist', 'cli.js');

/** A short pipeline: 64×64 toyworld, tiny SD, Bae 'small', a few iterations per stage with frequent checkpoints. */
const ARGS = [
  '--config', 'ci-demo', '--threads', '1', '--device', 'cpu', '--quiet',
  '--set', 'data.counts={"train":8,"test":4}',
  '--set', 'warmup.iterations=6', '--set', 'warmup.batchSize=4', '--set', 'warmup.checkpointEvery=2',
  '--set', 'synthesis.maxSamples=4', '--set', 'synthesis.steps=4',
  '--set', 'selfImprove.iterations=10', '--set', 'selfImprove.batchSize=2', '--set', 'selfImprove.checkpointEvery=2', '--set', 'selfImprove.K=4',
];

interface Child {
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }>;
  kill(): void;
}

function train(runDir: string): Child {
  const p = spawn(process.execPath, [cli, 'train', '--run-dir', runDir, ...ARGS], { cwd: appRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    done: new Promise((res) => p.on('exit', (code, signal) => res({ code, signal, err }))),
    kill: () => p.kill('SIGKILL'),
  };
}

/** Iterations the self-improving stage has logged so far (its own JSONL log, appended once per iteration). */
function selfImproveIterations(runDir: string): number {
  const p = join(runDir, 'work', 'self-improve', 'log.jsonl');
  if (!existsSync(p)) return 0;
  return readFileSync(p, 'utf8').split('\n').filter((l) => l.endsWith('}')).length;
}

const metricsOf = (runDir: string): unknown =>
  (JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')) as { entries: { at: string }[] }).entries.map(({ at: _at, ...e }) => e);
const bytes = (runDir: string, rel: string): string => readFileSync(join(runDir, rel)).toString('base64');

describe('train killed with SIGKILL mid-way', () => {
  it('resumes to the same final weights and metrics as an uninterrupted run', async () => {
    expect(existsSync(cli), `${cli} is missing: build the app first (pnpm build, or bash tools/bootstrap.sh)`).toBe(true);
    const a = mkdtempSync(join(tmpdir(), 'resume-a-'));
    const b = mkdtempSync(join(tmpdir(), 'resume-b-'));
    // Both runs at once (one ORT thread each).
    const whole = train(a);
    const killed = train(b);
    let killedAt = -1;
    const watch = setInterval(() => {
      const n = selfImproveIterations(b);
      if (killedAt < 0 && n >= 3) {
        killedAt = n;
        killed.kill();
      }
    }, 10);
    const k = await killed.done;
    clearInterval(watch);
    expect(k.signal, `the run ended before the kill: ${k.err}`).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(3);
    expect(killedAt).toBeLessThan(10);
    const state = JSON.parse(readFileSync(join(b, 'state.json'), 'utf8')) as { stages: Record<string, { status: string }> };
    expect(state.stages['self-improve']?.status).toBe('running');
    expect(existsSync(join(b, 'metrics.json'))).toBe(false);

    const resumed = await train(b).done;
    expect(resumed.code, resumed.err).toBe(0);
    const w = await whole.done;
    expect(w.code, w.err).toBe(0);

    for (const rel of ['checkpoints/warmup.safetensors', 'checkpoints/creation.safetensors', 'checkpoints/exploitation.safetensors']) {
      expect(bytes(b, rel), rel).toBe(bytes(a, rel));
    }
    expect(metricsOf(b)).toEqual(metricsOf(a));
    const m = metricsOf(a) as { model: string; task: string; metrics: Record<string, number> }[];
    expect(m.map((e) => e.model).sort()).toEqual(['creation', 'exploitation', 'warmup']);
    for (const e of m) expect(Number.isFinite(e.metrics['mean'])).toBe(true);
    // The final log holds each self-improving iteration once, though the killed attempt had logged some of them.
    const log = readFileSync(join(b, 'logs', 'self-improve.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; step?: number; resumedFrom?: number });
    expect(log.filter((r) => r.event === 'train').map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // It continued from a checkpoint of the killed attempt (every 2 iterations), not from scratch.
    const resumedFrom = log.find((r) => r.event === 'info')?.resumedFrom ?? 0;
    expect(resumedFrom).toBeGreaterThanOrEqual(2);
    expect(resumedFrom).toBeLessThanOrEqual(killedAt);
    expect(existsSync(join(b, 'report.html'))).toBe(true);
  });
});
