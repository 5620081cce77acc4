// "Done when" (issue 7), end to end through the command line with the real tiny SD: a job killed with SIGKILL
// mid-way and run again ends with the same manifest (up to timing fields) and byte-identical images as an
// uninterrupted run; two shards run in parallel processes equal one unsharded run. The CLI runs from dist/ (built
// here with tsc -b, incremental) as separate processes, exactly as a batch system would start it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '@diff2in1/tensor';
import type { ManifestRecord } from './manifest.js';
import { withoutTiming } from './manifest.js';
import { writeToyFolder } from './testing/toy-folder.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const cli = join(pkg, 'dist', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'synthesis-cli-'));
const env: NodeJS.ProcessEnv = { ...process.env, DIFF2IN1_CACHE: join(root, 'cache') };
for (const k of ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX', 'DIFF2IN1_SHARD']) delete env[k];
const data = join(root, 'data');
const ITEMS = 8; // 4 images × k = 2
const args = (out: string, ...extra: string[]) => [cli, '--data', data, '--out', out, '--model', 'tiny', '-k', '2', '--seed', '42', '--threads', '1', '--device', 'cpu', '--quiet', ...extra];

interface Exit { code: number | null; signal: NodeJS.Signals | null; stderr: string }
function run(argv: string[], onSpawn?: (child: ReturnType<typeof spawn>) => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
    onSpawn?.(child);
  });
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).length : 0);
const manifest = (out: string) => readJsonl<ManifestRecord>(join(out, 'manifest.jsonl')).map(withoutTiming);
const pngs = (out: string) => readdirSync(join(out, 'images')).filter((f) => f.endsWith('.png')).sort();
function expectSameOutput(out: string, ref: string): void {
  expect(manifest(out)).toEqual(manifest(ref));
  expect(pngs(out)).toEqual(pngs(ref));
  for (const f of pngs(ref)) expect(readFileSync(join(out, 'images', f)).equals(readFileSync(join(ref, 'images', f))), f).toBe(true);
  for (const f of ['captions.json', join('splits', 'train.txt')]) expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join(ref, f), 'utf8'));
  expect(readdirSync(join(out, 'images')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
}

const ref = join(root, 'ref');
beforeAll(async () => {
  // Build this package and what it references (no-op when up to date), then the dataset and the reference run.
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', join(pkg, 'tsconfig.json')], { stdio: 'inherit' });
  await writeToyFolder(data, { count: ITEMS / 2, width: 64, height: 64 });
  const r = await run(args(ref));
  if (r.code !== 0) throw new Error(`reference run failed (${r.code}): ${r.stderr}`);
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('diff2in1-synthesize with the tiny SD', () => {
  it('the reference run is a complete job', () => {
    const m = manifest(ref);
    expect(m).toHaveLength(ITEMS);
    expect(m.every((r) => r.T === 600 && r.stepsRun === 50 && r.scheduler === 'ddim' && r.guidanceScale === 1)).toBe(true);
    expect(pngs(ref)).toHaveLength(ITEMS);
  });

  it('kill -9 mid-way, then the same command again → the same manifest and byte-identical images', async () => {
    const out = join(root, 'killed');
    const part = join(out, 'manifest.shard-0-of-1.jsonl');
    const killed = await run(args(out), (child) => {
      const timer = setInterval(() => {
        if (lines(part) >= 3) { clearInterval(timer); child.kill('SIGKILL'); }
      }, 5);
      child.on('exit', () => clearInterval(timer));
    });
    expect(killed.signal).toBe('SIGKILL');
    const doneBefore = lines(part);
    expect(doneBefore).toBeGreaterThanOrEqual(3);
    expect(doneBefore).toBeLessThan(ITEMS);
    expect(existsSync(join(out, 'manifest.jsonl'))).toBe(false);
    // Every image present then is complete: a PNG that decodes (the atomic write never exposes a partial file).
    for (const f of pngs(out)) expect(readFileSync(join(out, 'images', f)).subarray(-8).toString('latin1')).toContain('IEND');
    const again = await run(args(out));
    expect(again.code, again.stderr).toBe(0);
    expectSameOutput(out, ref);
  });

  it('two shards in parallel processes = one unsharded run', async () => {
    const out = join(root, 'sharded');
    const [a, b] = await Promise.all([run(args(out, '--shard', '0/2')), run(args(out, '--shard', '1/2'))]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect(lines(join(out, 'manifest.shard-0-of-2.jsonl'))).toBe(ITEMS / 2);
    expect(lines(join(out, 'manifest.shard-1-of-2.jsonl'))).toBe(ITEMS / 2);
    expectSameOutput(out, ref);
  });

  it('--workers 2 runs two sub-shard processes and merges; a subset reproduces the same bytes', async () => {
    const out = join(root, 'workers');
    const r = await run(args(out, '--workers', '2', '--limit', '2', '-k', '1'));
    expect(r.code, r.stderr).toBe(0);
    expect(lines(join(out, 'manifest.shard-0-of-2.jsonl')) + lines(join(out, 'manifest.shard-1-of-2.jsonl'))).toBe(2);
    const m = manifest(out);
    expect(m.map((x) => x.id)).toEqual(['toy_0000_k0', 'toy_0001_k0']);
    const byId = new Map(manifest(ref).map((x) => [x.id, x]));
    for (const x of m) {
      expect(x).toEqual(byId.get(x.id)); // seeds depend on (seed, id, k) only, not on the job's size or K
      expect(readFileSync(join(out, 'images', `${x.id}.png`)).equals(readFileSync(join(ref, 'images', `${x.id}.png`)))).toBe(true);
    }
  });

  it('usage errors exit with 2 and say what is wrong', async () => {
    const r = await run([cli, '--data', data, '--out', join(root, 'x'), '--model', 'tiny', '--T', '1200']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--T must be an integer ≥ 0 and ≤ 999, got "1200"/);
    const h = await run([cli, '--help']);
    expect(h.code).toBe(0);
  });
});
