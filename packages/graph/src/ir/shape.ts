// Shapes of symbolic tensors. A dimension is a non-negative integer or a symbol such as 'batch' whose value is
// only known when the graph runs. Two dimensions are equal when they are the same number or the same symbol.
import { Diff2in1Error } from '@diff2in1/tensor';

export type Dim = number | string;
export type Shape = readonly Dim[];

export function fmtShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

export function graphError(op: string, message: string): Diff2in1Error {
  return new Diff2in1Error('graph', `${op}: ${message}`);
}

export function isStatic(s: Shape): s is readonly number[] {
  return s.every((d) => typeof d === 'number');
}

/** The shape as numbers, or an error naming `op` when a dimension is symbolic. */
export function staticShape(op: string, s: Shape): number[] {
  if (!isStatic(s)) throw graphError(op, `needs a static shape, got ${fmtShape(s)}`);
  return [...s];
}

/** Number of elements when every dimension is known, otherwise undefined. */
export function staticNumel(s: Shape): number | undefined {
  let n = 1;
  for (const d of s) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/** Normalises a possibly negative axis against `rank`, or throws naming the op. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) throw graphError(op, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Numpy-style broadcast of several shapes (ONNX multidirectional broadcasting). */
export function broadcastShapes(op: string, ...shapes: Shape[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const e = s[s.length - rank + i] ?? 1;
      if (e === 1 || e === d) continue;
      if (d === 1) { d = e; continue; }
      throw graphError(op, `shapes ${shapes.map(fmtShape).join(' and ')} do not broadcast (dimension ${i} of the result: ${d} vs ${e})`);
    }
    out.push(d);
  }
  return out;
}

/**
 * Axes of `out` that a tensor of shape `inp` was broadcast along (for un-broadcasting gradients):
 * leading axes that `inp` lacks, and axes where `inp` has 1 but `out` does not.
 */
export function broadcastAxes(inp: Shape, out: Shape): number[] {
  const lead = out.length - inp.length;
  const axes: number[] = [];
  for (let i = 0; i < out.length; i++) {
    if (i < lead) axes.push(i);
    else if (inp[i - lead] === 1 && out[i] !== 1) axes.push(i);
  }
  return axes;
}
