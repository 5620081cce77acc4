import { describe, expect, test } from 'vitest';
import { Rng } from '@diff2in1/tensor';
import { GraphBuilder } from '../ir/graph.js';
import { runGraph } from '../testing/run.js';
import { bilinearRef, f32, f64, nearestRef, randArray, relErr } from '../testing/reference.js';
import { interpolate } from './resize.js';

const rng = new Rng(31);

describe('bilinear interpolate = torch upsample_bilinear2d', () => {
  const cases: [string, number, number, number, number, boolean, number?][] = [
    ['2x up, align false', 5, 4, 10, 8, false],
    ['2x up, align true', 5, 4, 10, 8, true],
    ['odd sizes up', 3, 7, 11, 9, false],
    ['odd sizes up, align true', 3, 7, 11, 9, true],
    ['down', 9, 8, 4, 3, false],
    ['down, align true', 9, 8, 4, 3, true],
    ['to 1x1', 4, 5, 1, 1, true],
    ['scale factor 1.5 (source scale 1/1.5)', 4, 6, 6, 9, false, 1.5],
  ];
  for (const [name, h, w, ho, wo, align, sf] of cases) {
    test(name, async () => {
      const xs = [2, 3, h, w];
      const x = randArray(rng, 6 * h * w);
      const g = new GraphBuilder('bilinear');
      const xv = g.input('x', 'float64', ['n', 3, h, w]);
      g.output('y', interpolate(xv, sf ? { scaleFactor: sf, mode: 'bilinear' } : { size: [ho, wo], mode: 'bilinear', alignCorners: align }));
      const out = await runGraph(g, { x: f64(xs, x) });
      expect(out.y!.shape).toEqual([2, 3, ho, wo]);
      expect(relErr(out.y!.data as Float64Array, bilinearRef(x, xs, ho, wo, align, sf ? [sf, sf] : undefined))).toBeLessThan(1e-14);
    });
  }
});

describe('bilinear interpolate in float32 (ONNX Resize forward) = torch', () => {
  const cases: [string, number, number, number, number, boolean, number?][] = [
    ['2x up', 5, 4, 10, 8, false], ['2x up, align true', 5, 4, 10, 8, true], ['odd sizes', 3, 7, 11, 9, false],
    ['down', 9, 8, 4, 3, false], ['down, align true', 9, 8, 4, 3, true], ['scale factor 1.5', 4, 6, 6, 9, false, 1.5],
  ];
  for (const [name, h, w, ho, wo, align, sf] of cases) {
    test(name, async () => {
      const xs = [2, 3, h, w];
      const x = Float64Array.from(Float32Array.from(randArray(rng, 6 * h * w)));
      const g = new GraphBuilder('bilinear32');
      const xv = g.input('x', 'float32', ['n', 3, h, w]);
      g.output('y', interpolate(xv, sf ? { scaleFactor: sf, mode: 'bilinear' } : { size: [ho, wo], mode: 'bilinear', alignCorners: align }));
      const out = await runGraph(g, { x: f32(xs, x) });
      expect(out.y!.shape).toEqual([2, 3, ho, wo]);
      expect(relErr(out.y!.data as Float32Array, bilinearRef(x, xs, ho, wo, align, sf ? [sf, sf] : undefined))).toBeLessThan(1e-6);
    });
  }
});

describe('nearest interpolate = torch upsample_nearest2d', () => {
  for (const [name, h, w, ho, wo] of [['integer 2x (ONNX Resize)', 4, 3, 8, 6], ['integer 3x2', 2, 3, 6, 6], ['non-integer', 5, 4, 7, 9], ['down', 8, 6, 3, 4]] as const) {
    test(name, async () => {
      const xs = [1, 2, h, w];
      const x = Float64Array.from(Float32Array.from(randArray(rng, 2 * h * w)));
      const g = new GraphBuilder('nearest');
      const xv = g.input('x', 'float32', xs);
      g.output('y', interpolate(xv, { size: [ho, wo] }));
      const out = await runGraph(g, { x: f32(xs, x) });
      expect(out.y!.shape).toEqual([1, 2, ho, wo]);
      expect(relErr(out.y!.data as Float32Array, nearestRef(x, xs, ho, wo))).toBe(0);
    });
  }
});
