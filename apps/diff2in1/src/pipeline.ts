// Running stages against a run directory. A pipeline stage is up to date when state.json says it completed
// with the same fingerprint — a hash of the config sections it reads (plus run.seed) and of the content of the
// artifacts it reads — and its outputs are still on disk unchanged. `train` therefore resumes at the first
// stage that is not up to date: after a crash, after a config change (that stage and, through the artifact
// hashes, everything downstream of a changed output re-runs), or after outputs were deleted.
import { createHash } from 'node:crypto';
import type { ProgressStream } from '@diff2in1/tensor';
import { Diff2in1Error, createProgress } from '@diff2in1/tensor';
import type { Diff2in1Config } from './config/finalize.js';
import { writeGrid } from './grids.js';
import { recordMetrics } from './metrics.js';
import type { RunDir, StageRecord } from './run-dir.js';
import type { StageArgs, StageContext, StageDefinition, StageName, StageRegistry } from './stages.js';
import { resolvePer } from './stages.js';

/** JSON with object keys sorted, so equal values hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The fingerprint of a stage: its config sections, run.seed, and the hashes of the artifacts it reads. */
export function stageFingerprint(def: StageDefinition, config: Diff2in1Config, inputs: Record<string, string>): string {
  const slice: Record<string, unknown> = { seed: config.run.seed };
  for (const s of def.sections) slice[s] = config[s];
  return createHash('sha256').update(canonicalJson({ stage: def.name, config: slice, inputs })).digest('hex');
}

export interface PipelineIO {
  /** Progress lines, info and warnings (default process.stderr). */
  stream?: ProgressStream;
  quiet?: boolean;
}

export interface RunStagesOptions extends PipelineIO {
  registry: StageRegistry;
  runDir: RunDir;
  config: Diff2in1Config;
  stages: readonly StageName[];
  /** Re-run these stages even when up to date (true: all). */
  force?: boolean | readonly StageName[];
  args?: StageArgs;
  signal?: AbortSignal;
}

export interface StageOutcome {
  stage: StageName;
  status: 'skipped' | 'ran';
  seconds: number;
}

/** Which stage produces a run-relative artifact. */
function producerOf(registry: StageRegistry, artifact: string, config: Diff2in1Config): StageDefinition | undefined {
  return registry.list().find((d) => d.pipeline && resolvePer(d.produces, config).includes(artifact));
}

/** Whether a pipeline stage's recorded completion is still valid; returns its fingerprint either way. */
export function stageStatus(
  registry: StageRegistry,
  runDir: RunDir,
  config: Diff2in1Config,
  name: StageName,
  args: StageArgs = {},
): { upToDate: boolean; fingerprint: string; missingInputs: string[]; record: StageRecord | undefined } {
  const def = registry.get(name);
  const state = runDir.readState();
  const inputs: Record<string, string> = {};
  const missingInputs: string[] = [];
  for (const rel of resolvePer(def.requires, config, args)) {
    const producer = producerOf(registry, rel, config);
    const rec = producer ? state.stages[producer.name]?.artifacts[rel] : undefined;
    if (rec && state.stages[producer!.name]?.status === 'complete' && runDir.verifyArtifact(rel, rec)) inputs[rel] = rec.sha256;
    else if (!producer && runDir.hasArtifact(rel)) inputs[rel] = runDir.hashArtifact(rel).sha256;
    else missingInputs.push(rel);
  }
  const fingerprint = stageFingerprint(def, config, inputs);
  const record = state.stages[name];
  const upToDate =
    !def.always &&
    missingInputs.length === 0 &&
    record?.status === 'complete' &&
    record.fingerprint === fingerprint &&
    resolvePer(def.produces, config, args).every((rel) => {
      const a = record.artifacts[rel];
      return a !== undefined && runDir.verifyArtifact(rel, a);
    });
  return { upToDate, fingerprint, missingInputs, record };
}

function line(io: PipelineIO, text: string): void {
  if (!io.quiet) (io.stream ?? process.stderr).write(`${text}\n`);
}

/**
 * Runs `stages` in order: up-to-date pipeline stages are skipped, the others run and are recorded in state.json.
 * Stops with StageUnavailableError at the first stage whose package has not landed, and with an error naming the
 * missing artifact and the stage that makes it when an input is absent.
 */
export async function runStages(opts: RunStagesOptions): Promise<StageOutcome[]> {
  const { registry, runDir, config } = opts;
  const args = opts.args ?? {};
  const signal = opts.signal ?? new AbortController().signal;
  const out: StageOutcome[] = [];
  const unavailable = opts.stages.filter((s) => !registry.get(s).run);
  if (opts.stages.length > 1 && unavailable.length) {
    line(opts, `note: not available yet: ${unavailable.map((s) => `${s} (${resolvePer(registry.get(s).provider, config, args)})`).join(', ')}; the run will stop at ${unavailable[0]}`);
  }
  for (const name of opts.stages) {
    const def = registry.get(name);
    const run = registry.implementation(name, config, args);
    const forced = opts.force === true || (Array.isArray(opts.force) && opts.force.includes(name));
    const st = stageStatus(registry, runDir, config, name, args);
    if (st.missingInputs.length) {
      const rel = st.missingInputs[0]!;
      const producer = producerOf(registry, rel, config);
      throw new Diff2in1Error(
        'stage',
        `stage '${name}' needs ${rel} in ${runDir.root}${producer ? `, made by stage '${producer.name}' (run \`diff2in1 ${producer.name}\` or \`diff2in1 train\`)` : ''}`,
      );
    }
    if (def.pipeline && st.upToDate && !forced) {
      line(opts, `✓ ${name}: up to date`);
      out.push({ stage: name, status: 'skipped', seconds: 0 });
      continue;
    }
    // Inputs made by stages that are no longer up to date with the current config: warn, use them.
    if (opts.stages.length === 1) {
      for (const rel of resolvePer(def.requires, config, args)) {
        const p = producerOf(registry, rel, config);
        if (p && !stageStatus(registry, runDir, config, p.name).upToDate && !p.always) {
          line(opts, `warning: ${rel} comes from stage '${p.name}', which is out of date with the current config; run \`diff2in1 train\` to redo it`);
        }
      }
    }
    const resume = def.pipeline && !forced && st.record !== undefined && st.record.status !== 'complete' && st.record.fingerprint === st.fingerprint;
    const workDir = runDir.workDir(name, !resume);
    const startedAt = new Date();
    if (def.pipeline) runDir.setStage(name, { status: 'running', fingerprint: st.fingerprint, startedAt: startedAt.toISOString(), artifacts: {} });
    line(opts, `▶ ${name}: ${def.summary}${resume ? ' (resuming)' : ''}`);
    const ctx = makeContext(opts, def, st.fingerprint, workDir, resume, signal, args);
    try {
      await run(ctx);
      if (signal.aborted) throw new Diff2in1Error('interrupted', `stage '${name}' was interrupted; run the same command again to resume`);
    } catch (e) {
      if (def.pipeline) {
        runDir.setStage(name, { status: 'failed', fingerprint: st.fingerprint, startedAt: startedAt.toISOString(), artifacts: {}, error: (e as Error).message });
      }
      throw e;
    }
    const seconds = (Date.now() - startedAt.getTime()) / 1000;
    if (def.pipeline) {
      const artifacts: StageRecord['artifacts'] = {};
      for (const rel of resolvePer(def.produces, config, args)) {
        if (!runDir.hasArtifact(rel)) {
          const msg = `stage '${name}' finished without writing ${rel} (its implementation in ${resolvePer(def.provider, config, args)} must produce it)`;
          runDir.setStage(name, { status: 'failed', fingerprint: st.fingerprint, startedAt: startedAt.toISOString(), artifacts: {}, error: msg });
          throw new Diff2in1Error('stage', msg);
        }
        artifacts[rel] = runDir.hashArtifact(rel);
      }
      runDir.setStage(name, { status: 'complete', fingerprint: st.fingerprint, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), seconds, artifacts });
    }
    line(opts, `✓ ${name}: done in ${seconds.toFixed(1)} s`);
    out.push({ stage: name, status: 'ran', seconds });
  }
  return out;
}

function makeContext(
  opts: RunStagesOptions,
  def: StageDefinition,
  fingerprint: string,
  workDir: string,
  resume: boolean,
  signal: AbortSignal,
  args: StageArgs,
): StageContext {
  const { runDir, config } = opts;
  return {
    stage: def.name,
    config,
    runDir,
    args,
    fingerprint,
    workDir,
    resume,
    signal,
    path: (rel) => runDir.path(rel),
    log: (record) => runDir.log(def.name, record),
    progress: (label, total) => createProgress({ label, total, stream: opts.stream ?? process.stderr, quiet: opts.quiet }),
    progressStream: opts.stream ?? process.stderr,
    quiet: opts.quiet ?? false,
    recordMetrics: (input) => recordMetrics(runDir.root, { stage: def.name, mode: config.selfImprove.mode, ...input }),
    writeGrid: (name, grid) => void writeGrid(runDir.root, name, grid),
    info: (message) => line(opts, message),
  };
}
