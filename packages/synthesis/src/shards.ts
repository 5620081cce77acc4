// Splitting a job's items across machines or processes, and the per-sample seeds that make any split reproducible.
//
// Items are numbered in a canonical order (source images in dataset order, then k = 0..K−1 for each). Shard i of
// N owns the items whose number is ≡ i (mod N): the shards are disjoint, cover every item, differ in size by at most
// one, and each shard's share of every source image interleaves (so no shard gets all of one slow image size).
// Seeds do not depend on that order at all: they are hashed from (job seed, source image id, k).
import { Diff2in1Error, Rng } from '@diff2in1/tensor';

/** Shard `index` (0-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** The whole job as one shard. */
export const WHOLE: Readonly<Shard> = Object.freeze({ index: 0, count: 1 });

function checkShard(index: number, count: number, what: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1) throw new Diff2in1Error('shard', `${what}: the shard count must be an integer ≥ 1, got ${count}`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new Diff2in1Error('shard', `${what}: the shard index must be an integer in [0, ${count - 1}] (0-based), got ${index}`);
  }
  return { index, count };
}

function intOf(text: string | undefined, what: string): number {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) throw new Diff2in1Error('shard', `${what} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * Parses `i/N` (0-based index i, e.g. `0/4` … `3/4`). `auto` and `auto/N` read the index (and count) from the
 * environment, see shardFromEnv.
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const t = text.trim();
  if (t === 'auto') return shardFromEnv(env);
  const auto = /^auto\/(\d+)$/.exec(t);
  if (auto) return shardFromEnv(env, Number(auto[1]));
  const m = /^(\d+)\/(\d+)$/.exec(t);
  if (!m) throw new Diff2in1Error('shard', `--shard must be 'i/N' (0-based, e.g. 0/4), 'auto' or 'auto/N', got ${JSON.stringify(text)}`);
  return checkShard(Number(m[1]), Number(m[2]), `--shard ${t}`);
}

/**
 * The shard of this process from the environment of a batch system:
 * - Slurm job arrays (`sbatch --array=0-7`): index = (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP,
 *   count = SLURM_ARRAY_TASK_COUNT (so `--array=1-8` works too);
 * - Kubernetes indexed Jobs (`completionMode: Indexed`): index = JOB_COMPLETION_INDEX; Kubernetes does not pass the
 *   completion count, so it comes from `countHint` (`--shard auto/N`) or DIFF2IN1_SHARD_COUNT;
 * - anything else: DIFF2IN1_SHARD = 'i/N'.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv = process.env, countHint?: number): Shard {
  const slurmId = env.SLURM_ARRAY_TASK_ID;
  if (slurmId !== undefined && slurmId !== '') {
    const id = intOf(slurmId, 'SLURM_ARRAY_TASK_ID');
    const min = env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : intOf(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN');
    const step = env.SLURM_ARRAY_TASK_STEP === undefined ? 1 : intOf(env.SLURM_ARRAY_TASK_STEP, 'SLURM_ARRAY_TASK_STEP');
    const count = env.SLURM_ARRAY_TASK_COUNT !== undefined ? intOf(env.SLURM_ARRAY_TASK_COUNT, 'SLURM_ARRAY_TASK_COUNT') : countHint;
    if (count === undefined) throw new Diff2in1Error('shard', 'SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard auto/N with the array size N');
    if (countHint !== undefined && countHint !== count) throw new Diff2in1Error('shard', `--shard auto/${countHint} disagrees with SLURM_ARRAY_TASK_COUNT=${count}`);
    if (step < 1 || (id - min) % step !== 0) throw new Diff2in1Error('shard', `SLURM_ARRAY_TASK_ID=${id} is not on the array's grid (min ${min}, step ${step})`);
    return checkShard((id - min) / step, count, `Slurm array task ${id}`);
  }
  const k8s = env.JOB_COMPLETION_INDEX;
  if (k8s !== undefined && k8s !== '') {
    const fromEnv = env.DIFF2IN1_SHARD_COUNT;
    const count = countHint ?? (fromEnv === undefined ? undefined : intOf(fromEnv, 'DIFF2IN1_SHARD_COUNT'));
    if (count === undefined) {
      throw new Diff2in1Error('shard', 'JOB_COMPLETION_INDEX is set (Kubernetes indexed Job) but the number of shards is not known: pass --shard auto/N with N = the Job\'s completions, or set DIFF2IN1_SHARD_COUNT');
    }
    return checkShard(intOf(k8s, 'JOB_COMPLETION_INDEX'), count, `Kubernetes completion index ${k8s}`);
  }
  const own = env.DIFF2IN1_SHARD;
  if (own !== undefined && own !== '') {
    if (own.trim().startsWith('auto')) throw new Diff2in1Error('shard', 'DIFF2IN1_SHARD must be i/N, not auto');
    return parseShard(own, {});
  }
  throw new Diff2in1Error('shard', '--shard auto found no shard in the environment: set by a Slurm array (SLURM_ARRAY_TASK_ID/COUNT), a Kubernetes indexed Job (JOB_COMPLETION_INDEX, with --shard auto/N) or DIFF2IN1_SHARD=i/N');
}

/** True when item number `itemIndex` of the canonical order belongs to `shard`. */
export function inShard(itemIndex: number, shard: Shard): boolean {
  return itemIndex % shard.count === shard.index;
}

/** The elements of `items` (in canonical order) that belong to `shard`, in the same order. */
export function shardItems<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_, j) => inShard(j, shard));
}

/**
 * Worker w of W inside shard i of N: shard i + N·w of N·W. Items ≡ i (mod N) split further by (item − i)/N mod W,
 * so the workers of a shard together do exactly that shard's items.
 */
export function subShard(shard: Shard, worker: number, workers: number): Shard {
  checkShard(worker, workers, 'worker');
  return { index: shard.index + shard.count * worker, count: shard.count * workers };
}

/**
 * The seed of sample k of source image `sourceId` in a job seeded with `jobSeed`: a hash of the three (Rng.fork
 * chains splitmix64 over FNV-1a of the keys), independent of item order, sharding and batch composition.
 */
export function sampleSeed(jobSeed: number | bigint, sourceId: string, k: number): bigint {
  return new Rng(jobSeed).fork('diff2in1/synthesis').fork(sourceId).fork(k).seed;
}
