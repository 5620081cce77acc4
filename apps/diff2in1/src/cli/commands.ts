// The commands of the `diff2in1` CLI: which stages each runs, its own options and examples. Help text is built
// from this table, the stage definitions and the config schema (help.ts), so it cannot drift from them.
import type { ConfigSection } from '../config/schema.js';
import { SECTIONS } from '../config/schema.js';
import type { StageName } from '../stages.js';

export interface CommandOption {
  /** Long flag without dashes, e.g. 'input'. */
  name: string;
  /** Value placeholder, e.g. '<path>'; absent for boolean flags. */
  value?: string;
  multiple?: boolean;
  description: string;
  default?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Stages it runs; 'pipeline' = the config's full pipeline (planPipeline). Empty for `config`. */
  stages: readonly StageName[] | 'pipeline';
  /** Extra teaching text, shown before the stage descriptions. */
  about?: string;
  options: readonly CommandOption[];
  examples: readonly string[];
  /** Config sections listed in --help (default: those of its stages). */
  sections?: readonly ConfigSection[];
}

/** Flags every command accepts. */
export const COMMON_OPTIONS: readonly CommandOption[] = [
  { name: 'config', value: '<file|name>', description: 'config file (JSON with comments), or the name of one in configs/ (demo, ci-demo, nyuv2-bae)' },
  { name: 'run-dir', value: '<dir>', description: 'run directory (default: run.dir of the config, else runs/<config name>); without --config, its config.resolved.json is used' },
  { name: 'set', value: '<field>=<value>', multiple: true, description: 'override one config field, e.g. --set warmup.lr=1e-4 (value read as JSON if it parses, else as text; null removes)' },
  { name: 'device', value: '<auto|cpu|cuda|webgpu>', description: 'execution device (= --set run.device=...)', default: 'auto' },
  { name: 'seed', value: '<n>', description: 'seed (= --set run.seed=...)', default: '42' },
  { name: 'threads', value: '<n>', description: 'ONNX Runtime threads, 0 = one per core (= --set run.threads=...)', default: '0' },
  { name: 'force', description: 're-run the stages even when they are up to date' },
  { name: 'quiet', description: 'no progress output' },
  { name: 'help', description: 'show help' },
];

const stageCommand = (name: StageName, examples: string[], options: CommandOption[] = [], about?: string): CommandSpec => ({
  name,
  summary: '',
  stages: [name],
  options,
  examples,
  ...(about ? { about } : {}),
});

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'demo',
    summary: 'the whole pipeline on the built-in default (toyworld, tiny SD); prints where the report is',
    stages: 'pipeline',
    about:
      'Runs `train` with configs/demo.json (unless --config is given) into runs/demo: a 128×128 toy world with exact ' +
      'normals, the tiny seeded Stable Diffusion, and short stages sized to finish in under 15 minutes on 2 CPU cores. ' +
      'Run it again to resume; change any size with --set.',
    options: [],
    examples: ['diff2in1 demo', 'diff2in1 demo --set warmup.iterations=800 --run-dir runs/demo-long'],
    sections: SECTIONS,
  },
  {
    name: 'train',
    summary: 'run every stage of the config\'s pipeline, resuming at the first one not up to date',
    stages: 'pipeline',
    about:
      'Diff-2-in-1 in order: data → warmup → caption → synthesize → self-improve → eval → report (mode ' +
      '"warmup-only": data → warmup → eval → report). A stage is skipped when state.json records it complete with ' +
      'the same config fingerprint and unchanged outputs, so after an interruption or a config change the same ' +
      'command continues where the work is still valid.',
    options: [],
    examples: ['diff2in1 train --config nyuv2-bae --set data.path=/data/nyu --set backbone.model=/models/sd15', 'diff2in1 train --run-dir runs/demo'],
    sections: SECTIONS,
  },
  stageCommand('data', ['diff2in1 data --config demo']),
  stageCommand('warmup', ['diff2in1 warmup --config demo --set warmup.iterations=200']),
  stageCommand('caption', ['diff2in1 caption --run-dir runs/demo --set caption.captioner=blip2:/models/blip2-opt-2.7b']),
  stageCommand('synthesize', ['diff2in1 synthesize --run-dir runs/demo --set synthesis.T=400']),
  stageCommand('self-improve', ['diff2in1 self-improve --run-dir runs/demo --set selfImprove.alpha=0.999']),
  stageCommand('eval', ['diff2in1 eval --run-dir runs/demo']),
  stageCommand('report', ['diff2in1 report --run-dir runs/demo']),
  stageCommand(
    'predict',
    ['diff2in1 predict --run-dir runs/demo --input photos/ --out predictions/'],
    [
      { name: 'input', value: '<image|folder>', multiple: true, description: 'images to label (PNG/JPEG files, or folders of them)' },
      { name: 'out', value: '<dir>', description: 'where label files and visualisations go', default: '<run-dir>/predictions' },
      { name: 'model', value: '<creation|warmup|exploitation>', description: 'which weights: θC (Diff-2-in-1), θW (warm-up) or θE', default: 'creation' },
    ],
  ),
  stageCommand(
    'generate',
    ['diff2in1 generate --run-dir runs/demo --count 16 --prompt "a bedroom with a bed and a lamp"'],
    [
      { name: 'count', value: '<n>', description: 'pairs to generate', default: '8' },
      { name: 'prompt', value: '<text>', multiple: true, description: 'text condition(s); default: captions of training images' },
      { name: 'out', value: '<dir>', description: 'where the RGB + label pairs go', default: '<run-dir>/samples/generated' },
    ],
  ),
  {
    name: 'config',
    summary: 'print the resolved config (defaults filled, overrides applied) and check it; writes nothing',
    stages: [],
    about: 'Validates a config exactly as the other commands do and prints config.resolved.json as it would be written.',
    options: [{ name: 'check-paths', description: 'also check placeholders and that every folder the config names exists' }],
    examples: ['diff2in1 config --config nyuv2-bae --set data.path=/data/nyu', 'diff2in1 config --config demo --set selfImprove.mode=gna'],
    sections: SECTIONS,
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
