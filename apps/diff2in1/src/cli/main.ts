// The CLI: parse the command line (node:util parseArgs — no dependency), load and check the config, open and
// lock the run directory, write config.resolved.json, run the command's stages through the registry.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ProgressStream } from '@diff2in1/tensor';
import { Diff2in1Error } from '@diff2in1/tensor';
import { ConfigError, didYouMean } from '../config/errors.js';
import type { LoadedConfig } from '../config/load.js';
import { loadConfig } from '../config/load.js';
import { flagOverrides } from '../config/overrides.js';
import { checkRunnable } from '../config/runnable.js';
import type { Json } from '../config/json-tree.js';
import { runStages } from '../pipeline.js';
import { RUN_FILES, RunDir } from '../run-dir.js';
import { planPipeline } from '../stage-definitions.js';
import { defaultRegistry } from '../stages/implementations.js';
import type { StageArgs, StageName, StageRegistry } from '../stages.js';
import { StageUnavailableError } from '../stages.js';
import type { CommandSpec } from './commands.js';
import { COMMANDS, COMMON_OPTIONS, findCommand } from './commands.js';
import { commandHelp, commandSections, rootHelp } from './help.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 3, interrupted: 130 } as const;

export interface CliIO {
  stdout: { write(s: string): unknown };
  stderr: ProgressStream;
  /** Base for relative paths on the command line. */
  cwd: string;
  registry?: StageRegistry;
  signal?: AbortSignal;
}

/** Where the user typed the command: INIT_CWD when run through this package's own `pnpm run cli` script. */
export function invocationCwd(env: NodeJS.ProcessEnv = process.env): string {
  return env['npm_lifecycle_event'] === 'cli' && env['INIT_CWD'] ? env['INIT_CWD'] : process.cwd();
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function parseCommandLine(cmd: CommandSpec, argv: string[]): Values {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const o of [...COMMON_OPTIONS, ...cmd.options]) options[o.name] = { type: o.value ? 'string' : 'boolean', ...(o.multiple ? { multiple: true } : {}) };
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Values;
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(msg)?.[1];
    if (unknown) {
      const guess = didYouMean(unknown.replace(/^-+/, ''), Object.keys(options));
      throw new Diff2in1Error('usage', `unknown option ${unknown} for \`diff2in1 ${cmd.name}\`${guess ? ` (did you mean --${guess}?)` : ''}; see diff2in1 ${cmd.name} --help`);
    }
    const pos = /Unexpected argument '([^']+)'/.exec(msg)?.[1];
    if (pos) throw new Diff2in1Error('usage', `unexpected argument "${pos}" for \`diff2in1 ${cmd.name}\` (options take the form --name value); see diff2in1 ${cmd.name} --help`);
    throw new Diff2in1Error('usage', `${msg.replace(/\. To specify.*$/s, '')}; see diff2in1 ${cmd.name} --help`);
  }
}

const str = (v: Values[string]): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: Values[string]): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/** The config for a command: --config, else `demo`'s built-in one, else the run directory's resolved config. */
export function configForCommand(cmd: CommandSpec, values: Values, cwd: string): LoadedConfig {
  const flags = flagOverrides({ device: str(values['device']), seed: str(values['seed']), threads: str(values['threads']), runDir: str(values['run-dir']) }, cwd);
  const overrides = [...list(values['set']), ...flags];
  const file = str(values['config']) ?? (cmd.name === 'demo' ? 'demo' : undefined);
  if (file !== undefined) return loadConfig({ file, overrides, cwd });
  const runDir = str(values['run-dir']);
  const resolvedPath = runDir !== undefined ? join(resolve(cwd, runDir), RUN_FILES.config) : undefined;
  if (resolvedPath && existsSync(resolvedPath)) {
    return loadConfig({ base: JSON.parse(readFileSync(resolvedPath, 'utf8')) as Json, baseFile: resolvedPath, overrides, cwd });
  }
  throw new Diff2in1Error(
    'usage',
    runDir !== undefined
      ? `${resolvedPath} does not exist: give --config <file|name> to start a run there (e.g. --config demo)`
      : `\`diff2in1 ${cmd.name}\` needs --config <file|name> (e.g. --config demo) or --run-dir of an existing run`,
  );
}

function stageArgs(cmd: CommandSpec, values: Values, cwd: string): StageArgs {
  const out: Record<string, string | number | boolean | readonly string[] | undefined> = {};
  for (const o of cmd.options) {
    const v = values[o.name];
    if (v === undefined) continue;
    if (o.multiple) out[o.name] = list(v).map((p) => (o.name === 'input' ? resolve(cwd, p) : p));
    else if (o.name === 'out' && typeof v === 'string') out[o.name] = resolve(cwd, v);
    else if (o.name === 'count' && typeof v === 'string') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Diff2in1Error('usage', `--count: expected a whole number ≥ 1, got "${v}"`);
      out[o.name] = n;
    } else if (o.name === 'model' && v !== 'creation' && v !== 'warmup' && v !== 'exploitation') {
      throw new Diff2in1Error('usage', `--model: expected one of creation, warmup, exploitation, got "${String(v)}"`);
    } else out[o.name] = v as string | boolean;
  }
  if (cmd.name === 'predict' && !list(values['input']).length) throw new Diff2in1Error('usage', '`diff2in1 predict` needs --input <image|folder> (repeatable)');
  return out;
}

async function runCommand(cmd: CommandSpec, values: Values, io: CliIO): Promise<number> {
  const registry = io.registry ?? defaultRegistry();
  const loaded = configForCommand(cmd, values, io.cwd);
  const { config } = loaded;
  if (cmd.name === 'config') {
    if (values['check-paths']) checkRunnable(config, commandSections(cmd), loaded.files[0]);
    io.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return EXIT.ok;
  }
  const stages: StageName[] = cmd.stages === 'pipeline' ? planPipeline(config) : [...cmd.stages];
  const args = stageArgs(cmd, values, io.cwd);
  const sections = [...new Set(stages.flatMap((s) => registry.get(s).sections))];
  checkRunnable(config, sections, loaded.files[0]);
  const runDir = RunDir.create(config.run.dir);
  const lock = runDir.lock(`diff2in1 ${cmd.name}`);
  const quiet = values['quiet'] === true;
  const say = (s: string): void => void (quiet ? undefined : io.stderr.write(`${s}\n`));
  try {
    const changed = runDir.writeConfig(config);
    say(`run directory: ${runDir.root}`);
    if (changed.length) say(`config changed since the last run (${changed.join(', ')}): stages that read these re-run`);
    await runStages({
      registry,
      runDir,
      config,
      stages,
      args,
      force: values['force'] === true,
      stream: io.stderr,
      quiet,
      ...(io.signal ? { signal: io.signal } : {}),
    });
    if (cmd.stages === 'pipeline' || cmd.name === 'report') io.stdout.write(`report: ${runDir.path(RUN_FILES.report)}\n`);
    else if (cmd.name === 'predict' || cmd.name === 'generate') {
      io.stdout.write(`wrote ${String(args['out'] ?? runDir.path(cmd.name === 'predict' ? 'predictions' : 'samples/generated'))}\n`);
    }
    return EXIT.ok;
  } finally {
    lock.release();
  }
}

/** Runs the CLI; returns the exit code. Errors are printed to stderr, never thrown. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' && rest[0] ? findCommand(rest[0]) : undefined;
    io.stdout.write(target ? commandHelp(target, io.registry ?? defaultRegistry()) : rootHelp(io.registry ?? defaultRegistry()));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const cmd = findCommand(name);
  if (!cmd) {
    const guess = didYouMean(name, COMMANDS.map((c) => c.name));
    io.stderr.write(`error: unknown command "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; commands: ${COMMANDS.map((c) => c.name).join(', ')}\n`);
    return EXIT.usage;
  }
  try {
    const values = parseCommandLine(cmd, rest);
    if (values['help']) {
      io.stdout.write(commandHelp(cmd, io.registry ?? defaultRegistry()));
      return EXIT.ok;
    }
    return await runCommand(cmd, values, io);
  } catch (e) {
    if (e instanceof StageUnavailableError) {
      io.stderr.write(`error: ${e.message}\n`);
      return EXIT.unavailable;
    }
    if (e instanceof ConfigError || (e instanceof Diff2in1Error && (e.code === 'usage' || e.code === 'config'))) {
      io.stderr.write(`error: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof Diff2in1Error && e.code === 'interrupted') {
      io.stderr.write(`${e.message}\n`);
      return EXIT.interrupted;
    }
    io.stderr.write(`error: ${e instanceof Diff2in1Error ? e.message : ((e as Error).stack ?? String(e))}\n`);
    return EXIT.failed;
  }
}
