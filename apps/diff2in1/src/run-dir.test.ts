import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonl } from '@diff2in1/tensor';
import { acquireLock, lockOwnerAlive, processStartTime } from './lock.js';
import { RUN_FILES, RunDir } from './run-dir.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'rundir-'));
const sha = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');

describe('RunDir layout, config and state', () => {
  it('creates the standard folders and refuses paths outside the run directory', () => {
    const r = RunDir.create(join(tmp(), 'run'));
    for (const d of [RUN_FILES.checkpoints, RUN_FILES.logs, RUN_FILES.samples]) expect(existsSync(join(r.root, d))).toBe(true);
    expect(r.path('checkpoints/a.safetensors')).toBe(join(r.root, 'checkpoints/a.safetensors'));
    expect(() => r.path('../x')).toThrow(/is not inside the run directory/);
    expect(() => r.path('/etc/passwd')).toThrow(/is not inside the run directory/);
  });

  it('open() needs config.resolved.json and says how to start a run', () => {
    const d = tmp();
    expect(() => RunDir.open(d)).toThrow(/is not a run directory \(no config\.resolved\.json\); start one with `diff2in1 train --config <file>/);
  });

  it('writeConfig is atomic and reports the changed sections', () => {
    const r = RunDir.create(tmp());
    expect(r.writeConfig({ a: { x: 1 }, b: 2 })).toEqual([]);
    expect(r.writeConfig({ a: { x: 1 }, b: 3, c: 1 })).toEqual(['b', 'c']);
    expect(JSON.parse(readFileSync(r.path(RUN_FILES.config), 'utf8'))).toEqual({ a: { x: 1 }, b: 3, c: 1 });
    expect(RunDir.open(r.root).readConfig()).toEqual({ a: { x: 1 }, b: 3, c: 1 });
  });

  it('state.json round-trips stage records', () => {
    const r = RunDir.create(tmp());
    expect(r.readState()).toEqual({ version: 1, stages: {} });
    const rec = { status: 'complete' as const, fingerprint: 'f', startedAt: 't', artifacts: {} };
    r.setStage('warmup', rec);
    expect(r.readState().stages['warmup']).toEqual(rec);
    r.setStage('warmup', undefined);
    expect(r.readState().stages).toEqual({});
  });

  it('logs append {t, stage, ...} lines', () => {
    const r = RunDir.create(tmp());
    r.log('warmup', { event: 'train', step: 1, loss: 0.5 });
    r.log('warmup', { event: 'train', step: 2, loss: 0.25 });
    const recs = readJsonl<Record<string, unknown>>(r.logPath('warmup'));
    expect(recs.map((x) => [x['stage'], x['step'], x['loss']])).toEqual([['warmup', 1, 0.5], ['warmup', 2, 0.25]]);
    expect(typeof recs[0]!['t']).toBe('string');
  });
});

describe('artifact hashes', () => {
  it('a file hashes to its sha256; a folder to the hash of its sorted names and file hashes', () => {
    const r = RunDir.create(tmp());
    writeFileSync(r.path('checkpoints/w.safetensors'), 'weights');
    expect(r.hashArtifact('checkpoints/w.safetensors')).toMatchObject({ sha256: sha('weights'), bytes: 7, files: 1 });
    mkdirSync(r.path('samples/s/sub'), { recursive: true });
    writeFileSync(r.path('samples/s/b.png'), 'B');
    writeFileSync(r.path('samples/s/sub/a.png'), 'AA');
    const expected = sha(`b.png\0${sha('B')}\nsub/a.png\0${sha('AA')}\n`);
    expect(r.hashArtifact('samples/s/')).toMatchObject({ sha256: expected, bytes: 3, files: 2 });
  });

  it('verify: unchanged passes cheaply, a touched-but-equal file passes by content, an edit fails', () => {
    const r = RunDir.create(tmp());
    const rel = 'checkpoints/w.safetensors';
    writeFileSync(r.path(rel), 'weights');
    const rec = r.hashArtifact(rel);
    expect(r.verifyArtifact(rel, rec)).toBe(true);
    utimesSync(r.path(rel), new Date(2000, 1, 1), new Date(2000, 1, 1));
    expect(r.verifyArtifact(rel, rec)).toBe(true);
    writeFileSync(r.path(rel), 'weightz');
    expect(r.verifyArtifact(rel, rec)).toBe(false);
  });

  it('a missing or empty artifact is reported', () => {
    const r = RunDir.create(tmp());
    mkdirSync(r.path('samples/empty'));
    expect(r.hasArtifact('samples/empty/')).toBe(false);
    expect(() => r.hashArtifact('samples/empty/')).toThrow(/expected output samples\/empty\/ is missing or empty/);
  });
});

describe('run-directory lock', () => {
  it('a second holder is refused with the owner named; release frees it', () => {
    const r = RunDir.create(tmp());
    const a = r.lock('diff2in1 train');
    expect(() => r.lock('diff2in1 eval')).toThrow(new RegExp(`in use by process ${process.pid} on .*\\(diff2in1 train, since`));
    a.release();
    a.release(); // idempotent
    const b = r.lock();
    expect(JSON.parse(readFileSync(b.path, 'utf8')).pid).toBe(process.pid);
    b.release();
    expect(existsSync(b.path)).toBe(false);
  });

  it('is refused while another live process holds it', async () => {
    const r = RunDir.create(tmp());
    // A child process takes the lock (a real second process) and waits.
    const lockPath = r.path(RUN_FILES.lock);
    const script = `
      const fs = require('node:fs');
      fs.writeFileSync(${JSON.stringify(lockPath)}, JSON.stringify({ pid: process.pid, host: require('node:os').hostname(), startedAt: 'x' }));
      process.stdout.write('locked\\n');
      setTimeout(() => {}, 60000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    try {
      expect(() => r.lock()).toThrow(new RegExp(`in use by process ${child.pid}`));
    } finally {
      child.kill('SIGKILL');
      await new Promise((res) => child.once('exit', res));
    }
    // Its owner is now dead: the lock is stale and taken over.
    const l = r.lock('after');
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    l.release();
  });

  it('detects a stale lock by pid: a process that has exited, or a reused pid (different start time)', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    expect(lockOwnerAlive({ pid: deadPid, host: hostname(), startedAt: 'x' })).toBe(false);
    const me = processStartTime(process.pid);
    expect(lockOwnerAlive({ pid: process.pid, host: hostname(), startedAt: 'x', procStart: me })).toBe(true);
    if (me !== undefined) expect(lockOwnerAlive({ pid: process.pid, host: hostname(), startedAt: 'x', procStart: me + 1 })).toBe(false);
    // Another host's lock cannot be checked and counts as held.
    expect(lockOwnerAlive({ pid: deadPid, host: `${hostname()}-other`, startedAt: 'x' })).toBe(true);

    const p = join(tmp(), '.lock');
    writeFileSync(p, JSON.stringify({ pid: deadPid, host: hostname(), startedAt: 'x' }));
    const l = acquireLock(p, 'test');
    expect(JSON.parse(readFileSync(p, 'utf8'))).toMatchObject({ pid: process.pid, command: 'test' });
    l.release();
  });

  it('an empty lock file (crash between create and write) is busy briefly, then stale', () => {
    const p = join(tmp(), '.lock');
    writeFileSync(p, '');
    expect(() => acquireLock(p)).toThrow(/being locked by another process right now/);
    utimesSync(p, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    acquireLock(p).release();
  });
});
