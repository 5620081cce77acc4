// The 'bae' TaskNetworkV1 plugin: Bae et al.'s normal head with uncertainty-guided refinement and the UG_NLL_ours
// loss, as the official Diff-2-in-1 code trains it (training_1st_stage.py: Adam, lr 0.000357, batch 8, 50 epochs).
import { type Value, slice } from '@diff2in1/graph';
import { pickLevels } from '@diff2in1/feature-pyramid';
import { type BuildResult, type StepFeed, type TaskNetworkPluginV1, type TaskNetworkV1 } from '@diff2in1/heads';
import { Diff2in1Error, type Rng, Tensor, choices } from '@diff2in1/tensor';
import { ugNllLoss } from './compute-loss.js';
import { BAE_INPUT_STRIDES, BAE_LEVELS, type BaeChannels, Decoder, OFFICIAL_BAE_CHANNELS, SMALL_BAE_CHANNELS } from './decoder.js';
import { samplePerm } from './sample-points.js';

export const BAE_PRESETS: Readonly<Record<'official' | 'small', BaeChannels>> = { official: OFFICIAL_BAE_CHANNELS, small: SMALL_BAE_CHANNELS };

export interface BaeHyperParameters {
  /** Channel widths: upstream's ('official') or our CPU-demo variant ('small'); `channels` overrides. */
  preset: 'official' | 'small';
  channels?: BaeChannels;
  /** Fraction of a level's pixels refined in training (upstream 0.4) and the lowest-κ share of them (0.7). */
  samplingRatio: number;
  importanceRatio: number;
  /** The warm-up recipe of training_1st_stage.py (Bae et al.'s): Adam, lr 0.000357, batch 8, 50 epochs. */
  optimizer: 'adam';
  learningRate: number;
  batchSize: number;
  epochs: number;
}

export const BAE_DEFAULTS: Readonly<BaeHyperParameters> = {
  preset: 'official', samplingRatio: 0.4, importanceRatio: 0.7, optimizer: 'adam', learningRate: 0.000357, batchSize: 8, epochs: 50,
};

/** Graph input name of a refinement level's random draw. */
export const permInputName = (level: string): string => `bae.perm_${level}`;

/** A created 'bae' network, with its module typed as the Decoder. */
export type BaeNetwork = TaskNetworkV1<BaeHyperParameters> & { readonly module: Decoder };

/** baePlugin.create with the precise type. */
export function createBae(hp: Partial<BaeHyperParameters> = {}): BaeNetwork {
  const hyperParameters: BaeHyperParameters = { ...BAE_DEFAULTS, ...hp };
  if (!(hyperParameters.preset in BAE_PRESETS)) throw new Diff2in1Error('head-bae', `preset '${String(hyperParameters.preset)}' is unknown; ${choices(Object.keys(BAE_PRESETS))}`);
  const channels = hyperParameters.channels ?? BAE_PRESETS[hyperParameters.preset];
  const module = new Decoder(channels, hyperParameters.samplingRatio, hyperParameters.importanceRatio);
  const pyramid = { levels: BAE_INPUT_STRIDES.map((stride, i) => ({ stride, channels: channels.inputs[i]! })) };
  const net: BaeNetwork = {
    specVersion: 1, id: 'bae', tasks: ['normals'], hyperParameters, pyramid, module,
    stepFeeds(batch, opts) {
      if (opts.mode !== 'train') return [];
      return module.counts(opts.image).flatMap((c, i) => (c.coverage === 0 ? [] : [{
        name: permInputName(BAE_LEVELS[i + 1]!), dtype: 'int64' as const, shape: [batch, c.coverage], sample: (rng: Rng) => samplePerm(rng, batch, c),
      }]));
    },
    build(g, features, opts): BuildResult {
      const x = pickLevels('bae', features, pyramid).map((f) => f.value) as [Value, Value, Value, Value, Value];
      let feeds: StepFeed[] = [];
      let perms: (Value | undefined)[] = [];
      if (opts.mode === 'train') {
        const b = x[0].shape[0];
        if (typeof b !== 'number') throw new Diff2in1Error('head-bae', `train mode needs a static batch size; the stride-32 feature is ${x[0]}`);
        feeds = net.stepFeeds(b, opts);
        const byName = new Map(feeds.map((f) => [f.name, f]));
        perms = BAE_LEVELS.slice(1).map((l) => {
          const f = byName.get(permInputName(l));
          return f && (opts.feeds?.[f.name] ?? g.input(f.name, f.dtype, f.shape));
        });
      }
      const r = module.forward(x, opts.mode, { perms, validMask: opts.valid?.normals });
      const outputs: Record<string, Value> = {};
      r.outputs.forEach((v, i) => (outputs[`out_${BAE_LEVELS[i]}`] = v));
      r.samplePreds.forEach((v, i) => (outputs[`pred_${BAE_LEVELS[i + 1]}`] = v));
      r.samples.forEach((v, i) => (outputs[`samples_${BAE_LEVELS[i + 1]}`] = v));
      return { outputs, feeds };
    },
    loss(_g, outputs, targets, valid) {
      const need = (k: string): Value => outputs[k] ?? (() => { throw new Diff2in1Error('head-bae', `loss: output '${k}' is missing; the loss needs a build in 'train' mode (outputs: ${Object.keys(outputs).join(', ')})`); })();
      const gt = targets.normals ?? (() => { throw new Diff2in1Error('head-bae', 'loss: no normals target'); })();
      const mask = valid.normals ?? (() => { throw new Diff2in1Error('head-bae', 'loss: no normals valid mask'); })();
      const levels = ['res4', 'res2', 'res1'];
      return ugNllLoss({
        out8: need('out_res8'),
        samplePreds: levels.map((l) => need(`pred_${l}`)),
        samples: levels.map((l) => need(`samples_${l}`)),
        levels: levels.map((l) => need(`out_${l}`).shape.slice(2) as [number, number]),
        gt,
        valid: mask,
      });
    },
    postprocess(outputs) {
      const out = outputs.out_res1;
      if (!out || out.dtype !== 'float32' || out.rank !== 4 || out.shape[1] !== 4) throw new Diff2in1Error('head-bae', `postprocess needs 'out_res1' [N, 4, H, W] float32, got ${out ? String(out) : 'none'}`);
      const [n, , h, w] = out.shape as [number, number, number, number];
      const hw = h * w;
      const value = new Float32Array(n * 3 * hw);
      const kappa = new Float32Array(n * hw);
      const src = out.data as Float32Array;
      for (let i = 0; i < n; i++) {
        value.set(src.subarray(i * 4 * hw, (i * 4 + 3) * hw), i * 3 * hw);
        kappa.set(src.subarray((i * 4 + 3) * hw, (i * 4 + 4) * hw), i * hw);
      }
      return { normals: { value: new Tensor('float32', [n, 3, h, w], value), confidence: new Tensor('float32', [n, 1, h, w], kappa) } };
    },
  };
  return net;
}

export const baePlugin: TaskNetworkPluginV1<BaeHyperParameters> = {
  specVersion: 1,
  id: 'bae',
  description: "Bae et al. (ICCV 2021) normals + uncertainty (κ) with uncertainty-guided refinement, as in the official Diff-2-in-1 code",
  tasks: ['normals'],
  defaults: BAE_DEFAULTS,
  create: createBae,
};

/** xyz of a [N, 4, ...] output (graph side), e.g. for pseudo-labels inside a graph. */
export function normalsOf(out: Value): Value {
  return slice(out, { starts: [0], ends: [3], axes: [1] });
}
