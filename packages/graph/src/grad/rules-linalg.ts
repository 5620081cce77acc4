// Gradient rules of MatMul and Gemm.
import type { Node, Value } from '../ir/graph.js';
import { mul } from '../ops/elementwise.js';
import { gemm, matmul } from '../ops/linalg.js';
import { reshape, transpose, unsqueeze } from '../ops/shape.js';
import { registerVjp, unbroadcast } from './autodiff.js';

/** Swaps the last two axes. */
export function swapLast(x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return transpose(x, perm);
}

registerVjp('MatMul', (n, [gy], want) => {
  const [a, b] = [n.inputs[0]!, n.inputs[1]!];
  const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.rank === 1 ? unsqueeze(b, 1) : b;
  let g2 = gy!;
  if (a.rank === 1) g2 = unsqueeze(g2, g2.rank - (b.rank === 1 ? 0 : 1));
  if (b.rank === 1) g2 = unsqueeze(g2, g2.rank);
  const back = (d: Value, orig: Value, promoted: Value): Value => {
    const u = unbroadcast(d, promoted.shape);
    return orig.rank === promoted.rank ? u : reshape(u, orig.shape);
  };
  return [
    want[0] ? back(matmul(g2, swapLast(b2)), a, a2) : undefined,
    want[1] ? back(matmul(swapLast(a2), g2), b, b2) : undefined,
  ];
});

const flag = (n: Node, k: string): boolean => {
  const a = n.attrs[k];
  return !!a && a.kind === 'int' && a.value !== 0;
};
const num = (n: Node, k: string): number => {
  const a = n.attrs[k];
  return a && a.kind === 'float' ? a.value : 1;
};

registerVjp('Gemm', (n, [gy], want) => {
  const [a, b, c] = [n.inputs[0]!, n.inputs[1]!, n.inputs[2]];
  const [ta, tb, alpha, beta] = [flag(n, 'transA'), flag(n, 'transB'), num(n, 'alpha'), num(n, 'beta')];
  const g = gy!;
  const da = !want[0] ? undefined : ta ? gemm(b, g, null, { alpha, transA: tb, transB: true }) : gemm(g, b, null, { alpha, transB: !tb });
  const db = !want[1] ? undefined : tb ? gemm(g, a, null, { alpha, transA: true, transB: ta }) : gemm(a, g, null, { alpha, transA: !ta });
  const dc = want[2] && c ? unbroadcast(beta === 1 ? g : mul(g, beta), c.shape) : undefined;
  return [da, db, dc];
});
