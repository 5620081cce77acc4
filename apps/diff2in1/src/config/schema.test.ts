import { describe, expect, it } from 'vitest';
import { ConfigError, didYouMean, editDistance } from './errors.js';
import { fields } from './introspect.js';
import { listBuiltinConfigs, loadConfig, validateConfig } from './load.js';
import { MODES, configSchema } from './schema.js';

const RUN = '/tmp/run-x';

/** The single message of a config that must fail. */
function errorOf(raw: unknown): string {
  try {
    validateConfig(raw, { runDir: RUN });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('edit distance and suggestions', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3); // the classic example: k→s, e→i, +g
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('dif2in1', 'diff2in1')).toBe(1);
  });
  it('suggests only close candidates', () => {
    expect(didYouMean('dif2in1', MODES)).toBe('diff2in1');
    expect(didYouMean('lrr', ['lr', 'epochs'])).toBe('lr');
    expect(didYouMean('Alpha', ['alpha', 'K'])).toBe('alpha');
    expect(didYouMean('zzzzzz', ['lr', 'epochs'])).toBeUndefined();
    expect(didYouMean('synth', ['real', 'synthetic'])).toBe('synthetic'); // a prefix
  });
});

describe('configs/ pass validation', () => {
  it('finds the three shipped configs', () => {
    expect(listBuiltinConfigs()).toEqual(expect.arrayContaining(['ci-demo', 'demo', 'nyuv2-bae']));
  });
  for (const name of ['demo', 'ci-demo', 'nyuv2-bae']) {
    it(`${name} validates`, () => {
      const { config } = loadConfig({ file: name, cwd: '/tmp' });
      expect(config.run.dir).toBe(`/tmp/runs/${name}`);
    });
  }
  it('nyuv2-bae holds the paper / official-code hyper-parameters', () => {
    const { config: c } = loadConfig({ file: 'nyuv2-bae', cwd: '/tmp' });
    expect(c.data).toMatchObject({ source: 'nyuv2', resize: 'official-512', imageSize: { height: 512, width: 512 }, counts: { train: 795, test: 654 } });
    expect(c.warmup).toMatchObject({ epochs: 50, batchSize: 8, optimizer: 'adam', lr: 3.57e-4 });
    expect(c.synthesis).toMatchObject({ mode: 'partial', T: 600, steps: 50, scheduler: 'ddim', eta: 0, guidanceScale: 1, maxSamples: 500 });
    expect(c.selfImprove).toMatchObject({ mode: 'diff2in1', K: 40, alpha: 0.998, batchSize: 4, mixing: 'pool', lr: 3.57e-4 });
    expect(c.backbone).toMatchObject({ timestep: 0, prompt: '', taps: 'all' });
  });
  it('ci-demo inherits from demo and shortens every stage', () => {
    const { config: c, files } = loadConfig({ file: 'ci-demo', cwd: '/tmp' });
    expect(files.map((f) => f.split('/').pop())).toEqual(['ci-demo.json', 'demo.json']);
    expect(c.caption.captioner).toBe('scene'); // from demo
    expect(c.warmup.iterations).toBeLessThanOrEqual(10);
    expect(c.selfImprove.iterations).toBeLessThanOrEqual(10);
    expect(c.synthesis.maxSamples).toBeLessThanOrEqual(10);
  });
});

describe('defaults (an empty config)', () => {
  const c = validateConfig({}, { runDir: RUN });
  it('fill the paper / official-code values', () => {
    expect(c.run).toEqual({ seed: 42, device: 'auto', threads: 0, dir: RUN });
    expect(c.data.counts).toEqual({ train: 200, test: 100 });
    expect(c.warmup.epochs).toBe(50);
    expect(c.synthesis.T).toBe(600);
    expect(c.synthesis.seed).toBe(42);
    expect(c.selfImprove.epochs).toBe(50);
  });
  it('self-improving continues the warm-up scheme unless told otherwise (paper A.3)', () => {
    const d = validateConfig({ warmup: { lr: 1e-3, optimizer: 'adamw', weightDecay: 0.01 } }, { runDir: RUN });
    expect(d.selfImprove).toMatchObject({ lr: 1e-3, optimizer: 'adamw', weightDecay: 0.01 });
    const e = validateConfig({ warmup: { lr: 1e-3 }, selfImprove: { lr: 5e-4 } }, { runDir: RUN });
    expect(e.selfImprove.lr).toBe(5e-4);
  });
  it('synthesis follows the mode: GNA denoises from noise (no T)', () => {
    const g = validateConfig({ selfImprove: { mode: 'gna' } }, { runDir: RUN });
    expect(g.synthesis.mode).toBe('noise');
    expect(g.synthesis.T).toBeUndefined();
  });
});

describe('each kind of bad field gives a message naming the path and what is allowed', () => {
  it('enum value, with a suggestion', () => {
    expect(errorOf({ selfImprove: { mode: 'dif2in1' } })).toBe(
      'selfImprove.mode: expected one of diff2in1, gna, da-fusion, warmup-only, got "dif2in1" (did you mean "diff2in1"?)',
    );
  });
  it('unknown field, with a suggestion and the allowed fields', () => {
    const m = errorOf({ warmup: { lrr: 0.1 } });
    expect(m).toMatch(/^warmup\.lrr: unknown field \(did you mean "lr"\?\); warmup fields are: epochs, iterations, batchSize, optimizer, lr,/);
  });
  it('unknown top-level section', () => {
    expect(errorOf({ selfimprove: {} })).toMatch(/^selfimprove: unknown field \(did you mean "selfImprove"\?\); top-level fields are: description, run, data,/);
  });
  it('wrong type', () => {
    expect(errorOf({ warmup: { batchSize: '8' } })).toBe('warmup.batchSize: expected an integer ≥ 1, got "8"');
    expect(errorOf({ backbone: { fp16: 1 } })).toBe('backbone.fp16: expected true or false, got 1');
  });
  it('out of range', () => {
    expect(errorOf({ selfImprove: { alpha: 1.5 } })).toBe('selfImprove.alpha: must be < 1, got 1.5');
    expect(errorOf({ synthesis: { T: 0 } })).toBe('synthesis.T: must be ≥ 1, got 0');
    expect(errorOf({ warmup: { batchSize: 2.5 } })).toMatch(/^warmup\.batchSize: /);
  });
  it('lists: element path and an empty list', () => {
    expect(errorOf({ data: { tasks: ['normals', 'dpeth'] } })).toBe(
      'data.tasks[1]: expected one of normals, depth, semseg, parts, saliency, got "dpeth" (did you mean "depth"?)',
    );
    expect(errorOf({ data: { tasks: [] } })).toBe('data.tasks: needs at least 1 item, got 0');
  });
  it('unions: a wrong literal lists the options; an object is checked field by field', () => {
    expect(errorOf({ selfImprove: { mixing: 'pol' } })).toBe('selfImprove.mixing: expected "pool" or an object { real, synthetic }, got "pol"');
    expect(errorOf({ selfImprove: { mixing: { real: 2 } } })).toBe('selfImprove.mixing.synthetic: is required (an integer ≥ 0)');
    expect(errorOf({ selfImprove: { mixing: { real: 2, synth: 2 } } }).split('\n')).toContain(
      'selfImprove.mixing.synth: unknown field (did you mean "synthetic"?); selfImprove.mixing fields are: real, synthetic',
    );
  });
  it('pattern', () => {
    expect(errorOf({ head: { id: 'Bae Head' } })).toBe('head.id: expected a plugin id such as "bae", got "Bae Head"');
  });
  it('several problems are all listed, one per line', () => {
    const m = errorOf({ run: { device: 'gpu' }, warmup: { lr: -1 } });
    expect(m.split('\n')).toEqual(['invalid config:', 'run.device: expected one of auto, cpu, cuda, webgpu, got "gpu" (did you mean "cpu"?)', 'warmup.lr: must be > 0, got -1']);
  });
});

describe('cross-field rules', () => {
  it('data.path is required for real datasets', () => {
    expect(errorOf({ data: { source: 'nyuv2' } })).toBe('data.path: is required when data.source is "nyuv2" (the dataset folder)');
  });
  it('official-512 needs a 512×512 image size', () => {
    expect(errorOf({ data: { resize: 'official-512' } })).toMatch(/^data\.imageSize: resize "official-512" resizes to 512×512/);
  });
  it('exactly one of epochs / iterations', () => {
    expect(errorOf({ warmup: { epochs: 2, iterations: 10 } })).toBe(
      'warmup.iterations: give either warmup.epochs or warmup.iterations, not both (set one to null to drop an inherited value)',
    );
  });
  it('mode and synthesis mode must agree', () => {
    expect(errorOf({ selfImprove: { mode: 'gna' }, synthesis: { mode: 'partial' } })).toMatch(/^synthesis\.mode: selfImprove\.mode "gna" generates from Gaussian noise: "noise", got "partial"/);
  });
  it('the official adapter needs all taps', () => {
    expect(errorOf({ adapter: { variant: 'official' } })).toMatch(/^adapter\.variant: "official" \(sn_module\.py\) reads every tapped UNet block: set backbone\.taps to "all"/);
  });
  it('captioner specs', () => {
    expect(errorOf({ caption: { captioner: 'blip:/m' } })).toMatch(/^caption\.captioner: expected one of none, scene, dataset, template:<text>, transformers:<dir>, blip2:<dir>, got "blip:\/m" \(did you mean "blip2"\?\)/);
    expect(errorOf({ data: { source: 'folder', path: '/d' }, caption: { captioner: 'scene' } })).toMatch(/^caption\.captioner: "scene" captions come from toyworld/);
  });
  it('mixing must add up to the batch; confidence masking needs a threshold', () => {
    expect(errorOf({ selfImprove: { mixing: { real: 2, synthetic: 4 } } })).toBe('selfImprove.mixing: real + synthetic = 6 must equal selfImprove.batchSize = 4');
    expect(errorOf({ selfImprove: { confidenceMask: { enabled: true } } })).toMatch(/^selfImprove\.confidenceMask\.threshold: is required when confidenceMask\.enabled is true/);
  });
  it('eval metrics must belong to the tasks', () => {
    expect(errorOf({ eval: { metrics: ['mean', 'meen'] } })).toMatch(/^eval\.metrics\[1\]: expected one of within\.11\.25, .*, got "meen" \(did you mean "mean"\?\)/);
  });
});

describe('introspection', () => {
  it('lists every leaf field, including union object options', () => {
    const paths = fields(configSchema, 'selfImprove').map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['selfImprove.mode', 'selfImprove.mixing', 'selfImprove.mixing.real', 'selfImprove.mixing.synthetic', 'selfImprove.confidenceMask.threshold']));
    expect(paths).not.toContain('selfImprove.confidenceMask');
  });
});
