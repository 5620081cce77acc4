// The warm-up stage (paper §4.1, Eq. 6): adapter + head trained on the real pairs over the frozen SD features →
// checkpoints/warmup.safetensors (θW). @diff2in1/self-improver's runWarmup does the work in work/warmup/
// (its checkpoints, log.jsonl, eval.jsonl, theta_w.safetensors); a killed run resumes from its last checkpoint.
import { copyFileSync, renameSync } from 'node:fs';
import { runWarmup, summarize } from '@diff2in1/self-improver';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { StageContext } from '../stages.js';
import { ARTIFACTS } from '../stages.js';
import { openBackbone } from './backbone.js';
import { LogMirror, featureCache, featureSettings, modelSpec, runSplit, sessionOptions } from './model.js';

/** Copies a finished weights file into checkpoints/ atomically (temp file + rename). */
export function publish(ctx: StageContext, from: string, rel: string): void {
  const to = ctx.path(rel);
  const tmp = `${to}.${process.pid}.tmp`;
  copyFileSync(from, tmp);
  renameSync(tmp, to);
}

/** The package's abort error becomes the pipeline's 'interrupted' (exit 130, "run the same command to resume"). */
export function rethrow(ctx: StageContext, e: unknown): never {
  if (ctx.signal.aborted) throw new Diff2in1Error('interrupted', `stage '${ctx.stage}' interrupted; its last checkpoint is kept and the same command resumes`, { cause: e });
  throw e;
}

export async function runWarmupStage(ctx: StageContext): Promise<void> {
  const { config } = ctx;
  const w = config.warmup;
  const optimizer = w.optimizer === 'sgd' ? unsupported('warmup.optimizer', 'sgd') : w.optimizer;
  const train = await runSplit(ctx, 'train');
  const test = await runSplit(ctx, config.eval.split);
  const backbone = await openBackbone(config);
  const mirror = new LogMirror(ctx, ctx.workDir).start();
  let ok = false;
  try {
    const r = await runWarmup({
      backbone, train, test, out: ctx.workDir, cache: featureCache(ctx),
      model: modelSpec(config), features: featureSettings(config), seed: config.run.seed, session: sessionOptions(config),
      batchSize: w.batchSize, lr: w.lr, optimizer,
      ...(w.weightDecay > 0 ? { weightDecay: w.weightDecay } : {}),
      ...(w.iterations !== undefined ? { iterations: w.iterations } : { epochs: w.epochs! }),
      checkpointEvery: w.checkpointEvery,
      // warmup.evalEvery 0 = no evaluation while training (the eval stage measures θW on the whole split).
      evalEvery: w.evalEvery,
      resume: ctx.resume,
      quiet: ctx.quiet, progressStream: ctx.progressStream, log: (m) => ctx.info(m), signal: ctx.signal,
    });
    publish(ctx, r.weights, ARTIFACTS.warmup);
    ok = true;
    mirror.stop(true, [{
      event: 'info', message: 'warm-up finished', iterations: r.iterations, resumedFrom: r.resumedFrom, seconds: r.seconds,
      secondsPerIteration: r.secondsPerIteration.all, cache: r.cache,
    }]);
    ctx.info(`warm-up: ${r.iterations} iterations (${r.secondsPerIteration.all.toFixed(3)} s/it)${r.metrics ? `; ${summarize(r.metrics)}` : ''} → ${ARTIFACTS.warmup}`);
  } catch (e) {
    rethrow(ctx, e);
  } finally {
    if (!ok) mirror.stop(false);
    await backbone.dispose();
  }
}

export function unsupported(field: string, value: string): never {
  throw new Diff2in1Error('config', `${field}: "${value}" is not supported by @diff2in1/self-improver yet (it trains with adam or adamw)`);
}
