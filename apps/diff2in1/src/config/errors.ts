// Config validation messages written for the person fixing the config: each names the field path, what is
// allowed and what was given, e.g.
//   selfImprove.mode: expected one of diff2in1, gna, da-fusion, warmup-only, got "dif2in1" (did you mean "diff2in1"?)
//   warmup.lrr: unknown field (did you mean "lr"?); warmup fields are: epochs, iterations, batchSize, ...
// zod's own messages are not shown; issues are formatted here from their structured form.
import type { z } from 'zod';
import { Diff2in1Error } from '@diff2in1/tensor';
import { describeType, keysAt, schemaAt } from './introspect.js';

/** Levenshtein edit distance (insert, delete, substitute; each costs 1). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const sub = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, sub));
    }
    prev = cur;
  }
  return prev[n]!;
}

/** The closest candidate if it is close enough to be a likely typo (case-insensitive distance ≤ ⌈len/3⌉, or a prefix). */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const x = input.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(x, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  // A shortened name ("synth" for "synthetic") is a likely slip too.
  if (x.length >= 3) {
    const prefixed = candidates.find((c) => c.toLowerCase().startsWith(x) && c !== input);
    if (prefixed && editDistance(x, best.toLowerCase()) > 1) return prefixed;
  }
  const limit = Math.max(1, Math.ceil(Math.max(input.length, best.length) / 3));
  // Distance 0 here means the names differ only in case, which is still worth pointing out.
  return bestD <= limit && best !== input ? best : undefined;
}

/** 'a.b[0].c' */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const k of path) {
    if (typeof k === 'number') s += `[${k}]`;
    else s += s ? `.${String(k)}` : String(k);
  }
  return s || '(config)';
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** A config problem: where and what. */
export interface ConfigIssue {
  path: readonly PropertyKey[];
  message: string;
}

type ZodIssue = z.core.$ZodIssue & { input?: unknown };

function issueMessages(issue: ZodIssue, base: readonly PropertyKey[], schema: z.ZodType): ConfigIssue[] {
  const path = [...base, ...issue.path];
  const input = issue.input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysAt(schema, path) ?? [];
      const where = path.length ? `${formatPath(path)} fields` : 'top-level fields';
      return issue.keys.map((k) => {
        const guess = didYouMean(k, allowed);
        return {
          path: [...path, k],
          message: `unknown field${guess ? ` (did you mean "${guess}"?)` : ''}; ${where} are: ${allowed.join(', ')}`,
        };
      });
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => String(v));
      const guess = typeof input === 'string' ? didYouMean(input, values) : undefined;
      return [{ path, message: `expected one of ${values.join(', ')}, got ${show(input)}${guess ? ` (did you mean "${guess}"?)` : ''}` }];
    }
    case 'invalid_type': {
      if (input === undefined) {
        const s = schemaAt(schema, path);
        return [{ path, message: `is required (${s ? describeType(s) : issue.expected})` }];
      }
      const s = schemaAt(schema, path);
      return [{ path, message: `expected ${s ? describeType(s) : issue.expected}, got ${show(input)}` }];
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
      const inclusive = (issue as { inclusive?: boolean }).inclusive !== false;
      if (issue.origin === 'array') return [{ path, message: `needs ${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}, got ${Array.isArray(input) ? input.length : show(input)}` }];
      if (issue.origin === 'string') return [{ path, message: `needs ${small ? 'at least' : 'at most'} ${bound} character${bound === 1 ? '' : 's'}, got ${show(input)}` }];
      const op = small ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<';
      return [{ path, message: `must be ${op} ${bound}, got ${show(input)}` }];
    }
    case 'invalid_union': {
      // Prefer the option whose problems are not about the value's type: the user meant that option.
      const specific = issue.errors.filter((errs) => !errs.some((e) => e.path.length === 0 && (e.code === 'invalid_type' || e.code === 'invalid_value')));
      if (specific.length === 1) return specific[0]!.flatMap((e) => issueMessages({ ...e, input: (e as ZodIssue).input } as ZodIssue, path, schema));
      const s = schemaAt(schema, path);
      return [{ path, message: `expected ${s ? describeType(s) : 'another value'}, got ${show(input)}` }];
    }
    case 'invalid_format':
      return [{ path, message: `expected ${issue.format === 'regex' ? issue.message : issue.format}, got ${show(input)}` }];
    case 'not_multiple_of':
      return [{ path, message: `must be a multiple of ${String(issue.divisor)}, got ${show(input)}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

/** Config issues from a zod error, in a stable order. */
export function configIssues(error: z.ZodError, schema: z.ZodType, base: readonly PropertyKey[] = []): ConfigIssue[] {
  return error.issues.flatMap((i) => issueMessages(i as ZodIssue, base, schema));
}

/** One line per issue: "path: message". */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n');
}

/** The error every config problem becomes (code 'config'); `file` names the config file when there is one. */
export class ConfigError extends Diff2in1Error {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], file?: string) {
    const body = formatIssues(issues);
    super('config', issues.length > 1 ? `invalid config:\n${body}` : body, file ? { file } : {});
    this.issues = issues;
  }
}
