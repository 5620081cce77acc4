// Shard parsing (flags and batch-system environments), the partition's properties, and per-sample seeds.
import { describe, expect, it } from 'vitest';
import { Rng } from '@diff2in1/tensor';
import { inShard, parseShard, sampleSeed, shardFromEnv, shardItems, subShard } from './shards.js';

describe('parseShard / shardFromEnv', () => {
  it('i/N, 0-based, with errors that say what is allowed', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard(' 3/4 ')).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('4/4')).toThrow(/index must be an integer in \[0, 3\] \(0-based\), got 4/);
    expect(() => parseShard('1/0')).toThrow(/count must be an integer ≥ 1/);
    expect(() => parseShard('1-4')).toThrow(/'i\/N' \(0-based, e.g. 0\/4\), 'auto' or 'auto\/N'/);
  });

  it('Slurm arrays: index from ID − MIN over STEP, count from COUNT', () => {
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ index: 5, count: 8 });
    // sbatch --array=1-8 → ids 1..8, min 1
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ index: 0, count: 8 });
    // sbatch --array=0-14:2 → ids 0, 2, …, 14 (8 tasks)
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '14', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ index: 7, count: 8 });
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '8' })).toThrow(/not on the array's grid/);
    expect(() => parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '8' })).toThrow(/disagrees with SLURM_ARRAY_TASK_COUNT=8/);
  });

  it('Kubernetes indexed Jobs: JOB_COMPLETION_INDEX with the count from auto/N or DIFF2IN1_SHARD_COUNT', () => {
    expect(parseShard('auto/6', { JOB_COMPLETION_INDEX: '2' })).toEqual({ index: 2, count: 6 });
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '2', DIFF2IN1_SHARD_COUNT: '3' })).toEqual({ index: 2, count: 3 });
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '2' })).toThrow(/--shard auto\/N with N = the Job's completions/);
    expect(() => parseShard('auto/2', { JOB_COMPLETION_INDEX: '2' })).toThrow(/\[0, 1\]/);
  });

  it('DIFF2IN1_SHARD, and a clear error when nothing is set', () => {
    expect(parseShard('auto', { DIFF2IN1_SHARD: '1/3' })).toEqual({ index: 1, count: 3 });
    expect(() => parseShard('auto', {})).toThrow(/Slurm array .* Kubernetes indexed Job .* DIFF2IN1_SHARD=i\/N/);
  });
});

describe('partition', () => {
  it('shards are disjoint, cover every item, keep order and differ in size by at most one', () => {
    const items = Array.from({ length: 23 }, (_, i) => `item${i}`);
    for (const n of [1, 2, 3, 5, 23, 30]) {
      const parts = Array.from({ length: n }, (_, i) => shardItems(items, { index: i, count: n }));
      expect(parts.flat().sort()).toEqual([...items].sort());
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      for (const p of parts) expect(p).toEqual(items.filter((x) => p.includes(x)));
    }
  });

  it('W workers inside shard i of N split exactly that shard', () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    const shard = { index: 1, count: 3 };
    const whole = shardItems(items, shard);
    const subs = [0, 1, 2, 3].map((w) => shardItems(items, subShard(shard, w, 4)));
    expect(subs.flat().sort((a, b) => a - b)).toEqual(whole);
    expect(subs.every((s) => s.every((j) => inShard(j, shard)))).toBe(true);
  });
});

describe('sampleSeed', () => {
  it('is a function of (job seed, source id, k) only: equal inputs agree, any change gives a new seed', () => {
    const ids = ['a', 'b', 'toy_0001', 'toy_0010', 'toy_0100'];
    const seen = new Set<bigint>();
    for (const job of [0, 1, 2 ** 40]) for (const id of ids) for (const k of [0, 1, 2]) seen.add(sampleSeed(job, id, k));
    expect(seen.size).toBe(3 * ids.length * 3);
    expect(sampleSeed(7, 'x', 1)).toBe(sampleSeed(7n, 'x', 1));
    // It is the chain of Rng forks documented in shards.ts (and so inherits their machine independence).
    expect(sampleSeed(7, 'x', 1)).toBe(new Rng(7).fork('diff2in1/synthesis').fork('x').fork(1).seed);
  });
});
