import { describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Tensor} from '@diff2in1/tensor';
import { readSafetensors } from '@diff2in1/tensor';
import { GraphBuilder, type Value } from '../ir/graph.js';
import { grad } from '../grad/index.js';
import { concat } from '../index.js';
import { runGraph } from '../testing/run.js';
import { relErr } from '../testing/reference.js';
import { crossEntropy, l1Loss, mseLoss, siLogLoss, vmfNormalLoss } from './losses.js';

const fx = readSafetensors(fileURLToPath(new URL('../fixtures/optim-losses.safetensors', import.meta.url)));
const l = (k: string): Tensor => fx[`l.${k}`]!;

type Build = (g: GraphBuilder, x: Value, y?: Value) => Value;
const cases: [string, string, Build, string?][] = [
  ['mse', 'pred', (g, p) => mseLoss(p, g.constant(l('target')))],
  ['l1_masked', 'pred', (g, p) => l1Loss(p, g.constant(l('target')), { mask: g.constant(l('mask')) })],
  ['ce', 'logits', (g, z) => crossEntropy(z, g.constant(l('labels')), { ignoreIndex: 255 })],
  ['ce_weighted', 'logits', (g, z) => crossEntropy(z, g.constant(l('labels')), { ignoreIndex: 255, weight: g.constant(l('cw')) })],
  ['vmf_angular', 'normals', (g, n, k) => vmfNormalLoss(concat([n, k!], 1), g.constant(l('gt')), g.constant(l('nmask'))), 'kappa'],
  ['vmf_angular_kappa', 'kappa', (g, k, n) => vmfNormalLoss(concat([n!, k], 1), g.constant(l('gt')), g.constant(l('nmask'))), 'normals'],
  ['vmf', 'normals', (g, n, k) => vmfNormalLoss(concat([n, k!], 1), g.constant(l('gt')), g.constant(l('nmask')), { kind: 'vmf' }), 'kappa'],
  ['silog', 'dpred', (g, p) => siLogLoss(p, g.constant(l('dgt')), g.constant(l('dmask')))],
];

describe('losses equal torch (value and gradient)', () => {
  for (const [name, input, build, other] of cases) {
    test(name, async () => {
      const g = new GraphBuilder(name);
      const x = g.input('x', 'float32', l(input).shape);
      const y = other ? g.input('y', 'float32', l(other).shape) : undefined;
      const loss = build(g, x, y);
      g.output('loss', loss);
      g.output('grad', grad(loss, [x])[0]!);
      const out = await runGraph(g, other ? { x: l(input), y: l(other) } : { x: l(input) });
      expect(relErr(out.loss!.data as Float32Array, fx[`${name}.value`]!.data as Float32Array)).toBeLessThan(1e-5);
      // float32 rounding is amplified by acos' derivative near |cos| = 0.999
      expect(relErr(out.grad!.data as Float32Array, fx[`${name}.grad`]!.data as Float32Array)).toBeLessThan(5e-5);
    });
  }
});
