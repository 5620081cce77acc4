// Cross-field rules and defaults that depend on other fields. Runs after the schema has parsed the config, so
// every field has its type here; problems are reported in the same "path: message" form as schema issues.
import type { ConfigIssue } from './errors.js';
import { ConfigError, didYouMean } from './errors.js';
import type { Mode, ParsedConfig } from './schema.js';
import { TASK_METRICS } from '../metric-columns.js';

type Req<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: Exclude<T[P], undefined> };

/** The resolved configuration every stage receives (config.resolved.json in the run directory). */
export type Diff2in1Config = Omit<ParsedConfig, 'run' | 'synthesis' | 'selfImprove'> & {
  run: Req<ParsedConfig['run'], 'dir'>;
  synthesis: Req<ParsedConfig['synthesis'], 'mode' | 'seed'>;
  selfImprove: Req<ParsedConfig['selfImprove'], 'lr' | 'optimizer' | 'weightDecay'>;
};

/** Paper appendix A.2 captioners, plus 'scene' (toyworld's exact text) and 'dataset' (the official repo's caption/*.txt). */
export const CAPTIONER_KINDS = ['none', 'scene', 'dataset', 'template:<text>', 'transformers:<dir>', 'blip2:<dir>'] as const;

export interface CaptionerSpec {
  kind: 'none' | 'scene' | 'dataset' | 'template' | 'transformers' | 'blip2';
  /** The text of template:, the folder of transformers: / blip2:. */
  arg?: string;
}

/** Parses a caption.captioner string; undefined when it is not one of CAPTIONER_KINDS. */
export function parseCaptioner(spec: string): CaptionerSpec | undefined {
  if (spec === 'none' || spec === 'scene' || spec === 'dataset') return { kind: spec };
  const m = /^(template|transformers|blip2):(.*)$/s.exec(spec);
  if (!m) return undefined;
  const kind = m[1] as 'template' | 'transformers' | 'blip2';
  if (kind !== 'template' && m[2]!.trim() === '') return undefined;
  return { kind, arg: m[2]! };
}

/** Synthesis mode each self-improving mode needs (paper §5.1: GNA denoises from Gaussian noise). */
const SYNTHESIS_FOR_MODE: Record<Mode, 'partial' | 'noise' | undefined> = {
  diff2in1: 'partial',
  'da-fusion': 'partial',
  gna: 'noise',
  'warmup-only': undefined,
};

function exactlyOne(issues: ConfigIssue[], section: string, a: string, b: string, av: unknown, bv: unknown): void {
  if (av !== undefined && bv !== undefined) {
    issues.push({ path: [section, b], message: `give either ${section}.${a} or ${section}.${b}, not both (set one to null to drop an inherited value)` });
  }
}

/**
 * Checks cross-field rules and fills dependent defaults. `runDir` is the run directory the loader chose when the
 * config names none. Throws ConfigError listing every problem.
 */
export function finalizeConfig(parsed: ParsedConfig, runDir: string, file?: string): Diff2in1Config {
  const issues: ConfigIssue[] = [];
  const { data, backbone, adapter, warmup, caption, synthesis, selfImprove } = parsed;

  // data
  if (data.source !== 'toyworld' && data.path === undefined) {
    issues.push({ path: ['data', 'path'], message: `is required when data.source is "${data.source}" (the dataset folder)` });
  }
  if (data.resize === 'official-512' && (data.imageSize.height !== 512 || data.imageSize.width !== 512)) {
    issues.push({ path: ['data', 'imageSize'], message: `resize "official-512" resizes to 512×512 (ldm/data/nyu.py); set data.imageSize to { "height": 512, "width": 512 }, got ${data.imageSize.height}×${data.imageSize.width}` });
  }
  // Issue 6: toyworld at 200 train / 100 test by default.
  const counts = data.counts ?? (data.source === 'toyworld' ? { train: 200, test: 100 } : undefined);

  // backbone / adapter
  if (adapter.variant === 'official' && backbone.taps !== 'all') {
    issues.push({ path: ['adapter', 'variant'], message: `"official" (sn_module.py) reads every tapped UNet block: set backbone.taps to "all", got "${backbone.taps}"` });
  }

  // warm-up length: training_1st_stage.py --epoch 50 unless iterations are given.
  exactlyOne(issues, 'warmup', 'epochs', 'iterations', warmup.epochs, warmup.iterations);
  const warmupOut = { ...warmup, epochs: warmup.epochs ?? (warmup.iterations === undefined ? 50 : undefined) };

  // caption
  const cap = parseCaptioner(caption.captioner);
  if (!cap) {
    const guess = didYouMean(caption.captioner.split(':')[0]!, ['none', 'scene', 'dataset', 'template', 'transformers', 'blip2']);
    issues.push({ path: ['caption', 'captioner'], message: `expected one of ${CAPTIONER_KINDS.join(', ')}, got ${JSON.stringify(caption.captioner)}${guess ? ` (did you mean "${guess}"?)` : ''}` });
  } else if (cap.kind === 'scene' && data.source !== 'toyworld') {
    issues.push({ path: ['caption', 'captioner'], message: `"scene" captions come from toyworld's scene description; data.source is "${data.source}" — use blip2:<dir>, transformers:<dir>, dataset, template:<text> or none` });
  }

  // synthesis: mode follows selfImprove.mode unless given; a contradiction is an error.
  const wanted = SYNTHESIS_FOR_MODE[selfImprove.mode];
  if (synthesis.mode !== undefined && wanted !== undefined && synthesis.mode !== wanted) {
    issues.push({ path: ['synthesis', 'mode'], message: `selfImprove.mode "${selfImprove.mode}" generates ${wanted === 'noise' ? 'from Gaussian noise: "noise"' : 'from partially noised real images: "partial"'}, got "${synthesis.mode}" (leave synthesis.mode unset to follow selfImprove.mode)` });
  }
  const synthMode = synthesis.mode ?? wanted ?? 'partial';
  exactlyOne(issues, 'synthesis', 'T', 'strength', synthesis.T, synthesis.strength);
  // data_creation.py: t = 600.
  const T = synthesis.T ?? (synthesis.strength === undefined && synthMode === 'partial' ? 600 : undefined);
  if (synthMode === 'noise' && (synthesis.T !== undefined || synthesis.strength !== undefined)) {
    issues.push({ path: ['synthesis', synthesis.T !== undefined ? 'T' : 'strength'], message: 'only applies to synthesis.mode "partial"; "noise" starts from pure Gaussian noise' });
  }
  if (synthesis.guidanceScale === 1 && synthesis.negativePrompt !== '') {
    issues.push({ path: ['synthesis', 'negativePrompt'], message: 'has no effect with synthesis.guidanceScale 1 (no classifier-free guidance); raise guidanceScale or drop it' });
  }

  // self-improving: length, θE's training scheme from warm-up (paper appendix A.3), mixing, confidence masking.
  exactlyOne(issues, 'selfImprove', 'epochs', 'iterations', selfImprove.epochs, selfImprove.iterations);
  if (typeof selfImprove.mixing === 'object') {
    const { real, synthetic } = selfImprove.mixing;
    if (real + synthetic !== selfImprove.batchSize) {
      issues.push({ path: ['selfImprove', 'mixing'], message: `real + synthetic = ${real + synthetic} must equal selfImprove.batchSize = ${selfImprove.batchSize}` });
    }
    if (synthetic === 0 && selfImprove.mode !== 'warmup-only') {
      issues.push({ path: ['selfImprove', 'mixing', 'synthetic'], message: `is 0: no synthetic data would be used in mode "${selfImprove.mode}"` });
    }
  }
  if (selfImprove.confidenceMask.enabled && selfImprove.confidenceMask.threshold === undefined) {
    issues.push({ path: ['selfImprove', 'confidenceMask', 'threshold'], message: "is required when confidenceMask.enabled is true (in the head's confidence units; head-bae: κ)" });
  }

  // eval metrics must belong to the tasks.
  const known = [...new Set(data.tasks.flatMap((t) => TASK_METRICS[t].map((c) => c.key)))];
  parsed.eval.metrics.forEach((m, i) => {
    if (!known.includes(m)) {
      const guess = didYouMean(m, known);
      issues.push({ path: ['eval', 'metrics', i], message: `expected one of ${known.join(', ')} (metrics of ${data.tasks.join(', ')}), got ${JSON.stringify(m)}${guess ? ` (did you mean "${guess}"?)` : ''}` });
    }
  });

  if (issues.length) throw new ConfigError(issues, file);
  return {
    ...parsed,
    run: { ...parsed.run, dir: parsed.run.dir ?? runDir },
    data: { ...data, counts },
    warmup: warmupOut,
    synthesis: { ...synthesis, mode: synthMode, T, seed: synthesis.seed ?? parsed.run.seed },
    selfImprove: {
      ...selfImprove,
      epochs: selfImprove.epochs ?? (selfImprove.iterations === undefined ? 50 : undefined), // training_2nd_stage.py --epoch 50
      lr: selfImprove.lr ?? warmup.lr,
      optimizer: selfImprove.optimizer ?? warmup.optimizer,
      weightDecay: selfImprove.weightDecay ?? warmup.weightDecay,
    },
  };
}
