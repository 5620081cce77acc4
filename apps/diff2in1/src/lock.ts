// One process per run directory: `<runDir>/.lock` is created with O_EXCL and holds the owner's pid, host and
// process start time. A lock whose process is gone (no such pid, or the pid now belongs to a process that started
// later — pid reuse) is stale and taken over; a live owner makes the second process fail with a message naming it.
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { Diff2in1Error } from '@diff2in1/tensor';

export interface LockInfo {
  pid: number;
  host: string;
  /** Linux: the process start time in clock ticks since boot (/proc/<pid>/stat field 22); undefined elsewhere. */
  procStart?: number;
  startedAt: string;
  command?: string;
}

/** Start time of a process (Linux /proc), or undefined when unavailable. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may contain spaces: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]); // field 22 overall = index 19 after pid, comm
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `info` is still running (same host only; another host's lock counts as alive). */
export function lockOwnerAlive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (info.procStart !== undefined) {
    const now = processStartTime(info.pid);
    if (now !== undefined && now !== info.procStart) return false; // the pid was reused by another process
  }
  return true;
}

export interface RunLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Removes the lock if it is still ours. Idempotent. */
  release(): void;
}

function readLock(path: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

/**
 * Takes the lock at `path` or throws Diff2in1Error('run-dir') naming the owner. A stale lock (dead owner, or an
 * unreadable/empty lock file older than a few seconds — a crash between create and write) is replaced.
 */
export function acquireLock(path: string, command?: string): RunLock {
  const info: LockInfo = { pid: process.pid, host: hostname(), procStart: processStartTime(process.pid), startedAt: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readLock(path);
      if (!owner && ageMs(path) < 5000) {
        throw new Diff2in1Error('run-dir', `run directory is being locked by another process right now (${path}); try again`);
      }
      if (owner && lockOwnerAlive(owner)) {
        throw new Diff2in1Error(
          'run-dir',
          `run directory is in use by process ${owner.pid} on ${owner.host} (${owner.command ?? 'diff2in1'}, since ${owner.startedAt}); wait for it, or if that process is gone, delete ${path}`,
        );
      }
      // Stale: move it aside atomically (only one contender wins the rename), then retry.
      const aside = `${path}.stale.${process.pid}`;
      try {
        renameSync(path, aside);
        rmSync(aside, { force: true });
      } catch {
        /* another process took it over first; retry */
      }
      continue;
    }
    writeSync(fd, JSON.stringify(info));
    closeSync(fd);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      const cur = existsSync(path) ? readLock(path) : undefined;
      if (cur && cur.pid === info.pid && cur.startedAt === info.startedAt) rmSync(path, { force: true });
      process.off('exit', release);
    };
    process.on('exit', release);
    return { path, info, release };
  }
  throw new Diff2in1Error('run-dir', `could not take the lock ${path} (another process keeps replacing it)`);
}
