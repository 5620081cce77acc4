// State dicts: parameters and persistent buffers by their full dotted names. Loading is a name lookup that
// reports missing, unexpected and mis-shaped entries (torch's load_state_dict(strict=False) report).
import { Diff2in1Error, type Rng, Tensor, type TensorSource, toFloat32 } from '@diff2in1/tensor';
import type { Param } from '../ir/param.js';
import type { Module } from './module.js';

export interface LoadReport {
  /** Model entries the source lacks. */
  missing: string[];
  /** Source entries the model lacks. */
  unexpected: string[];
  /** Entries present in both with different shapes. */
  misShaped: { name: string; expected: number[]; got: number[] }[];
  /** Entries loaded. */
  loaded: number;
}

export type StateSource = TensorSource | ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

function adapt(src: StateSource): { names: string[]; get: (n: string) => Tensor; shape: (n: string) => readonly number[] } {
  if (src instanceof Map) return { names: [...src.keys()], get: (n) => src.get(n)!, shape: (n) => src.get(n)!.shape };
  if (typeof (src as TensorSource).names === 'function' && typeof (src as TensorSource).get === 'function') {
    const s = src as TensorSource;
    return { names: s.names(), get: (n) => s.get(n), shape: (n) => s.info(n).shape };
  }
  const r = src as Readonly<Record<string, Tensor>>;
  return { names: Object.keys(r), get: (n) => r[n]!, shape: (n) => r[n]!.shape };
}

/** Only the entries under `prefix` (e.g. 'unet.' of a combined checkpoint), with the prefix removed. */
function withPrefix(src: ReturnType<typeof adapt>, prefix: string): ReturnType<typeof adapt> {
  if (!prefix) return src;
  return {
    names: src.names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)),
    get: (n) => src.get(prefix + n),
    shape: (n) => src.shape(prefix + n),
  };
}

/** Converts a checkpoint tensor to the param's dtype where that is lossless or a float widening/narrowing. */
function convert(t: Tensor, p: Param): Tensor {
  if (t.dtype === p.dtype) return t;
  if (p.dtype === 'float32' && (t.dtype === 'float16' || t.dtype === 'float64')) return toFloat32(t);
  if (p.dtype === 'int64' && t.dtype === 'int32') return new Tensor('int64', t.shape, BigInt64Array.from(t.data as Int32Array, (v) => BigInt(v)));
  throw new Diff2in1Error('graph', `${p.kind} '${p.name}': checkpoint has ${t.dtype}, the model needs ${p.dtype}`);
}

/**
 * Loads parameters and persistent buffers from `source` by name (optionally only the names under `prefix`,
 * which is stripped). Returns what did not match; with `strict: true` (torch's default) any mismatch throws,
 * listing them all. float16/float64 checkpoint tensors are converted to float32 parameters.
 */
export function loadStateDict(model: Module, source: StateSource, opts: { strict?: boolean; file?: string; prefix?: string } = {}): LoadReport {
  const src = withPrefix(adapt(source), opts.prefix ?? '');
  const entries = model.stateEntries();
  const have = new Set(src.names);
  const report: LoadReport = { missing: [], unexpected: src.names.filter((n) => !entries.has(n)).sort(), misShaped: [], loaded: 0 };
  for (const [name, p] of entries) {
    if (!have.has(name)) {
      report.missing.push(name);
      continue;
    }
    const shape = src.shape(name);
    if (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
      report.misShaped.push({ name, expected: [...p.shape], got: [...shape] });
      continue;
    }
    if (opts.strict && (report.missing.length || report.unexpected.length || report.misShaped.length)) continue;
    const t = convert(src.get(name), p);
    p.data = t.shape.length === p.shape.length ? t : t.reshape(p.shape);
    report.loaded++;
  }
  if (opts.strict && (report.missing.length || report.unexpected.length || report.misShaped.length)) {
    const lines = [
      ...report.missing.map((n) => `missing: ${n}`),
      ...report.unexpected.map((n) => `unexpected: ${n}`),
      ...report.misShaped.map((m) => `mis-shaped: ${m.name} (model [${m.expected.join(', ')}], checkpoint [${m.got.join(', ')}])`),
    ];
    throw new Diff2in1Error('graph', `state dict does not match ${model.constructor.name}:\n  ${lines.slice(0, 50).join('\n  ')}${lines.length > 50 ? `\n  ... ${lines.length - 50} more` : ''}`, { file: opts.file });
  }
  return report;
}

/** Fills every parameter from its PyTorch-default initialiser, each with `rng.fork(name)` (order-independent). */
export function initParameters(model: Module, rng: Rng): void {
  for (const p of model.namedParameters().values()) {
    if (!p.init) throw new Diff2in1Error('graph', `parameter '${p.name}' has no initialiser; load it with loadStateDict`);
    p.data = p.init(p.shape, rng.fork(p.name));
  }
}

/** torch `state_dict()` as name → Tensor (parameters and persistent buffers; all must have data). */
export function stateDict(model: Module): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, p] of model.stateEntries()) out[name] = p.data;
  return out;
}
