// Append-only JSON Lines logs (one JSON value per line), as the training and synthesis stages write them.
//
// Appends are cheap and not fsynced: a log is a record of progress, not the state a run resumes from
// (checkpoints are written atomically for that). The price is that a process killed mid-append (kill -9, power
// loss) can leave a torn last line — a prefix of a record with no newline. Both sides handle it:
//   - readJsonl drops a torn last line (one with no trailing '\n' that does not parse) and reports it through
//     `onTornTail`; every complete line must parse, otherwise the file is corrupt and readJsonl throws naming
//     file:line (unless `skipInvalid`).
//   - appendJsonl looks at the file's last byte first: when the file ends without '\n', the partial tail is cut
//     off (truncated back to the last '\n') before the new record goes in, so a resumed run never glues its first
//     record onto a torn one. A tail without '\n' that does parse is complete and only lacks its newline: it is
//     kept and terminated.
// Log objects (or arrays): a strict prefix of a JSON object never parses, so a torn record is always detected.
import { appendFileSync, closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Diff2in1Error } from './errors.js';

/** One JSON line (no '\n' inside: JSON.stringify escapes newlines in strings). */
export function jsonlLine(record: unknown): string {
  const text = JSON.stringify(record);
  if (text === undefined) throw new Diff2in1Error('jsonl', `cannot log ${typeof record} as JSON`);
  return `${text}\n`;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes `path` end with '\n' (or be empty): a torn last line is cut off, a complete but unterminated one is
 * terminated. Returns the torn text removed, if any. Called by appendJsonl; exported for writers that keep a
 * file open and want to repair it once at start.
 */
export function repairJsonlTail(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return undefined;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return undefined;
    // Find the last '\n' by reading backwards in chunks.
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    let cut = 0;
    search: while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      for (let i = n - 1; i >= 0; i--) {
        if (chunk[i] === 0x0a) {
          cut = start + i + 1;
          break search;
        }
      }
      end = start;
    }
    const tail = Buffer.alloc(size - cut);
    readSync(fd, tail, 0, tail.length, cut);
    const text = tail.toString('utf8');
    if (parses(text)) {
      writeSync(fd, '\n', size);
      return undefined;
    }
    ftruncateSync(fd, cut);
    return text;
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends one record as a JSON line (creating the file and its folder if needed). Not fsynced; a torn last line
 * left by a killed writer is removed first (see the file comment).
 */
export function appendJsonl(path: string, record: unknown): void {
  const line = jsonlLine(record);
  if (existsSync(path)) repairJsonlTail(path);
  else mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, line);
}

export interface ReadJsonlOptions {
  /** Called with the text of a torn last line that was dropped. */
  onTornTail?: (text: string) => void;
  /** Skip complete lines that do not parse (calling onInvalid) instead of throwing. For readers such as a report
   * that must not fail on a damaged log. */
  skipInvalid?: boolean;
  onInvalid?: (line: number, text: string) => void;
}

/**
 * Reads every record of a JSON Lines file. Blank lines are skipped. A torn last line (no trailing '\n', does not
 * parse — what kill -9 during an append leaves) is dropped; any other line that does not parse is an error
 * naming file:line, unless `skipInvalid`. A missing file reads as no records.
 */
export function readJsonl<T = unknown>(path: string, options: ReadJsonlOptions = {}): T[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // With a trailing '\n' the last element is ''. Without one, the last element is an unterminated line.
  const unterminated = lines.pop() ?? '';
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      if (options.skipInvalid) {
        options.onInvalid?.(i + 1, line);
        return;
      }
      throw new Diff2in1Error('jsonl', `line ${i + 1} is not valid JSON (${(e as Error).message}); the log is corrupt`, { file: path });
    }
  });
  if (unterminated.trim() !== '') {
    try {
      out.push(JSON.parse(unterminated) as T);
    } catch {
      options.onTornTail?.(unterminated);
    }
  }
  return out;
}
