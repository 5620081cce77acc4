// The run directory: everything one run reads and writes.
//
//   <runDir>/config.resolved.json   the validated config with every default filled in (atomic)
//            state.json             which stages are complete, with their config fingerprint and artifact hashes
//            .lock                  one process per run directory (lock.ts)
//            data/                  the dataset manifest (and toyworld's rendered images)
//            captions/              captions of the training images
//            checkpoints/           warmup.safetensors (θW), creation.safetensors (θC), exploitation.safetensors (θE)
//            logs/<stage>.jsonl     append-only logs: {t, stage, event, step, loss, ...}
//            samples/<name>/        images, each folder with a grid.json the report shows (grids.ts)
//            work/<stage>/          a stage's resumable scratch state (wiped when its fingerprint changes)
//            metrics.json           evaluation results per stage, mode and model (atomic; metrics.ts)
//            report.html            the static report (report/)
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Diff2in1Error, appendJsonl, writeFileAtomicSync } from '@diff2in1/tensor';
import type { RunLock } from './lock.js';
import { acquireLock } from './lock.js';

export const RUN_FILES = {
  config: 'config.resolved.json',
  state: 'state.json',
  lock: '.lock',
  metrics: 'metrics.json',
  report: 'report.html',
  checkpoints: 'checkpoints',
  logs: 'logs',
  samples: 'samples',
  work: 'work',
} as const;

/** Content hash of a produced file or folder, plus a cheap signature (sizes + mtimes) to skip re-hashing. */
export interface ArtifactRecord {
  sha256: string;
  quick: string;
  bytes: number;
  files: number;
}

export type StageStatus = 'running' | 'complete' | 'failed';

export interface StageRecord {
  status: StageStatus;
  /** Hash of the config fields the stage reads and of its inputs' artifact hashes (pipeline.ts). */
  fingerprint: string;
  startedAt: string;
  finishedAt?: string;
  seconds?: number;
  artifacts: Record<string, ArtifactRecord>;
  error?: string;
}

export interface RunState {
  version: 1;
  stages: Record<string, StageRecord>;
}

function listFiles(abs: string, base = abs): string[] {
  const out: string[] = [];
  for (const e of readdirSync(abs, { withFileTypes: true })) {
    const p = join(abs, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else if (e.isFile()) out.push(relative(base, p).split(sep).join('/'));
  }
  return out.sort();
}

function sha256File(abs: string): string {
  // Small files in one read; large ones (checkpoints of SD-sized heads) in 16 MiB chunks.
  const h = createHash('sha256');
  const size = statSync(abs).size;
  if (size < 256 << 20) return h.update(readFileSync(abs)).digest('hex');
  const fd = openSync(abs, 'r');
  try {
    const buf = Buffer.alloc(16 << 20);
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

export class RunDir {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /** Opens (creating if needed) the run directory and its standard folders. */
  static create(root: string): RunDir {
    const abs = resolve(root);
    for (const d of [RUN_FILES.checkpoints, RUN_FILES.logs, RUN_FILES.samples]) mkdirSync(join(abs, d), { recursive: true });
    return new RunDir(abs);
  }

  /** Opens an existing run directory (one holding config.resolved.json). */
  static open(root: string): RunDir {
    const abs = resolve(root);
    if (!existsSync(join(abs, RUN_FILES.config))) {
      throw new Diff2in1Error('run-dir', `${abs} is not a run directory (no ${RUN_FILES.config}); start one with \`diff2in1 train --config <file> --run-dir ${root}\``);
    }
    return new RunDir(abs);
  }

  /** Absolute path of a run-relative path; refuses paths that leave the run directory. */
  path(rel: string): string {
    const abs = resolve(this.root, rel);
    if (isAbsolute(rel) || (abs !== this.root && !abs.startsWith(this.root + sep))) {
      throw new Diff2in1Error('run-dir', `"${rel}" is not inside the run directory ${this.root}`);
    }
    return abs;
  }

  /** Takes the run directory's lock (throws naming the owner if another live process holds it). */
  lock(command?: string): RunLock {
    return acquireLock(this.path(RUN_FILES.lock), command);
  }

  /** The resolved config stored in the run directory, if any. */
  readConfig(): unknown {
    const p = this.path(RUN_FILES.config);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as unknown) : undefined;
  }

  /** Writes config.resolved.json atomically; returns the top-level sections that differ from the previous one. */
  writeConfig(config: object): string[] {
    const prev = this.readConfig() as Record<string, unknown> | undefined;
    const cur = config as Record<string, unknown>;
    writeFileAtomicSync(this.path(RUN_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
    if (!prev) return [];
    const keys = new Set([...Object.keys(prev), ...Object.keys(cur)]);
    return [...keys].filter((k) => JSON.stringify(prev[k]) !== JSON.stringify(cur[k]));
  }

  readState(): RunState {
    const p = this.path(RUN_FILES.state);
    if (!existsSync(p)) return { version: 1, stages: {} };
    const s = JSON.parse(readFileSync(p, 'utf8')) as RunState;
    if (s.version !== 1 || typeof s.stages !== 'object') throw new Diff2in1Error('run-dir', `unknown state format (version ${String(s.version)})`, { file: p });
    return s;
  }

  writeState(state: RunState): void {
    writeFileAtomicSync(this.path(RUN_FILES.state), `${JSON.stringify(state, null, 2)}\n`);
  }

  /** Sets (or with `undefined`, removes) one stage's record in state.json. */
  setStage(stage: string, record: StageRecord | undefined): void {
    const s = this.readState();
    if (record) s.stages[stage] = record;
    else delete s.stages[stage];
    this.writeState(s);
  }

  /** logs/<stage>.jsonl */
  logPath(stage: string): string {
    return this.path(join(RUN_FILES.logs, `${stage}.jsonl`));
  }

  /** Appends {t, stage, ...record} to logs/<stage>.jsonl. */
  log(stage: string, record: Record<string, unknown>): void {
    appendJsonl(this.logPath(stage), { t: new Date().toISOString(), stage, ...record });
  }

  /** work/<stage>/ (created). `fresh` empties it first. */
  workDir(stage: string, fresh = false): string {
    const p = this.path(join(RUN_FILES.work, stage));
    if (fresh) rmSync(p, { recursive: true, force: true });
    mkdirSync(p, { recursive: true });
    return p;
  }

  /** Whether a run-relative file or folder exists (a folder must hold at least one file). */
  hasArtifact(rel: string): boolean {
    const p = this.path(rel);
    if (!existsSync(p)) return false;
    return statSync(p).isDirectory() ? listFiles(p).length > 0 : true;
  }

  private quickSignature(rel: string): { quick: string; files: string[]; bytes: number } {
    const abs = this.path(rel);
    const st = statSync(abs);
    const files = st.isDirectory() ? listFiles(abs) : [''];
    const h = createHash('sha256');
    let bytes = 0;
    for (const f of files) {
      const fst = f ? statSync(join(abs, f)) : st;
      bytes += fst.size;
      h.update(`${f}\0${fst.size}\0${fst.mtimeMs}\n`);
    }
    return { quick: h.digest('hex'), files, bytes };
  }

  /** Content hash of a run-relative file, or of a folder (sorted relative names and file hashes). */
  hashArtifact(rel: string): ArtifactRecord {
    if (!this.hasArtifact(rel)) throw new Diff2in1Error('run-dir', `expected output ${rel} is missing or empty`, { file: this.path(rel) });
    const abs = this.path(rel);
    const { quick, files, bytes } = this.quickSignature(rel);
    let sha256: string;
    if (files.length === 1 && files[0] === '') sha256 = sha256File(abs);
    else {
      const h = createHash('sha256');
      for (const f of files) h.update(`${f}\0${sha256File(join(abs, f))}\n`);
      sha256 = h.digest('hex');
    }
    return { sha256, quick, bytes, files: files.length };
  }

  /**
   * Whether the artifact on disk still matches its record: same sizes and mtimes (cheap), or else the same
   * content hash (e.g. after a copy that changed mtimes).
   */
  verifyArtifact(rel: string, rec: ArtifactRecord): boolean {
    if (!this.hasArtifact(rel)) return false;
    if (this.quickSignature(rel).quick === rec.quick) return true;
    return this.hashArtifact(rel).sha256 === rec.sha256;
  }
}
