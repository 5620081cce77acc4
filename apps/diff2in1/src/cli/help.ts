// --help text, built from the command table, the stage definitions and the config schema: what the stage does
// in the method, what it reads and writes in the run directory, its options and config fields with their
// defaults and allowed values, and an example.
import { fields } from '../config/introspect.js';
import type { ConfigSection } from '../config/schema.js';
import { SECTIONS, configSchema } from '../config/schema.js';
import { listBuiltinConfigs } from '../config/load.js';
import { STAGE_DEFINITIONS } from '../stage-definitions.js';
import type { StageDefinition, StageRegistry } from '../stages.js';
import type { CommandOption, CommandSpec } from './commands.js';
import { COMMANDS, COMMON_OPTIONS } from './commands.js';

const WIDTH = 100;

/** Greedy word wrap with a hanging indent. */
export function wrap(text: string, indent = 0, width = WIDTH): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width - indent) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines.map((l) => ' '.repeat(indent) + l).join('\n');
}

function twoColumn(rows: readonly [string, string][], indent = 2): string {
  const w = Math.min(34, Math.max(...rows.map(([a]) => a.length)) + 2);
  return rows
    .map(([a, b]) => {
      const body = wrap(b, 0, WIDTH - indent - w).split('\n');
      const first = `${' '.repeat(indent)}${a.padEnd(w)}${body[0] ?? ''}`;
      const lead = a.length + indent >= indent + w ? `${' '.repeat(indent)}${a}\n${' '.repeat(indent + w)}${body[0] ?? ''}` : first;
      return [lead, ...body.slice(1).map((l) => ' '.repeat(indent + w) + l)].join('\n');
    })
    .join('\n');
}

function optionRows(opts: readonly CommandOption[]): [string, string][] {
  return opts.map((o) => [
    `--${o.name}${o.value ? ` ${o.value}` : ''}`,
    `${o.description}${o.multiple ? ' (repeatable)' : ''}${o.default !== undefined ? ` [default: ${o.default}]` : ''}`,
  ]);
}

let defaultsCache: Record<string, unknown> | undefined;
function defaults(): Record<string, unknown> {
  return (defaultsCache ??= configSchema.parse({}) as unknown as Record<string, unknown>);
}

function defaultAt(path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), defaults());
}

/** "field  type [default: x]  description" rows for config sections. */
export function configFieldRows(sections: readonly ConfigSection[]): [string, string][] {
  const rows: [string, string][] = [];
  for (const s of sections) {
    for (const f of fields(configSchema, s)) {
      const d = defaultAt(f.path);
      const dText = d === undefined ? '' : ` [default: ${JSON.stringify(d)}]`;
      rows.push([f.path, `${f.description ?? ''}${f.description ? ' — ' : ''}${f.type}${dText}`]);
    }
  }
  return rows;
}

/** Config sections a command's help lists. */
export function commandSections(cmd: CommandSpec): ConfigSection[] {
  if (cmd.sections) return [...cmd.sections];
  const stages = cmd.stages === 'pipeline' ? STAGE_DEFINITIONS.filter((d) => d.pipeline) : STAGE_DEFINITIONS.filter((d) => (cmd.stages as readonly string[]).includes(d.name));
  const set = new Set<ConfigSection>(['run']);
  for (const d of stages) for (const s of d.sections) set.add(s);
  return SECTIONS.filter((s) => set.has(s));
}

function listArtifacts(v: StageDefinition['requires']): string {
  if (typeof v === 'function') return 'depends on the mode (see below)';
  return v.length ? v.join(', ') : '—';
}

function stageBlock(d: StageDefinition, registry: StageRegistry | undefined): string {
  const impl = registry?.get(d.name).run;
  const provider = typeof d.provider === 'string' ? d.provider : 'depends on data.source (@diff2in1/toyworld or @diff2in1/datasets)';
  const requires = d.name === 'self-improve' ? 'data/, checkpoints/warmup.safetensors, samples/synthetic/' :
    d.name === 'eval' ? 'data/, checkpoints/warmup.safetensors (+ creation/exploitation.safetensors unless warmup-only)' :
    d.name === 'predict' ? 'checkpoints/<model>.safetensors' : listArtifacts(d.requires);
  const produces = typeof d.produces === 'function' ? 'depends on the config' : d.produces.length ? d.produces.join(', ') : '(files under --out)';
  return [
    wrap(d.describe),
    '',
    twoColumn([
      ['Reads (run dir):', requires],
      ['Writes (run dir):', `${produces}${d.pipeline ? `, logs/${d.name}.jsonl, state.json` : ''}`],
      ['Implemented by:', `${provider}${registry ? (impl ? '' : ' — not available yet') : ''}`],
    ], 0),
  ].join('\n');
}

/** Help for one command. */
export function commandHelp(cmd: CommandSpec, registry?: StageRegistry): string {
  const stageDefs = cmd.stages === 'pipeline' ? [] : STAGE_DEFINITIONS.filter((d) => (cmd.stages as readonly string[]).includes(d.name));
  const summary = cmd.summary || stageDefs[0]?.summary || '';
  const parts = [`diff2in1 ${cmd.name} — ${summary}`, ''];
  if (cmd.about) parts.push(wrap(cmd.about), '');
  for (const d of stageDefs) parts.push(stageBlock(d, registry), '');
  parts.push(`Usage: diff2in1 ${cmd.name} [--config <file|name>] [--run-dir <dir>] [--set <field>=<value> ...]${cmd.options.map((o) => ` [--${o.name}${o.value ? ` ${o.value}` : ''}]`).join('')}`, '');
  if (cmd.options.length) parts.push(`Options of ${cmd.name}:`, twoColumn(optionRows(cmd.options)), '');
  parts.push('Common options:', twoColumn(optionRows(COMMON_OPTIONS)), '');
  parts.push(
    'Config fields it reads (in the config file, or --set <field>=<value>):',
    twoColumn(configFieldRows(commandSections(cmd))),
    '',
  );
  parts.push('Example:', ...cmd.examples.map((e) => `  ${e}`), '');
  return parts.join('\n');
}

/** The root help: the method in a paragraph, the commands, configs, run directory and exit codes. */
export function rootHelp(registry?: StageRegistry): string {
  const cmdRows: [string, string][] = COMMANDS.map((c) => {
    const d = c.stages !== 'pipeline' && c.stages.length === 1 ? STAGE_DEFINITIONS.find((s) => s.name === c.stages[0]) : undefined;
    const missing = d && registry && !registry.get(d.name).run ? ' (not available yet)' : '';
    return [c.name, `${c.summary || d?.summary || ''}${missing}`];
  });
  return [
    'diff2in1 — Diff-2-in-1 (Zheng et al., ICLR 2025): one frozen Stable Diffusion that perceives and generates',
    '',
    wrap(
      'Perception: an image\'s VAE latent goes through the UNet once at t = 0 with the empty prompt; its multi-scale ' +
        'features feed a trainable feature-pyramid adapter and a task head (surface normals, depth, segmentation). ' +
        'Generation: a real image\'s latent is noised to T = 600 and denoised with DDIM under its caption into a new, ' +
        'in-distribution image whose label the model itself predicts. Training: a warm-up on real pairs gives θW; then ' +
        'two copies self-improve — θE learns from real and synthetic pairs, θC (labelling the synthetic images) follows θE ' +
        'by an exponential moving average and is the final model.',
    ),
    '',
    'Usage: diff2in1 <command> [options]      diff2in1 <command> --help for what it does and all its options',
    '',
    'Commands:',
    twoColumn(cmdRows),
    '',
    'Common options:',
    twoColumn(optionRows(COMMON_OPTIONS)),
    '',
    `Configs in configs/: ${listBuiltinConfigs().join(', ') || '(none found)'} — e.g. --config nyuv2-bae. A config may`,
    '"extends" another file; values given later (the file itself, then --set) win; null removes an inherited value.',
    '',
    'Run directory: config.resolved.json, state.json, checkpoints/, logs/*.jsonl, samples/, metrics.json, report.html.',
    '',
    'Exit codes: 0 done · 1 a stage failed · 2 bad command line or config · 3 a stage is not available yet · 130 interrupted',
    '',
    'Examples:',
    '  diff2in1 demo',
    '  diff2in1 train --config nyuv2-bae --set data.path=/data/nyu --set backbone.model=/models/stable-diffusion-v1-5',
    '  diff2in1 eval --run-dir runs/demo',
    '',
  ].join('\n');
}
