import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { z } from 'zod';
import { loadConfig } from '../config/load.js';
import { SECTIONS, configSchema } from '../config/schema.js';
import { STAGE_DEFINITIONS } from '../stage-definitions.js';
import type { StageName, StageRun } from '../stages.js';
import { StageRegistry } from '../stages.js';
import { createDataStage } from '../stages/data.js';
import { IMPLEMENTATIONS } from '../stages/implementations.js';
import { COMMANDS, COMMON_OPTIONS } from './commands.js';
import { commandSections } from './help.js';
import { EXIT, main } from './main.js';

class Sink {
  text = '';
  isTTY = false;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

async function run(argv: string[], opts: { cwd?: string; registry?: StageRegistry } = {}): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(argv, { stdout, stderr, cwd: opts.cwd ?? mkdtempSync(join(tmpdir(), 'cli-')), ...(opts.registry ? { registry: opts.registry } : {}) });
  return { code, out: stdout.text, err: stderr.text };
}

/**
 * Field paths of a config section, found with zod's public API (shape, unwrap, options) — independently of the
 * introspection module the help text is built with.
 */
function schemaPaths(section: string): string[] {
  const out: string[] = [];
  const visit = (s: z.ZodType, path: string): void => {
    let cur: z.ZodType = s;
    for (;;) {
      const next = (cur as unknown as { unwrap?: () => z.ZodType }).unwrap;
      const type = (cur as unknown as { def: { type: string } }).def.type;
      if (next && ['optional', 'default', 'prefault', 'nullable'].includes(type)) cur = next.call(cur);
      else break;
    }
    const def = (cur as unknown as { def: { type: string; options?: z.ZodType[] } }).def;
    const shape = (cur as unknown as { shape?: Record<string, z.ZodType> }).shape;
    if (def.type !== 'object' && path.includes('.')) out.push(path);
    const objects = def.type === 'object' ? [cur] : def.type === 'union' ? (def.options ?? []).filter((o) => (o as unknown as { def: { type: string } }).def.type === 'object') : [];
    for (const o of objects) for (const [k, v] of Object.entries((o as unknown as { shape: Record<string, z.ZodType> }).shape ?? shape ?? {})) visit(v, `${path}.${k}`);
  };
  visit(configSchema.shape[section as keyof typeof configSchema.shape] as z.ZodType, section);
  return out;
}

describe('--help', () => {
  it('the root help lists every command, common option, and the shipped configs', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(EXIT.ok);
    for (const c of COMMANDS) expect(out).toMatch(new RegExp(`^  ${c.name} `, 'm'));
    for (const o of COMMON_OPTIONS) expect(out).toContain(`--${o.name}`);
    expect(out).toContain('demo, nyuv2-bae');
    expect((await run([])).code).toBe(EXIT.usage); // no command: help, and a usage exit code
  });

  for (const cmd of COMMANDS) {
    it(`${cmd.name} --help mentions each of its options and config fields`, async () => {
      const { code, out } = await run([cmd.name, '--help']);
      expect(code).toBe(EXIT.ok);
      expect(out.startsWith(`diff2in1 ${cmd.name} — `)).toBe(true);
      for (const o of [...cmd.options, ...COMMON_OPTIONS]) expect(out).toContain(`--${o.name}`);
      const sections = commandSections(cmd);
      expect(sections.length).toBeGreaterThan(0);
      for (const s of sections) for (const p of schemaPaths(s)) expect(out, `${cmd.name} --help lacks ${p}`).toMatch(new RegExp(`^  ${p.replace(/\./g, '\\.')}(\\s|$)`, 'm'));
      expect(out).toContain('Example:');
      // Stage commands teach what the stage reads and writes in the run directory.
      const d = STAGE_DEFINITIONS.find((x) => x.name === cmd.name);
      if (d) {
        expect(out).toContain(d.describe.slice(0, 40));
        if (Array.isArray(d.produces)) for (const p of d.produces) expect(out).toContain(p);
        if (Array.isArray(d.requires)) for (const p of d.requires) expect(out).toContain(p);
      }
    });
  }

  it('the independent walker sees nested and union-object fields', () => {
    expect(schemaPaths('selfImprove')).toEqual(expect.arrayContaining(['selfImprove.mode', 'selfImprove.mixing.real', 'selfImprove.confidenceMask.threshold']));
    expect(SECTIONS.flatMap((s) => schemaPaths(s)).length).toBeGreaterThan(60);
  });

  it('train and demo list every config section (the whole schema)', () => {
    for (const name of ['train', 'demo', 'config']) expect(commandSections(COMMANDS.find((c) => c.name === name)!)).toEqual([...SECTIONS]);
  });

  it('defaults shown in help come from the schema', async () => {
    const { out } = await run(['self-improve', '--help']);
    expect(out).toMatch(/selfImprove\.alpha .*\[default: 0\.998\]/s);
    expect(out).toMatch(/selfImprove\.K .*\[default: 40\]/s);
  });
});

describe('command line errors', () => {
  it('unknown command and option, with suggestions', async () => {
    const a = await run(['trian']);
    expect(a.code).toBe(EXIT.usage);
    expect(a.err).toContain('unknown command "trian" (did you mean "train"?)');
    const b = await run(['train', '--confgi', 'demo']);
    expect(b.code).toBe(EXIT.usage);
    expect(b.err).toContain('unknown option --confgi for `diff2in1 train` (did you mean --config?)');
  });
  it('a bad --set names the field, allowed values and its origin', async () => {
    const r = await run(['config', '--config', 'demo', '--set', 'selfImprove.mode=dif2in1']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain('selfImprove.mode: expected one of diff2in1, gna, da-fusion, warmup-only, got "dif2in1" (did you mean "diff2in1"?) (from --set selfImprove.mode=dif2in1)');
  });
  it('a stage command without a config or run directory says what to give', async () => {
    const r = await run(['eval']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain('`diff2in1 eval` needs --config <file|name> (e.g. --config demo) or --run-dir of an existing run');
  });
  it('placeholders stop a run before anything is written', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-'));
    const r = await run(['train', '--config', 'nyuv2-bae', '--run-dir', 'r'], { cwd });
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/data\.path: still the placeholder/);
    expect(existsSync(join(cwd, 'r'))).toBe(false);
  });
});

describe('config command', () => {
  it('prints the resolved config, flags applied', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-'));
    const r = await run(['config', '--config', 'demo', '--seed', '7', '--device', 'cpu', '--run-dir', 'x'], { cwd });
    expect(r.code).toBe(EXIT.ok);
    const printed = JSON.parse(r.out);
    expect(printed).toEqual(loadConfig({ file: 'demo', cwd, overrides: ['run.seed=7', 'run.device=cpu', `run.dir=${join(cwd, 'x')}`] }).config);
    expect(printed.run).toMatchObject({ seed: 7, device: 'cpu', dir: join(cwd, 'x') });
  });
});

describe('demo with a stage whose package is missing', () => {
  it('creates the run directory and resolved config, prepares the data, then stops at the first unavailable stage', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-'));
    const small = ['--set', 'data.counts={"train":4,"test":2}', '--set', 'data.imageSize={"height":32,"width":32}'];
    // Every stage is wired now; take warm-up's implementation out to see what a run does without one.
    const reg = new StageRegistry(STAGE_DEFINITIONS).with({ ...IMPLEMENTATIONS, data: createDataStage({ workers: 1 }), warmup: undefined });
    const r = await run(['demo', '--run-dir', 'runs/demo', ...small], { cwd, registry: reg });
    const root = join(cwd, 'runs/demo');
    const expected = loadConfig({ file: 'demo', cwd, overrides: ['data.counts={"train":4,"test":2}', 'data.imageSize={"height":32,"width":32}', `run.dir=${root}`] }).config;
    expect(JSON.parse(readFileSync(join(root, 'config.resolved.json'), 'utf8'))).toEqual(expected);
    expect(r.err).toContain('✓ data: done');
    expect(r.err).toContain("error: stage 'warmup' is not available yet: @diff2in1/self-improver has not landed");
    expect(r.code).toBe(EXIT.unavailable);
    expect(existsSync(join(root, 'data/manifest.json'))).toBe(true);
    expect(existsSync(join(root, '.lock'))).toBe(false); // released
  });
});

describe('train through the CLI with stand-in stages', () => {
  const standIns: Partial<Record<StageName, StageRun>> = {};
  for (const d of STAGE_DEFINITIONS) {
    if (d.name === 'report') continue;
    standIns[d.name] = async (ctx) => {
      const produces = typeof d.produces === 'function' ? d.produces(ctx.config, ctx.args) : d.produces;
      for (const rel of produces) {
        const p = ctx.path(rel.endsWith('/') ? `${rel}x.txt` : rel);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, d.name);
      }
      ctx.log({ event: 'train', step: 1, loss: 1 });
    };
  }
  const registry = (): StageRegistry => new StageRegistry(STAGE_DEFINITIONS).with({ ...IMPLEMENTATIONS, ...standIns });

  it('runs the pipeline, writes the real report, prints where it is; a second run resumes (skips)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-'));
    const a = await run(['train', '--config', 'ci-demo', '--run-dir', 'r'], { cwd, registry: registry() });
    expect(a.code).toBe(EXIT.ok);
    expect(a.out).toBe(`report: ${join(cwd, 'r', 'report.html')}\n`);
    expect(readFileSync(join(cwd, 'r', 'report.html'), 'utf8')).toContain('warmup: training loss');
    const b = await run(['train', '--run-dir', 'r'], { cwd, registry: registry() });
    expect(b.code).toBe(EXIT.ok);
    expect(b.err).toContain('✓ self-improve: up to date');
    expect(b.err).toContain('▶ report');
  });

  it('a second process on the same run directory is refused', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-'));
    mkdirSync(join(cwd, 'r'));
    writeFileSync(join(cwd, 'r', '.lock'), JSON.stringify({ pid: process.ppid, host: (await import('node:os')).hostname(), startedAt: 'then', command: 'diff2in1 train' }));
    const r = await run(['train', '--config', 'ci-demo', '--run-dir', 'r'], { cwd, registry: registry() });
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toContain(`run directory is in use by process ${process.ppid}`);
  });
});
