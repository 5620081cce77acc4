#!/usr/bin/env node
// diff2in1-synthesize: the command line of this package (see help.ts). The app's `synthesize` and `generate`
// commands call the same functions (runSynthesisJob, mergeManifest, generateFromNoise).
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadStableDiffusion } from '@diff2in1/backbone-sd';
import { parseDeviceRequest } from '@diff2in1/runtime';
import { Diff2in1Error, writePng } from '@diff2in1/tensor';
import { HELP } from './help.js';
import type { DatasetLayout, LoadedModel, SynthesisJobOptions } from './job.js';
import { DATASET_LAYOUTS, runSynthesisJob } from './job.js';
import { mergeManifest } from './manifest.js';
import type { LatentMode, SchedulerKind } from './sampler.js';
import { LATENT_MODES, SCHEDULER_KINDS, generateFromNoise } from './sampler.js';
import type { Shard } from './shards.js';
import { WHOLE, parseShard, subShard } from './shards.js';

const OPTIONS = {
  data: { type: 'string' }, layout: { type: 'string' }, split: { type: 'string' }, out: { type: 'string' },
  model: { type: 'string' }, samples: { type: 'string', short: 'k' }, T: { type: 'string' }, strength: { type: 'string' },
  steps: { type: 'string' }, scheduler: { type: 'string' }, eta: { type: 'string' }, guidance: { type: 'string' },
  'negative-prompt': { type: 'string' }, prompt: { type: 'string' }, latent: { type: 'string' }, size: { type: 'string' },
  seed: { type: 'string' }, limit: { type: 'string' }, shard: { type: 'string' }, workers: { type: 'string' },
  threads: { type: 'string' }, device: { type: 'string' }, 'no-merge': { type: 'boolean' }, 'allow-partial': { type: 'boolean' },
  quiet: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function usage(message: string): never {
  throw new Diff2in1Error('usage', `${message} (diff2in1-synthesize --help lists the options)`);
}

function num(v: string | undefined, flag: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isSafeInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    usage(`--${flag} must be ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` and ≤ ${opts.max}` : ''}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function oneOf<T extends string>(v: string | undefined, flag: string, choices: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) usage(`--${flag} must be one of: ${choices.join(', ')}; got ${JSON.stringify(v)}`);
  return v as T;
}

/** '512x512', '384x512' (H×W) or '512'. */
export function parseSize(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(?:[x×](\d+))?$/.exec(v.trim());
  if (!m) usage(`--size must be <H>x<W> or <N> in pixels, got ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

/** Loads a backbone with @diff2in1/backbone-sd's loadStableDiffusion and the --threads / --device flags. */
function loadModelWith(values: Values): (source: string) => Promise<LoadedModel> {
  const threads = num(values.threads, 'threads', { int: true, min: 1 });
  const device = values.device === undefined ? undefined : parseDeviceRequest(values.device);
  return (source) => loadStableDiffusion(source, { ...(threads ? { threads } : {}), ...(device ? { device } : {}) });
}

function jobOptions(values: Values, loadModel: (s: string) => Promise<LoadedModel>, shard: Shard): SynthesisJobOptions {
  if (!values.data) usage('--data <dir> is required');
  if (!values.out) usage('--out <dir> is required');
  if (!values.model) usage("--model is required: a diffusers folder, an ONNX export folder, or 'tiny'");
  const o: SynthesisJobOptions = { model: values.model, loadModel, data: values.data, out: values.out, shard };
  const set = <K extends keyof SynthesisJobOptions>(k: K, v: SynthesisJobOptions[K] | undefined) => { if (v !== undefined) o[k] = v; };
  set('layout', oneOf<DatasetLayout>(values.layout, 'layout', DATASET_LAYOUTS));
  set('split', values.split);
  set('samplesPerImage', num(values.samples, 'samples', { int: true, min: 1 }));
  set('T', num(values.T, 'T', { int: true, min: 0, max: 999 }));
  set('strength', num(values.strength, 'strength', { min: 0, max: 1 }));
  set('steps', num(values.steps, 'steps', { int: true, min: 1 }));
  set('scheduler', oneOf<SchedulerKind>(values.scheduler, 'scheduler', SCHEDULER_KINDS));
  set('eta', num(values.eta, 'eta', { min: 0 }));
  set('guidanceScale', num(values.guidance, 'guidance'));
  set('negativePrompt', values['negative-prompt']);
  set('prompt', values.prompt);
  set('latentMode', oneOf<LatentMode>(values.latent, 'latent', LATENT_MODES));
  set('size', parseSize(values.size));
  if (values.seed !== undefined && !/^\d+$/.test(values.seed)) usage(`--seed must be a non-negative integer, got ${JSON.stringify(values.seed)}`);
  set('seed', values.seed);
  set('limit', num(values.limit, 'limit', { int: true, min: 0 }));
  if (values['no-merge']) o.merge = false;
  if (values.quiet) o.quiet = true;
  return o;
}

/** Runs W copies of this command as child processes, worker w on sub-shard w of `shard`; merges when complete. */
async function runWorkers(argv: string[], shard: Shard, workers: number, values: Values): Promise<number> {
  const script = fileURLToPath(import.meta.url);
  const strip = new Set(['--workers', '--shard', '--json']);
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (strip.has(flag)) { if (eq < 0 && flag !== '--json') i++; continue; }
    rest.push(a);
  }
  const codes = await Promise.all(Array.from({ length: workers }, (_, w) => new Promise<number>((resolve) => {
    const sub = subShard(shard, w, workers);
    const child = spawn(process.execPath, [script, ...rest, '--shard', `${sub.index}/${sub.count}`, '--no-merge'], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  })));
  if (codes.some((c) => c !== 0)) return codes.find((c) => c !== 0) as number;
  if (!values['no-merge']) {
    try {
      await mergeManifest(values.out as string);
    } catch (e) {
      if (!(e instanceof Diff2in1Error && /cannot merge/.test(e.message))) throw e;
      if (!values.quiet) process.stderr.write('synthesis: this machine\'s shards are done; other shards are still missing, merge when they finish\n');
    }
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help || argv.length === 0) {
    process.stdout.write(HELP);
    return 0;
  }
  const command = positionals[0] ?? 'run';
  if (positionals.length > 1 || !['run', 'merge', 'generate'].includes(command)) usage(`unknown command ${JSON.stringify(positionals.join(' '))}; commands: run, merge, generate`);
  if (command === 'merge') {
    if (!values.out) usage('merge needs --out <dir>');
    const r = await mergeManifest(values.out, { allowPartial: values['allow-partial'] ?? false });
    if (values.json) process.stdout.write(`${JSON.stringify({ records: r.records.length, missing: r.missing.length })}\n`);
    else process.stderr.write(`merged ${r.records.length} records into ${values.out}/manifest.jsonl${r.missing.length ? ` (${r.missing.length} missing)` : ''}\n`);
    return 0;
  }
  if (command === 'generate') {
    if (values.prompt === undefined) usage('generate needs --prompt <text>');
    if (!values.out || !/\.png$/i.test(values.out)) usage('generate needs --out <file.png>');
    if (!values.model) usage("--model is required: a diffusers folder, an ONNX export folder, or 'tiny'");
    const [height, width] = parseSize(values.size) ?? [512, 512];
    const model = await loadModelWith(values)(values.model);
    try {
      const res = await generateFromNoise(model, {
        prompt: values.prompt, height, width,
        steps: num(values.steps, 'steps', { int: true, min: 1 }) ?? 50,
        scheduler: oneOf<SchedulerKind>(values.scheduler, 'scheduler', SCHEDULER_KINDS) ?? 'ddim',
        eta: num(values.eta, 'eta', { min: 0 }) ?? 0, guidanceScale: num(values.guidance, 'guidance') ?? 1,
        negativePrompt: values['negative-prompt'] ?? '', seed: BigInt(values.seed ?? '0'),
      });
      await writePng(values.out, res.image);
    } finally {
      await model.dispose?.();
    }
    return 0;
  }
  const shard = values.shard === undefined ? WHOLE : parseShard(values.shard);
  const workers = num(values.workers, 'workers', { int: true, min: 1 }) ?? 1;
  if (workers > 1) return runWorkers(argv, shard, workers, values);
  const summary = await runSynthesisJob(jobOptions(values, loadModelWith(values), shard));
  if (values.json) {
    const cpu = process.cpuUsage();
    const usage = { cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
    process.stdout.write(`${JSON.stringify({ ...summary, ...usage })}\n`);
  }
  return 0;
}

function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    if (e instanceof Diff2in1Error) {
      process.stderr.write(`diff2in1-synthesize: ${e.message}\n`);
      process.exitCode = e.code === 'usage' ? 2 : 1;
    } else if (e instanceof Error && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`diff2in1-synthesize: ${e.message} (see --help)\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`diff2in1-synthesize: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  });
}
