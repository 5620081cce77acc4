import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from './fs-atomic.js';

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
});
