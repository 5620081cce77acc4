// The eval stage: θW, θC and θE (θW only in warmup-only mode) on eval.split with each task's metrics as the papers
// compute them (@diff2in1/tasks; normals: Bae et al.'s mean / median / RMSE / % within, with eval.angleUnit) into
// metrics.json; grids for the report: samples/eval/ (input | ground truth | warm-up θW | final model) and
// samples/pairs/ (synthetic RGB | θC label, the "multi-modal pairs" of the generative view).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskName } from '@diff2in1/tasks';
import { OFFICIAL_DIFF2IN1_RAD_TO_DEG, getTask } from '@diff2in1/tasks';
import type { Tensor } from '@diff2in1/tensor';
import { Diff2in1Error, writePng } from '@diff2in1/tensor';
import { stackLabels } from '@diff2in1/self-improver';
import type { Diff2in1Config } from '../config/finalize.js';
import type { StageContext } from '../stages.js';
import { openBackbone } from './backbone.js';
import type { ModelRole } from './inference.js';
import { Inference, batchPrediction, finalLabel, finalRole, inputImage, loadWeights, predictionValue, stem, visualize } from './inference.js';
import { runSplit, sized, syntheticSplit } from './model.js';

interface Acc {
  update(pred: Tensor, gt: Tensor, valid?: Tensor<'bool'>): void;
  compute(): unknown;
}

function accumulator(task: TaskName, config: Diff2in1Config, numClasses: number | undefined): Acc {
  const def = getTask(task);
  if (def.kind === 'classes') return def.metric(numClasses === undefined ? {} : { numClasses }) as unknown as Acc;
  if (task === 'normals' && config.eval.angleUnit === 'official-3.14') return getTask('normals').metric({ radToDeg: OFFICIAL_DIFF2IN1_RAD_TO_DEG }) as unknown as Acc;
  return def.metric({}) as unknown as Acc;
}

/** Iterations recorded in the weights' log (for the metrics' step field). */
function iterationsOf(ctx: StageContext, stage: 'warmup' | 'self-improve'): number | undefined {
  const p = ctx.path(`logs/${stage}.jsonl`);
  if (!existsSync(p)) return undefined;
  let last: number | undefined;
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    try {
      const r = JSON.parse(line) as { event?: string; step?: unknown };
      if (r.event === 'train' && typeof r.step === 'number') last = r.step;
    } catch {
      // torn or empty line
    }
  }
  return last;
}

export async function runEval(ctx: StageContext): Promise<void> {
  const { config } = ctx;
  const selfImproving = config.selfImprove.mode !== 'warmup-only';
  const roles: ModelRole[] = selfImproving ? ['warmup', 'creation', 'exploitation'] : ['warmup'];
  const states = new Map(roles.map((r) => [r, loadWeights(ctx, r)]));
  const split = config.eval.split;
  const test = await runSplit(ctx, split);
  const tasks = test.tasks.filter((t) => config.data.tasks.includes(t as never)) as TaskName[];
  for (const dir of ['samples/eval', 'samples/pairs']) rmSync(ctx.path(dir), { recursive: true, force: true });

  const backbone = await openBackbone(config);
  let inf: Inference | undefined;
  try {
    inf = await Inference.create(ctx, backbone);
    const source = inf.source(test);
    const accs = new Map(roles.map((r) => [r, new Map(tasks.map((t) => [t, accumulator(t, config, test.classes[t as 'semseg' | 'parts']?.names.length)]))]));
    const gridRows = Math.min(config.report.grids, test.length);
    const final = finalRole(config);
    const shown: ModelRole[] = final === 'warmup' ? ['warmup'] : ['warmup', final];
    const rows: { label: string; images: (string | null)[] }[][] = tasks.map(() => []);
    const bs = config.eval.batchSize;
    const p = ctx.progress(`eval (${roles.length} model${roles.length > 1 ? 's' : ''})`, test.length);
    for (let start = 0; start < test.length; start += bs) {
      if (ctx.signal.aborted) break;
      const items = Array.from({ length: Math.min(bs, test.length - start) }, (_, k) => ({ index: start + k, variant: 'none' as const, visit: 0 }));
      const { samples, features } = await source.load(items);
      const preds = new Map<ModelRole, Awaited<ReturnType<Inference['predict']>>>();
      for (const role of roles) {
        const pred = await inf.predict(states.get(role)!, features);
        preds.set(role, pred);
        for (const t of tasks) {
          const pt = pred[t];
          if (!pt) throw new Diff2in1Error('eval', `the head gave no '${t}' prediction`);
          const { gt, valid } = stackLabels(samples, t);
          accs.get(role)!.get(t)!.update(batchPrediction(t, pt), gt, valid);
        }
      }
      // Grid rows for the first report.grids images.
      for (let k = 0; k < samples.length && start + k < gridRows; k++) {
        const s = samples[k]!;
        const id = stem(s.id);
        const input = `samples/eval/${id}-input.png`;
        await writePng(ctx.path(input), inputImage(s));
        for (const [ti, t] of tasks.entries()) {
          const label = s.labels[t]!;
          const gt = `samples/eval/${id}-${t}-gt.png`;
          await writePng(ctx.path(gt), visualize(t, label.value, label.valid));
          const cells: string[] = [];
          for (const role of shown) {
            const f = `samples/eval/${id}-${t}-${role}.png`;
            await writePng(ctx.path(f), visualize(t, predictionValue(t, preds.get(role)![t]!, k)));
            cells.push(f);
          }
          rows[ti]!.push({ label: s.id, images: [input, gt, ...cells] });
        }
      }
      p.update(start + items.length);
    }
    source.close();
    if (ctx.signal.aborted) return;
    p.done();

    const steps: Record<ModelRole, number | undefined> = { warmup: iterationsOf(ctx, 'warmup'), creation: iterationsOf(ctx, 'self-improve'), exploitation: iterationsOf(ctx, 'self-improve') };
    for (const role of roles) {
      for (const t of tasks) {
        const metrics = accs.get(role)!.get(t)!.compute() as Record<string, unknown>;
        const step = steps[role];
        const e = ctx.recordMetrics({ model: role, split, task: t, ...(step !== undefined ? { step } : {}), metrics });
        ctx.log({ event: 'eval', model: role, task: t, split, metrics: e.metrics });
        if (t === 'normals') ctx.info(`eval ${role.padEnd(12)} normals: mean ${e.metrics['mean']?.toFixed(2)}°, median ${e.metrics['median']?.toFixed(2)}°, within 11.25° ${e.metrics['within.11.25']?.toFixed(1)} %`);
        else ctx.info(`eval ${role} ${t}: ${JSON.stringify(e.metrics)}`);
      }
    }
    for (const [ti, t] of tasks.entries()) {
      ctx.writeGrid(tasks.length === 1 ? 'eval' : `eval-${t}`, {
        title: `${split} predictions — ${t}`,
        columns: ['input', 'ground truth', ...shown.map((r) => (r === 'warmup' ? 'warm-up θW' : finalLabel(config)))],
        rows: rows[ti]!,
        order: 10,
      });
    }
    // eval/ must exist even without grid rows (report.grids 0): the runner hashes it.
    if (rows.every((r) => r.length === 0)) ctx.writeGrid('eval', { title: `${split} predictions`, columns: ['input'], rows: [] });
    if (selfImproving) await writePairs(ctx, inf, states.get('creation')!, tasks);
  } finally {
    await inf?.release();
    await backbone.dispose();
  }
}

/** samples/pairs/: synthetic RGB | θC's label of it (the labels θC hands θE, in their dense eval form). */
async function writePairs(ctx: StageContext, inf: Inference, creation: Record<string, Tensor>, tasks: TaskName[]): Promise<void> {
  const synthetic = sized(await syntheticSplit(ctx), ctx.config);
  const n = Math.min(ctx.config.report.grids, synthetic.length);
  if (n === 0) return;
  const source = inf.source(synthetic, `synthetic-${ctx.config.selfImprove.mode}`);
  let captions: Record<string, string> = {};
  try {
    captions = JSON.parse(readFileSync(join(ctx.path('samples/synthetic'), 'captions.json'), 'utf8')) as Record<string, string>;
  } catch {
    // captions are optional in the grid
  }
  try {
    const { samples, features } = await source.load(Array.from({ length: n }, (_, i) => ({ index: i, variant: 'none' as const, visit: 0 })));
    const pred = await inf.predict(creation, features);
    const rows = [];
    for (const [k, s] of samples.entries()) {
      const id = stem(s.id);
      const rgb = `samples/synthetic/images/${s.id}.png`;
      const cells: string[] = [];
      for (const t of tasks) {
        const f = `samples/pairs/${id}-${t}.png`;
        await writePng(ctx.path(f), visualize(t, predictionValue(t, pred[t]!, k)));
        cells.push(f);
      }
      rows.push({ label: s.id, ...(captions[s.id] ? { caption: captions[s.id] } : {}), images: [existsSync(ctx.path(rgb)) ? rgb : null, ...cells] });
    }
    ctx.writeGrid('pairs', { title: 'Synthetic RGB + θC labels (multi-modal pairs)', columns: ['synthetic RGB', ...tasks.map((t) => `θC ${t}`)], rows, order: 30 });
  } finally {
    source.close();
  }
}
