import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicStreamSync, writeFileAtomicSync } from './fs-atomic.js';

describe('atomic writes', () => {
  it('replaces the file and leaves no temp file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const p = join(dir, 'sub', 'a.txt');
    writeFileAtomicSync(p, 'one');
    await writeFileAtomic(p, new Uint8Array([116, 119, 111]));
    expect(readFileSync(p, 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['a.txt']);
  });
  it('keeps the old content when the write fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const p = join(dir, 'b.txt');
    writeFileSync(p, 'old');
    // A directory where the target should be makes rename fail after the temp file was written.
    expect(() => writeFileAtomicSync(join(dir), 'x')).toThrow();
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['b.txt']);
  });
  it('streams chunks into place, or leaves the old file when the producer throws', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const p = join(dir, 'c.bin');
    writeFileAtomicStreamSync(p, (write) => {
      write(new Uint8Array([1, 2]));
      write(new Uint8Array(0));
      write(new Uint8Array([3]));
    });
    expect(Array.from(readFileSync(p))).toEqual([1, 2, 3]);
    expect(() => writeFileAtomicStreamSync(p, (write) => {
      write(new Uint8Array([9, 9, 9, 9]));
      throw new Error('producer failed');
    })).toThrow('producer failed');
    expect(Array.from(readFileSync(p))).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['c.bin']);
  });
});
