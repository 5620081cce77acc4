import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendJsonl, readJsonl, repairJsonlTail } from './jsonl.js';
import { Diff2in1Error } from './errors.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'jsonl-'));

describe('appendJsonl / readJsonl', () => {
  it('round-trips records, one line each, creating folders', () => {
    const p = join(tmp(), 'logs', 'warmup.jsonl');
    const recs = [{ step: 1, loss: 0.5 }, { step: 2, loss: 0.25, note: 'a\nb "q"' }, { nested: { a: [1, 2] } }];
    for (const r of recs) appendJsonl(p, r);
    expect(readFileSync(p, 'utf8').split('\n')).toHaveLength(4); // 3 lines + '' after the final '\n'
    expect(readJsonl(p)).toEqual(recs);
  });

  it('reads a missing file as no records and skips blank lines', () => {
    const d = tmp();
    expect(readJsonl(join(d, 'none.jsonl'))).toEqual([]);
    writeFileSync(join(d, 'b.jsonl'), '{"a":1}\n\n{"a":2}\n');
    expect(readJsonl(join(d, 'b.jsonl'))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('drops a torn last line (what kill -9 mid-append leaves) and reports it', () => {
    const p = join(tmp(), 't.jsonl');
    const full = '{"step":1,"loss":0.5}\n{"step":2,"loss":0.25}\n';
    const torn = '{"step":3,"lo';
    writeFileSync(p, full + torn);
    const seen: string[] = [];
    expect(readJsonl(p, { onTornTail: (t) => seen.push(t) })).toEqual([{ step: 1, loss: 0.5 }, { step: 2, loss: 0.25 }]);
    expect(seen).toEqual([torn]);
  });

  it('keeps an unterminated last line that is a complete record', () => {
    const p = join(tmp(), 'u.jsonl');
    writeFileSync(p, '{"a":1}\n{"a":2}');
    expect(readJsonl(p)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('throws naming file:line for a corrupt line that is not the last, unless skipInvalid', () => {
    const p = join(tmp(), 'c.jsonl');
    writeFileSync(p, '{"a":1}\n{"a":\n{"a":3}\n');
    expect(() => readJsonl(p)).toThrow(Diff2in1Error);
    expect(() => readJsonl(p)).toThrow(/c\.jsonl: line 2 is not valid JSON/);
    const bad: number[] = [];
    expect(readJsonl(p, { skipInvalid: true, onInvalid: (l) => bad.push(l) })).toEqual([{ a: 1 }, { a: 3 }]);
    expect(bad).toEqual([2]);
  });

  it('appending after a torn tail cuts the torn record off first', () => {
    const p = join(tmp(), 'r.jsonl');
    writeFileSync(p, '{"step":1}\n{"step":2}\n{"step":3,"lo');
    appendJsonl(p, { step: 3, loss: 1 });
    expect(readFileSync(p, 'utf8')).toBe('{"step":1}\n{"step":2}\n{"step":3,"loss":1}\n');
    // A complete but unterminated tail is kept and terminated.
    writeFileSync(p, '{"step":1}');
    appendJsonl(p, { step: 2 });
    expect(readFileSync(p, 'utf8')).toBe('{"step":1}\n{"step":2}\n');
    // A torn tail with no newline before it at all (the first record was torn): file becomes just the new record.
    writeFileSync(p, '{"st');
    appendJsonl(p, { step: 1 });
    expect(readFileSync(p, 'utf8')).toBe('{"step":1}\n');
  });

  it('repairJsonlTail finds the last newline across read chunks', () => {
    const p = join(tmp(), 'big.jsonl');
    const long = { pad: 'x'.repeat(200_000) };
    appendJsonl(p, long);
    appendFileSync(p, `{"pad":"${'y'.repeat(150_000)}`); // torn, longer than one 64 KiB chunk
    const torn = repairJsonlTail(p);
    expect(torn?.length).toBe(150_008);
    expect(statSync(p).size).toBe(JSON.stringify(long).length + 1);
    expect(readJsonl(p)).toEqual([long]);
  });

  it('survives a writer killed with SIGKILL mid-stream; a resumed writer continues cleanly', async () => {
    const p = join(tmp(), 'kill.jsonl');
    // A child appending ~1 MiB records as fast as it can (large writes make a torn tail likely, but the test
    // holds either way: every record read back must be complete and in order).
    const script = `
      const { appendFileSync } = require('node:fs');
      const pad = 'z'.repeat(1 << 20);
      for (let i = 0; ; i++) { appendFileSync(${JSON.stringify(p)}, JSON.stringify({ i, pad }) + '\\n'); if (i === 2) process.stdout.write('go\\n'); }`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 30));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const recs = readJsonl<{ i: number; pad: string }>(p);
    expect(recs.length).toBeGreaterThanOrEqual(3);
    recs.forEach((r, k) => {
      expect(r.i).toBe(k);
      expect(r.pad.length).toBe(1 << 20);
    });
    appendJsonl(p, { i: recs.length, resumed: true });
    const after = readJsonl<{ i: number }>(p);
    expect(after.map((r) => r.i)).toEqual([...recs.map((r) => r.i), recs.length]);
    expect(readFileSync(p, 'utf8').endsWith('\n')).toBe(true);
  });
});
