// Checks feeds against a session's declared inputs BEFORE calling ORT, so errors list everything that is wrong
// (missing, extra, dtype, rank, fixed dimensions) in our words instead of ORT's first-failure message.
import { Diff2in1Error, type DType } from '@diff2in1/tensor';

/** Element types ORT can report for a model input/output; ours (DType) plus ones we do not model. */
export type IODType = DType | 'int8' | 'int16' | 'uint16' | 'uint32' | 'uint64' | 'string' | 'int4' | 'uint4' | 'non-tensor';

/** A model input or output as ORT's metadata describes it. Symbolic dimensions are strings (e.g. 'batch'). */
export interface IOInfo {
  readonly name: string;
  readonly dtype: IODType;
  readonly shape: readonly (number | string)[];
  readonly isTensor: boolean;
}

/** What validation needs to know about a fed tensor. */
export interface FeedLike {
  readonly dtype: string;
  readonly shape: readonly number[];
}

function fmtShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** Lists every problem with `feeds` for a model with `inputs`; empty when they fit. */
export function feedProblems(inputs: readonly IOInfo[], feeds: Readonly<Record<string, FeedLike>>): string[] {
  const problems: string[] = [];
  const declared = new Set(inputs.map((i) => i.name));
  const given = Object.keys(feeds);
  const missing = inputs.filter((i) => !(i.name in feeds)).map((i) => i.name);
  const extra = given.filter((n) => !declared.has(n));
  if (missing.length) problems.push(`missing input(s): ${missing.join(', ')}`);
  if (extra.length) problems.push(`unknown input(s): ${extra.join(', ')}`);
  for (const info of inputs) {
    const f = feeds[info.name];
    if (!f) continue;
    if (!info.isTensor) {
      problems.push(`input '${info.name}' is not a tensor input (sequences/maps are not supported)`);
      continue;
    }
    if (f.dtype !== info.dtype) problems.push(`input '${info.name}' must be ${info.dtype}, got ${f.dtype}`);
    if (f.shape.length !== info.shape.length) {
      problems.push(`input '${info.name}' must have rank ${info.shape.length} ${fmtShape(info.shape)}, got rank ${f.shape.length} ${fmtShape(f.shape)}`);
      continue;
    }
    const bad = info.shape.map((d, k) => (typeof d === 'number' && d !== f.shape[k] ? k : -1)).filter((k) => k >= 0);
    if (bad.length) {
      problems.push(`input '${info.name}' must have shape ${fmtShape(info.shape)}, got ${fmtShape(f.shape)} (dimension ${bad.join(', ')} differs)`);
    }
  }
  return problems;
}

/** Throws Diff2in1Error('session') naming the model, the problems and the expected inputs, unless the feeds fit. */
export function validateFeeds(model: string, inputs: readonly IOInfo[], feeds: Readonly<Record<string, FeedLike>>): void {
  const problems = feedProblems(inputs, feeds);
  if (problems.length === 0) return;
  const expected = inputs.map((i) => `${i.name}: ${i.dtype}${fmtShape(i.shape)}`).join(', ');
  throw new Diff2in1Error('session', `${model}: bad feeds — ${problems.join('; ')}. Expected inputs: ${expected}`);
}

/** Throws Diff2in1Error('session') if any requested output name is not one of the model's outputs. */
export function validateOutputNames(model: string, outputs: readonly IOInfo[], requested: readonly string[]): void {
  const known = new Set(outputs.map((o) => o.name));
  const unknown = requested.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new Diff2in1Error('session', `${model}: unknown output(s) requested: ${unknown.join(', ')}; the model's outputs are: ${[...known].join(', ')}`);
  }
}
