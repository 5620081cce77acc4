// The spec package on its own: registry rules, target feeds, and the conformance suite — which must pass a
// correct toy head and name the fault of each broken variant.
import { describe, expect, test } from 'vitest';
import { Conv2d, GraphBuilder, Module, abs, interpolate, maskedMean, mul, sub } from '@diff2in1/graph';
import { pickLevels } from '@diff2in1/feature-pyramid';
import { Tensor } from '@diff2in1/tensor';
import { runConformance } from './conformance.js';
import { getTaskNetwork, listTaskNetworks, registerTaskNetwork, unregisterTaskNetwork } from './registry.js';
import { type TaskNetworkPluginV1, type TaskNetworkV1, targetInputs } from './spec.js';
import { targetFeeds } from './target-feeds.js';

interface ToyHP {
  channels: number;
  /** Fault injection for the suite's own tests. */
  fault?: 'unused-param' | 'dead-gradient' | 'wrong-size';
}

class ToyModule extends Module {
  readonly head: Conv2d;
  readonly spare: Conv2d | undefined;
  constructor(c: number, fault?: ToyHP['fault']) {
    super();
    this.head = this.addModule('head', new Conv2d(c, 1, 1));
    this.spare = fault === 'unused-param' ? this.addModule('spare', new Conv2d(c, 1, 1)) : undefined;
  }
}

/** A depth head: 1×1 conv on the stride-2 level, bilinear ×2, masked L1. */
function toyPlugin(id: string): TaskNetworkPluginV1<ToyHP> {
  const plugin: TaskNetworkPluginV1<ToyHP> = {
    specVersion: 1,
    id,
    description: 'toy depth head (tests)',
    tasks: ['depth'],
    defaults: { channels: 4 },
    create(hp = {}) {
      const hyperParameters = { ...plugin.defaults, ...hp };
      const module = new ToyModule(hyperParameters.channels, hyperParameters.fault);
      const pyramid = { levels: [{ stride: 2, channels: hyperParameters.channels }] };
      const net: TaskNetworkV1<ToyHP> = {
        specVersion: 1, id, tasks: plugin.tasks, hyperParameters, pyramid, module,
        stepFeeds: () => [],
        build(g, features, opts) {
          const [f] = pickLevels(id, features, pyramid);
          let y = module.head.forward(f!.value);
          if (hyperParameters.fault === 'dead-gradient') y = mul(y, 0);
          const size: [number, number] = hyperParameters.fault === 'wrong-size' ? [opts.image[0] - 1, opts.image[1]] : [opts.image[0], opts.image[1]];
          return { outputs: { depth: interpolate(y, { size, mode: 'bilinear' }) }, feeds: [] };
        },
        loss(_g, outputs, targets, valid) {
          return maskedMean(abs(sub(outputs.depth!, targets.depth!)), valid.depth!);
        },
        postprocess(outputs) {
          return { depth: { value: outputs.depth as Tensor<'float32'> } };
        },
      };
      return net;
    },
  };
  return plugin;
}

describe('registry', () => {
  test('register, look up, list; errors list the registered ids', () => {
    const a = toyPlugin('toy-a');
    registerTaskNetwork(a);
    registerTaskNetwork(a); // same object again: a no-op
    expect(getTaskNetwork('toy-a')).toBe(a);
    expect(listTaskNetworks().map((p) => p.id)).toContain('toy-a');
    expect(() => registerTaskNetwork(toyPlugin('toy-a'))).toThrow(/'toy-a' is already registered \(toy depth head \(tests\)\); pass \{ replace: true \}/);
    registerTaskNetwork(toyPlugin('toy-a'), { replace: true });
    expect(getTaskNetwork('toy-a')).not.toBe(a);
    expect(() => getTaskNetwork('nope')).toThrow(/no task network 'nope' is registered; one of: .*toy-a.*import '@diff2in1\/head-bae'/);
    expect(() => registerTaskNetwork({ ...a, id: 'Bad Id' })).toThrow(/plugin id 'Bad Id' is not valid/);
    expect(() => registerTaskNetwork({ ...a, specVersion: 2 as 1 })).toThrow(/specVersion 2 is not supported/);
    expect(unregisterTaskNetwork('toy-a')).toBe(true);
    expect(() => getTaskNetwork('toy-a')).toThrow(/no task network 'toy-a'/);
  });
});

describe('targets', () => {
  test('targetInputs declares target/valid inputs; targetFeeds batches labels to match', () => {
    const g = new GraphBuilder('targets');
    const { targets, valid } = targetInputs(g, ['normals', 'semseg'], 2, [3, 4]);
    expect(targets.normals!.shape).toEqual([2, 3, 3, 4]);
    expect(targets.semseg!.dtype).toBe('int64');
    expect(valid.semseg!.shape).toEqual([2, 1, 3, 4]);
    const normals = (k: number) => ({ value: new Tensor('float32', [3, 3, 4], Float32Array.from({ length: 36 }, (_, i) => i + 100 * k)), valid: new Tensor('bool', [3, 4], Uint8Array.from({ length: 12 }, (_, i) => (i + k) % 2)) });
    const semseg = (k: number) => ({ value: new Tensor('int32', [3, 4], Int32Array.from({ length: 12 }, (_, i) => i * k)), valid: new Tensor('bool', [3, 4], new Uint8Array(12).fill(1)) });
    const feeds = targetFeeds(['normals', 'semseg'], [{ normals: normals(0), semseg: semseg(1) }, { normals: normals(1), semseg: semseg(2) }]);
    expect(feeds['target.normals']!.shape).toEqual([2, 3, 3, 4]);
    expect(feeds['target.normals']!.data[36]).toBe(100);
    expect(Array.from(feeds['valid.normals']!.data as Float32Array).slice(10, 14)).toEqual([0, 1, 1, 0]);
    expect(feeds['target.semseg']!.data[12 + 5]).toBe(10n);
    expect(() => targetFeeds(['depth'], [{}])).toThrow(/sample 0 has no 'depth' label/);
  });
});

describe('conformance suite', () => {
  test('a correct head passes every check', async () => {
    const report = await runConformance(toyPlugin('toy-ok'), { image: [8, 12], stateKeys: ['head.weight', 'head.bias'] });
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      'spec', 'registry', 'eval: builds, runs, finite outputs, postprocess gives every task at image size',
      'train: finite scalar loss, gradients reach every trainable parameter', 'state: round-trips through safetensors by name',
    ]);
    expect(getTaskNetwork('toy-ok').id).toBe('toy-ok');
    unregisterTaskNetwork('toy-ok');
  });

  test.each([
    ['unused-param', /parameters never read by the train graph: spare.weight, spare.bias/],
    ['dead-gradient', /no gradient reached head.weight, head.bias in 3 random batches/],
    ['wrong-size', /'depth' prediction is \[2,1,7,12\], expected \[2,1,8,12\]/],
  ] as const)('fault %s is reported', async (fault, message) => {
    const report = await runConformance(toyPlugin('toy-bad'), { image: [8, 12], hyperParameters: { fault }, register: false, throwOnFailure: false });
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.detail).join('\n')).toMatch(message);
    await expect(runConformance(toyPlugin('toy-bad'), { image: [8, 12], hyperParameters: { fault }, register: false })).rejects.toThrow(/fails TaskNetworkV1 conformance/);
  });

  test('expected state keys are compared', async () => {
    const report = await runConformance(toyPlugin('toy-keys'), { image: [4, 4], stateKeys: ['head.weight', 'head.bias', 'head.extra'], register: false, throwOnFailure: false });
    expect(report.checks.find((c) => c.name.startsWith('state'))!.detail).toMatch(/extra -; missing head.extra/);
  });
});
