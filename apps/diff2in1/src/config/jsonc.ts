// JSON with comments (// and /* */) and trailing commas, as tsconfig.json allows — so config files can cite the
// source of each value beside it. Comments and trailing commas are blanked with spaces (newlines kept), so a
// JSON.parse error position is a position in the original text, reported as line:column.
import { Diff2in1Error } from '@diff2in1/tensor';

/** The text with comments and trailing commas replaced by spaces (same length, same line breaks). */
export function stripJsonc(text: string): string {
  const out = text.split('');
  let i = 0;
  const n = text.length;
  let lastSignificant = -1; // index of the last non-space char outside comments/strings
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      lastSignificant = Math.min(i, n) - 1;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') out[i++] = ' ';
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (; i < stop; i++) if (text[i] !== '\n' && text[i] !== '\r') out[i] = ' ';
      continue;
    }
    if ((c === '}' || c === ']') && lastSignificant >= 0 && text[lastSignificant] === ',' && out[lastSignificant] === ',') {
      out[lastSignificant] = ' ';
    }
    if (!/\s/.test(c)) lastSignificant = i;
    i++;
  }
  return out.join('');
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, column: col };
}

/** Parses JSONC; a syntax error names file:line:column. */
export function parseJsonc(text: string, file: string): unknown {
  const stripped = stripJsonc(text.replace(/^\uFEFF/, ''));
  try {
    return JSON.parse(stripped);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    if (m) {
      const { line, column } = lineColumn(stripped, Number(m[1]));
      throw new Diff2in1Error('config', `line ${line}, column ${column}: invalid JSON (${msg.replace(/ in JSON at position \d+.*$/, '')})`, { file });
    }
    throw new Diff2in1Error('config', `invalid JSON (${msg})`, { file });
  }
}
