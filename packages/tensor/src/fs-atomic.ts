// Atomic file writes: write to a temp file beside the target, fsync, then rename over it. A reader (or a
// job resumed after kill -9) sees either the old file or the complete new one, never a partial file.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

let counter = 0;
function tempPathFor(path: string): string {
  counter = (counter + 1) % 1e9;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.tmp`);
}

/**
 * Streams a file atomically: `produce` calls `write(bytes)` as often as it likes (each chunk is written at
 * once, so the whole file never has to be in memory), then the temp file is fsynced and renamed over `path`.
 * If `produce` throws, the temp file is removed and the old file is untouched.
 */
export function writeFileAtomicStreamSync(path: string, produce: (write: (bytes: Uint8Array) => void) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w');
  try {
    produce((bytes) => {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
    });
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes `data` to `path` atomically (temp file beside it, fsync, rename), creating the folder if needed. */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  writeFileAtomicStreamSync(path, (write) => write(bytes));
}

/** The async writeFileAtomicSync: temp file beside `path`, fsync, rename; the folder is created if needed. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
