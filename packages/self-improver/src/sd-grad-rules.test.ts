import { describe, expect, test } from 'vitest';
import { GroupNorm as SdGroupNorm } from '@diff2in1/backbone-sd';
import { GraphBuilder, grad, groupNorm, initParameters, interpolate, mul, reduceSum, serialize } from '@diff2in1/graph';
import { createSession } from '@diff2in1/runtime';
import { Rng, Tensor } from '@diff2in1/tensor';
import { nearestResize } from '@diff2in1/backbone-sd';
import './sd-grad-rules.js';

describe('InstanceNormalization gradient (backbone-sd GroupNorm)', () => {
  test.each([[4, 8, [5, 6]], [2, 6, [3]], [8, 16, [4, 4]]] as const)('groups %i, channels %i, spatial %j: equal to graph groupNorm (LayerNormalization, FD-tested rule)', async (groups, c, spatial) => {
    const rng = new Rng(groups * 100 + c);
    const shape = [2, c, ...spatial];
    const x = new Tensor('float32', shape);
    rng.fillNormal(x.data, 0.3, 2);
    const w = new Tensor('float32', [c]);
    rng.fillNormal(w.data);
    const b = new Tensor('float32', [c]);
    rng.fillNormal(b.data);
    const seed = new Tensor('float32', shape);
    rng.fillNormal(seed.data);
    const sd = new SdGroupNorm(groups, c, 1e-5);
    initParameters(sd, rng);
    sd.weight.data = w;
    sd.bias.data = b;
    const g = new GraphBuilder('gn-grad', { params: 'input' });
    const xv = g.input('x', 'float32', shape);
    const sv = g.input('seed', 'float32', shape);
    const wv = g.input('w', 'float32', [c]);
    const bv = g.input('b', 'float32', [c]);
    const ours = sd.forward(xv);
    const lossA = reduceSum(mul(ours, sv));
    const lossB = reduceSum(mul(groupNorm(xv, groups, wv, bv, 1e-5), sv));
    const [ax, aw, ab] = grad(lossA, [xv, g.param(sd.weight), g.param(sd.bias)]);
    const [bx, bw, bb] = grad(lossB, [xv, wv, bv]);
    for (const [k, v] of Object.entries({ ax, aw, ab, bx, bw, bb, ya: ours })) g.output(k, v!);
    const s = await createSession(serialize(g), { device: 'cpu', intraOpThreads: 1 });
    const out = await s.run({ x, seed, w, b, weight: w, bias: b }); // the SD module's params are inputs named as its state_dict
    await s.release();
    for (const [a, bName] of [['ax', 'bx'], ['aw', 'bw'], ['ab', 'bb']] as const) {
      const A = out[a]!.data as Float32Array, B = out[bName]!.data as Float32Array;
      let scale = 0, diff = 0;
      for (let i = 0; i < A.length; i++) {
        scale = Math.max(scale, Math.abs(B[i]!));
        diff = Math.max(diff, Math.abs(A[i]! - B[i]!));
      }
      expect(diff / scale, a).toBeLessThan(2e-5);
    }
  });
});

describe('nearest Resize gradient (backbone-sd Upsample2D)', () => {
  test('equal to graph interpolate(nearest, ×2) and its block-sum rule', async () => {
    const rng = new Rng(9);
    const x = new Tensor('float32', [2, 3, 4, 5]);
    rng.fillNormal(x.data);
    const seed = new Tensor('float32', [2, 3, 8, 10]);
    rng.fillNormal(seed.data);
    const g = new GraphBuilder('resize-grad');
    const xv = g.input('x', 'float32', x.shape);
    const sv = g.input('seed', 'float32', seed.shape);
    const [a] = grad(reduceSum(mul(nearestResize(xv), sv)), [xv]);
    const [b] = grad(reduceSum(mul(interpolate(xv, { scaleFactor: 2, mode: 'nearest' }), sv)), [xv]);
    g.output('a', a!);
    g.output('b', b!);
    const s = await createSession(serialize(g), { device: 'cpu', intraOpThreads: 1 });
    const out = await s.run({ x, seed });
    await s.release();
    expect(Array.from(out.a!.data as Float32Array)).toEqual(Array.from(out.b!.data as Float32Array));
    // hand check: d/dx[0,0,0,0] = seed[0,0,0,0] + seed[0,0,0,1] + seed[0,0,1,0] + seed[0,0,1,1]
    expect(out.a!.data[0]).toBeCloseTo(seed.data[0]! + seed.data[1]! + seed.data[10]! + seed.data[11]!, 5);
  });
});
