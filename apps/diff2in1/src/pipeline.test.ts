// Orchestration tests with stand-in stage implementations (they write small files where the real stages write
// checkpoints and images). What is tested is the runner: order, skipping, resuming, invalidation, errors.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Diff2in1Config } from './config/finalize.js';
import { validateConfig } from './config/load.js';
import { runStages, stageStatus } from './pipeline.js';
import { RunDir } from './run-dir.js';
import { STAGE_DEFINITIONS, planPipeline } from './stage-definitions.js';
import type { StageContext, StageName, StageRun } from './stages.js';
import { ARTIFACTS, StageRegistry, StageUnavailableError } from './stages.js';

const quiet = { quiet: true } as const;

function config(dir: string, raw: Record<string, unknown> = {}): Diff2in1Config {
  return validateConfig(raw, { runDir: dir });
}

function put(ctx: StageContext, rel: string, text: string): void {
  const p = ctx.path(rel.endsWith('/') ? `${rel}out.txt` : rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
}

/** Stand-ins that write each declared output; `calls` records what ran. */
function standIns(calls: string[], content: Partial<Record<StageName, (ctx: StageContext) => string>> = {}): Partial<Record<StageName, StageRun>> {
  const out: Partial<Record<StageName, StageRun>> = {};
  for (const d of STAGE_DEFINITIONS) {
    out[d.name] = async (ctx) => {
      calls.push(d.name);
      const produces = typeof d.produces === 'function' ? d.produces(ctx.config, ctx.args) : d.produces;
      for (const rel of produces) put(ctx, rel, content[d.name]?.(ctx) ?? `${d.name} output`);
    };
  }
  return out;
}

function registry(runs: Partial<Record<StageName, StageRun | undefined>>): StageRegistry {
  return new StageRegistry(STAGE_DEFINITIONS).with(runs);
}

describe('planPipeline', () => {
  it('follows the paper order, and skips data creation for warmup-only', () => {
    expect(planPipeline(config('/r'))).toEqual(['data', 'warmup', 'caption', 'synthesize', 'self-improve', 'eval', 'report']);
    expect(planPipeline(config('/r', { selfImprove: { mode: 'warmup-only' } }))).toEqual(['data', 'warmup', 'eval', 'report']);
  });
});

describe('runStages', () => {
  it('runs in order, records artifacts, then skips what is up to date (the report always re-runs)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipe-'));
    const c = config(root);
    const runDir = RunDir.create(root);
    const calls: string[] = [];
    const reg = registry(standIns(calls));
    const first = await runStages({ registry: reg, runDir, config: c, stages: planPipeline(c), ...quiet });
    expect(calls).toEqual(planPipeline(c));
    expect(first.every((o) => o.status === 'ran')).toBe(true);
    const st = runDir.readState();
    expect(st.stages['warmup']!.status).toBe('complete');
    expect(Object.keys(st.stages['self-improve']!.artifacts)).toEqual([ARTIFACTS.creation, ARTIFACTS.exploitation]);
    calls.length = 0;
    const second = await runStages({ registry: reg, runDir, config: c, stages: planPipeline(c), ...quiet });
    expect(calls).toEqual(['report']);
    expect(second.filter((o) => o.status === 'skipped').map((o) => o.stage)).toEqual(['data', 'warmup', 'caption', 'synthesize', 'self-improve', 'eval']);
  });

  it('a config change re-runs the stages that read it, and downstream stages whose inputs changed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipe-'));
    const runDir = RunDir.create(root);
    const calls: string[] = [];
    // warm-up output depends on its lr (as real weights would).
    const reg = registry(standIns(calls, { warmup: (ctx) => `weights for lr ${ctx.config.warmup.lr}` }));
    const c1 = config(root);
    await runStages({ registry: reg, runDir, config: c1, stages: planPipeline(c1), ...quiet });
    calls.length = 0;
    const c2 = config(root, { warmup: { lr: 1e-3 } });
    await runStages({ registry: reg, runDir, config: c2, stages: planPipeline(c2), ...quiet });
    // caption and synthesize do not read warm-up outputs; self-improve and eval do; warmup's section changed.
    expect(calls).toEqual(['warmup', 'self-improve', 'eval', 'report']);
  });

  it('a re-run that reproduces identical outputs leaves downstream stages valid', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipe-'));
    const runDir = RunDir.create(root);
    const calls: string[] = [];
    const reg = registry(standIns(calls)); // outputs do not depend on the config
    const c1 = config(root);
    await runStages({ registry: reg, runDir, config: c1, stages: planPipeline(c1), ...quiet });
    calls.length = 0;
    // A captioning batch size changes how captions are computed, not what they are: synthesis stays valid.
    const c2 = config(root, { caption: { batchSize: 3 } });
    await runStages({ registry: reg, runDir, config: c2, stages: planPipeline(c2), ...quiet });
    expect(calls).toEqual(['caption', 'report']);
  });

  it('a deleted or edited output makes its stage run again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipe-'));
    const runDir = RunDir.create(root);
    const calls: string[] = [];
    const reg = registry(standIns(calls));
    const c = config(root, { selfImprove: { mode: 'warmup-only' } });
    await runStages({ registry: reg, runDir, config: c, stages: planPipeline(c), ...quiet });
    rmSync(runDir.path(ARTIFACTS.eval), { recursive: true });
    writeFileSync(runDir.path(ARTIFACTS.warmup), 'tampered');
    calls.length = 0;
    await runStages({ registry: reg, runDir, config: c, stages: planPipeline(c), ...quiet });
    expect(calls).toEqual(['warmup', 'eval', 'report']);
  });

  it('an interrupted stage resumes with its work directory; a changed fingerprint starts it fresh', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipe-'));
    const runDir = RunDir.create(root);
    const calls: string[] = [];
    const seen: { resume: boolean; had: boolean }[] = [];
    let crash = true;
    const runs = standIns(calls);
    runs.warmup = async (ctx) => {
      seen.push({ resume: ctx.resume, had: existsSync(join(ctx.workDir, 'step.txt')) });
      writeFileSync(join(ctx.workDir, 'step.txt'), '100');
      if (crash) throw new Error('killed at step 100');
      put(ctx, ARTIFACTS.warmup, 'w');
    };
    const reg = registry(runs);
    const c = config(root, { selfImprove: { mode: 'warmup-only' } });
    await expect(runStages({ registry: reg, runDir, config: c, stages: planPipeline(c), ...quiet })).rejects.toThrow('killed at step 100');
    expect(runDir.readState().stages['warmup']).toMatchObject({ status: 'failed', error: 'killed at step 100' });
    crash = false;
    calls.length = 0;
    await runStages({ registry: reg, runDir, config: c, stages: planPipeline(c), ...quiet });
    expect(calls).toEqual(['eval', 'report']); // data was complete: skipped
    expect(seen).toEqual([{ resume: false, had: false }, { resume: true, had: true }]);
    // A crash, then a different config: the old partial state must not be resumed.
    crash = true;
    const c2 = config(root, { selfImprove: { mode: 'warmup-only' }, warmup: { batchSize: 2 } });
    await expect(runStages({ registry: reg, runDir, config: c2, stages: ['warmup'], ...quiet })).rejects.toThrow();
    crash = false;
    const c3 = config(root, { selfImprove: { mode: 'warmup-only' }, warmup: { batchSize: 3 } });
    await runStages({ registry: reg, runDir, config: c3, stages: ['warmup'], ...quiet });
    expect(seen.slice(2)).toEqual([{ resume: false, had: false }, { resume: false, had: false }]);
  });

  it('stops at the first stage that is not available, after running the ones before it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipe-'));
    const runDir = RunDir.create(root);
    const calls: string[] = [];
    const runs = standIns(calls);
    runs.caption = undefined;
    const c = config(root);
    const err = await runStages({ registry: registry(runs), runDir, config: c, stages: planPipeline(c), ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StageUnavailableError);
    expect((err as Error).message).toBe("stage 'caption' is not available yet: @diff2in1/captioner has not landed");
    expect(calls).toEqual(['data', 'warmup']);
  });

  it('a stage run alone needs its inputs and names the stage that makes them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipe-'));
    const runDir = RunDir.create(root);
    const reg = registry(standIns([]));
    const c = config(root);
    await expect(runStages({ registry: reg, runDir, config: c, stages: ['eval'], ...quiet })).rejects.toThrow(
      `stage 'eval' needs data/ in ${root}, made by stage 'data' (run \`diff2in1 data\` or \`diff2in1 train\`)`,
    );
    await runStages({ registry: reg, runDir, config: c, stages: ['data'], ...quiet });
    await expect(runStages({ registry: reg, runDir, config: c, stages: ['eval'], ...quiet })).rejects.toThrow(/needs checkpoints\/warmup\.safetensors .*made by stage 'warmup'/);
  });

  it('a stage that does not write its declared output fails and is recorded as failed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipe-'));
    const runDir = RunDir.create(root);
    const reg = registry({ ...standIns([]), data: async () => {} });
    const c = config(root);
    await expect(runStages({ registry: reg, runDir, config: c, stages: ['data'], ...quiet })).rejects.toThrow(
      "stage 'data' finished without writing data/ (its implementation in @diff2in1/toyworld must produce it)",
    );
    expect(runDir.readState().stages['data']!.status).toBe('failed');
    expect(stageStatus(reg, runDir, c, 'data').upToDate).toBe(false);
  });

  it('gives stages a context: logs, metrics and grids land in the run directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipe-'));
    const runDir = RunDir.create(root);
    const reg = registry({
      ...standIns([]),
      data: async (ctx) => {
        ctx.log({ event: 'info', n: 1 });
        ctx.recordMetrics({ model: 'warmup', split: 'test', task: 'normals', metrics: { mean: 1, within: { '11.25': 50 } } });
        put(ctx, 'data/img.png', 'png');
        ctx.writeGrid('demo', { title: 't', columns: ['a'], rows: [{ label: 'x', images: ['data/img.png'] }] });
      },
    });
    const c = config(root);
    await runStages({ registry: reg, runDir, config: c, stages: ['data'], ...quiet });
    expect(readFileSync(runDir.logPath('data'), 'utf8')).toContain('"event":"info"');
    const metrics = JSON.parse(readFileSync(join(root, 'metrics.json'), 'utf8'));
    expect(metrics.entries[0]).toMatchObject({ stage: 'data', mode: 'diff2in1', metrics: { mean: 1, 'within.11.25': 50 } });
    expect(existsSync(join(root, 'samples/demo/grid.json'))).toBe(true);
  });
});
