import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Diff2in1Error } from '@diff2in1/tensor';
import { ConfigError } from './errors.js';
import { deepMerge } from './json-tree.js';
import { parseJsonc, stripJsonc } from './jsonc.js';
import { loadConfig, readConfigFile } from './load.js';
import { applyOverrides, parseOverride } from './overrides.js';
import { checkRunnable, findPlaceholders } from './runnable.js';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'cfg-'));
}
function write(d: string, name: string, text: string): string {
  const p = join(d, name);
  writeFileSync(p, text);
  return p;
}
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Diff2in1Error);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('JSONC', () => {
  it('blanks comments and trailing commas, keeping positions', () => {
    const text = '{\n  // c1\n  "a": "x // not a comment", /* c2 */\n  "b": [1, 2,],\n}';
    const s = stripJsonc(text);
    expect(s.length).toBe(text.length);
    expect(s.split('\n').length).toBe(text.split('\n').length);
    expect(JSON.parse(s)).toEqual({ a: 'x // not a comment', b: [1, 2] });
  });
  it('keeps escaped quotes inside strings', () => {
    expect(parseJsonc('{"a": "q\\"//x", "b": 1}', 'f.json')).toEqual({ a: 'q"//x', b: 1 });
  });
  it('reports syntax errors as file, line and column', () => {
    expect(messageOf(() => parseJsonc('{\n  "a": 1\n  "b": 2\n}', '/c/x.json'))).toMatch(/^\/c\/x\.json: line 3, column 3: invalid JSON/);
  });
});

describe('extends', () => {
  it('deep-merges, later wins, arrays replace, null deletes', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3], e: 2 }, d: null })).toEqual({ a: { b: 1, c: [3], e: 2 } });
  });
  it('resolves a chain of files; relative paths are relative to the file that names them', () => {
    const d = dir();
    mkdirSync(join(d, 'sub'));
    write(d, 'base.json', '{ "data": { "source": "folder", "path": "datasets/x", "tasks": ["normals"] }, "warmup": { "epochs": 3 } }');
    const child = write(join(d, 'sub'), 'child.json', '{ "extends": "../base.json", "warmup": { "epochs": null, "iterations": 7 }, "run": { "dir": "out" } }');
    const { raw, files } = readConfigFile(child);
    expect(files).toEqual([child, join(d, 'base.json')]);
    expect(raw).toEqual({
      data: { source: 'folder', path: join(d, 'datasets/x'), tasks: ['normals'] },
      warmup: { iterations: 7 },
      run: { dir: join(d, 'sub', 'out') },
    });
    const { config, name } = loadConfig({ file: child, cwd: '/elsewhere' });
    expect(name).toBe('child');
    expect(config.warmup.iterations).toBe(7);
    expect(config.warmup.epochs).toBeUndefined();
    expect(config.run.dir).toBe(join(d, 'sub', 'out'));
  });
  it('a list of bases merges in order', () => {
    const d = dir();
    write(d, 'a.json', '{ "warmup": { "lr": 0.1, "batchSize": 2 } }');
    write(d, 'b.json', '{ "warmup": { "lr": 0.2 } }');
    const c = write(d, 'c.json', '{ "extends": ["a.json", "b.json"] }');
    expect(loadConfig({ file: c }).config.warmup).toMatchObject({ lr: 0.2, batchSize: 2 });
  });
  it('detects cycles, naming the chain', () => {
    const d = dir();
    write(d, 'a.json', '{ "extends": "b.json" }');
    write(d, 'b.json', '{ "extends": "c.json" }');
    write(d, 'c.json', '{ "extends": "a.json" }');
    expect(messageOf(() => readConfigFile(join(d, 'a.json')))).toMatch(/"extends" cycle: a\.json → b\.json → c\.json → a\.json/);
    write(d, 'self.json', '{ "extends": "./self.json" }');
    expect(messageOf(() => readConfigFile(join(d, 'self.json')))).toMatch(/cycle: self\.json → self\.json/);
  });
  it('names a missing base and a bad extends value', () => {
    const d = dir();
    const p = write(d, 'm.json', '{ "extends": "nope.json" }');
    expect(messageOf(() => readConfigFile(p))).toMatch(/"extends": file not found: .*nope\.json/);
    const q = write(d, 'n.json', '{ "extends": 3 }');
    expect(messageOf(() => readConfigFile(q))).toMatch(/extends: expected a config file path or a list of them, got 3/);
  });
  it('built-in names and missing files', () => {
    expect(messageOf(() => loadConfig({ file: 'nope' }))).toMatch(/no built-in config named "nope" .* one of: .*demo/);
    expect(messageOf(() => loadConfig({ file: './nope.json', cwd: '/tmp' }))).toBe('config file not found: /tmp/nope.json');
  });
});

describe('--set overrides', () => {
  it('reads JSON values, else plain text', () => {
    expect(parseOverride('warmup.lr=1e-4').value).toBe(1e-4);
    expect(parseOverride('warmup.featureCache=true').value).toBe(true);
    expect(parseOverride('data.tasks=["normals","depth"]').value).toEqual(['normals', 'depth']);
    expect(parseOverride('caption.captioner=template:a room = nice').value).toBe('template:a room = nice');
    expect(parseOverride('backbone.prompt=""').value).toBe('');
    expect(parseOverride('head.options.kappa=3').path).toEqual(['head', 'options', 'kappa']); // inside a record
  });
  it('rejects unknown fields with a suggestion', () => {
    expect(messageOf(() => parseOverride('selfImprove.alpah=0.9'))).toBe(
      '--set selfImprove.alpah=0.9: selfImprove.alpah: unknown field (did you mean "selfImprove.alpha"?); selfImprove fields are: mode, epochs, iterations, batchSize, K, alpha, mixing, confidenceMask, lr, optimizer, weightDecay, evalEvery, checkpointEvery, logEvery',
    );
    expect(messageOf(() => parseOverride('warmup'))).toMatch(/expected key\.path=value/);
  });
  it('applies in order, null deletes, paths are made absolute against the cwd', () => {
    const raw = applyOverrides({ warmup: { epochs: 3 } }, ['warmup.epochs=null', 'warmup.iterations=5', 'data.path=ds', 'warmup.iterations=6'], '/work');
    expect(raw).toEqual({ warmup: { iterations: 6 }, data: { path: '/work/ds' } });
    expect(applyOverrides({}, ['caption.captioner=blip2:models/b2', 'backbone.model=tiny'], '/w')).toEqual({ caption: { captioner: 'blip2:/w/models/b2' }, backbone: { model: 'tiny' } });
  });
  it('setting inside a non-object says how to set it whole', () => {
    expect(messageOf(() => applyOverrides({ selfImprove: { mixing: 'pool' } }, ['selfImprove.mixing.real=2'], '/'))).toBe(
      `--set selfImprove.mixing.real=2: selfImprove.mixing is "pool", not an object; set it whole, e.g. --set 'selfImprove.mixing={"real":2}'`,
    );
  });
  it('values are validated like config fields, naming the --set they came from', () => {
    const m = messageOf(() => loadConfig({ file: 'demo', overrides: ['selfImprove.mode=dif2in1'] }));
    expect(m).toMatch(/selfImprove\.mode: expected one of diff2in1, gna, da-fusion, warmup-only, got "dif2in1" \(did you mean "diff2in1"\?\) \(from --set selfImprove\.mode=dif2in1\)$/);
    const { config } = loadConfig({ file: 'demo', overrides: ['selfImprove.mode=gna', 'synthesis.mode=null', 'synthesis.T=null'] });
    expect(config.synthesis.mode).toBe('noise');
  });
});

describe('runnable checks', () => {
  it('nyuv2-bae names its placeholders until they are set', () => {
    const { config } = loadConfig({ file: 'nyuv2-bae' });
    expect(findPlaceholders(config).map((p) => p.path.join('.'))).toEqual(['data.path', 'backbone.model']);
    let err: ConfigError | undefined;
    try {
      checkRunnable(config, ['data', 'backbone', 'caption']);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = err!.message.split('\n');
    expect(lines[1]).toMatch(/^data\.path: still the placeholder "<path to NYUv2 .*>"; set it in the config or with --set data\.path=\.\.\. \(e\.g\. --set data\.path=\/data\/nyu\)$/);
    expect(lines[2]).toMatch(/^backbone\.model: still the placeholder/);
    expect(lines[3]).toMatch(/^caption\.captioner: still the placeholder "blip2:<path to a transformers BLIP-2 folder/);
    // Sections a command does not read are not checked (e.g. `report`).
    expect(() => checkRunnable(config, ['report'])).not.toThrow();
  });
  it('set paths must exist', () => {
    const d = dir();
    const { config } = loadConfig({ file: 'nyuv2-bae', overrides: [`data.path=${d}`, `backbone.model=${join(d, 'sd15')}`, 'caption.captioner=dataset'] });
    expect(messageOf(() => checkRunnable(config, ['data', 'backbone', 'caption']))).toMatch(/^backbone\.model: folder not found: .*sd15 \(expected "tiny", a diffusers/);
    mkdirSync(join(d, 'sd15'));
    expect(() => checkRunnable(config, ['data', 'backbone', 'caption'])).not.toThrow();
  });
});
