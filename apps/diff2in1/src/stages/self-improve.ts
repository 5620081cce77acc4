// The self-improving stage (paper §4.3): θC and θE start at θW; θE trains on real pairs and on synthetic images
// labelled on the fly by θC; θC ← α·θC + (1−α)·θE every K samples. selfImprove.mode picks the paper's comparison:
// diff2in1 | gna (from-noise images, same loop) | da-fusion (labels from the frozen θW once, no EMA; final = θE) |
// warmup-only (θC = θE = θW). @diff2in1/self-improver's runSelfImprove does the work in work/self-improve/
// (checkpoints of θC, θE and the optimizer, logs); the stage publishes checkpoints/{creation,exploitation}.safetensors.
import { writeSafetensors } from '@diff2in1/tensor';
import { runSelfImprove, summarize } from '@diff2in1/self-improver';
import type { StageContext } from '../stages.js';
import { ARTIFACTS } from '../stages.js';
import { openBackbone } from './backbone.js';
import { LogMirror, featureCache, featureSettings, modelSpec, runSplit, sessionOptions, sized, syntheticSplit } from './model.js';
import { rethrow, unsupported } from './warmup.js';

export async function runSelfImproveStage(ctx: StageContext): Promise<void> {
  const { config } = ctx;
  const s = config.selfImprove;
  const optimizer = s.optimizer === 'sgd' ? unsupported('selfImprove.optimizer', 'sgd') : s.optimizer;
  const train = await runSplit(ctx, 'train');
  const test = await runSplit(ctx, config.eval.split);
  const synthetic = s.mode === 'warmup-only' ? undefined : sized(await syntheticSplit(ctx), config);
  const backbone = await openBackbone(config);
  const mirror = new LogMirror(ctx, ctx.workDir).start();
  let ok = false;
  try {
    const r = await runSelfImprove({
      mode: s.mode, backbone, train, test, ...(synthetic ? { synthetic } : {}), warmup: ctx.path(ARTIFACTS.warmup),
      out: ctx.workDir, cache: featureCache(ctx), model: modelSpec(config), features: featureSettings(config),
      seed: config.run.seed, session: sessionOptions(config),
      mixing: s.mixing, batchSize: s.batchSize, lr: s.lr, optimizer, ...(s.weightDecay > 0 ? { weightDecay: s.weightDecay } : {}),
      ...(s.iterations !== undefined ? { iterations: s.iterations } : { epochs: s.epochs! }),
      ema: { alpha: s.alpha, everySamples: s.K },
      ...(s.confidenceMask.enabled ? { confidence: { minKappa: s.confidenceMask.threshold! } } : {}),
      checkpointEvery: s.checkpointEvery, evalEvery: s.evalEvery, resume: ctx.resume,
      quiet: ctx.quiet, progressStream: ctx.progressStream, log: (m) => ctx.info(m), signal: ctx.signal,
    });
    const meta = { format: 'diff2in1-weights/1', stage: 'self-improve', mode: r.mode, iterations: String(r.iterations) };
    // da-fusion keeps θC = θW (no EMA) and hands on θE; the checkpoints hold what each parameter set ended as.
    writeSafetensors(ctx.path(ARTIFACTS.creation), r.creation, { ...meta, model: 'creation' });
    writeSafetensors(ctx.path(ARTIFACTS.exploitation), r.exploitation, { ...meta, model: 'exploitation' });
    ok = true;
    mirror.stop(true, [{ event: 'info', message: 'self-improving finished', mode: r.mode, iterations: r.iterations, resumedFrom: r.resumedFrom, emaUpdates: r.emaUpdates, seconds: r.seconds }]);
    const m = r.metrics.final;
    ctx.info(`self-improve (${r.mode}): ${r.iterations} iterations, ${r.emaUpdates} EMA updates${m ? `; final: ${summarize(m)}` : ''}`);
  } catch (e) {
    rethrow(ctx, e);
  } finally {
    if (!ok) mirror.stop(false);
    await backbone.dispose();
  }
}
