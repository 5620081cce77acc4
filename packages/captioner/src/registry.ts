// createCaptioner(spec): one string picks a captioner (CLI flags, config files).
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Captioner } from './captioner.js';
import type { Blip2CaptionerOptions } from './blip2/blip2-captioner.js';
import { blip2Captioner } from './blip2/blip2-captioner.js';
import { sceneCaptioner } from './scene-captioner.js';
import { noneCaptioner, templateCaptioner } from './simple-captioners.js';
import type { TransformersCaptionerOptions } from './transformers-captioner.js';
import { transformersCaptioner } from './transformers-captioner.js';

/** The spec forms createCaptioner accepts. */
export const CAPTIONER_KINDS = [
  'none',
  'template:<text>',
  'scene[:<dataset dir or captions.json>]',
  'transformers:<local model dir>',
  'blip2:<local transformers folder of Salesforce/blip2-opt-*>',
] as const;

/** Options for every kind; each kind reads the ones it knows. */
export interface CreateCaptionerOptions extends TransformersCaptionerOptions, Omit<Blip2CaptionerOptions, 'device' | 'maxNewTokens'> {
  /** Dataset folder, used by a bare 'scene' spec (its captions.json holds the ground truth). */
  datasetDir?: string;
}

function kindsList(): string {
  return CAPTIONER_KINDS.map((k) => `'${k}'`).join(', ');
}

/** Builds a captioner from a spec such as 'none', 'template:a photo of a room', 'transformers:./models/vit-gpt2'. */
export async function createCaptioner(spec: string, opts: CreateCaptionerOptions = {}): Promise<Captioner> {
  if (typeof spec !== 'string' || spec.length === 0) {
    throw new Diff2in1Error('captioner', `empty captioner spec; valid kinds: ${kindsList()}`);
  }
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? undefined : spec.slice(colon + 1);
  switch (kind) {
    case 'none':
      if (arg !== undefined) throw new Diff2in1Error('captioner', `'none' takes no argument (got '${spec}')`);
      return noneCaptioner();
    case 'template':
      if (arg === undefined) throw new Diff2in1Error('captioner', "'template' needs a text: 'template:<text>'");
      return templateCaptioner(arg);
    case 'scene': {
      const source = arg || opts.datasetDir;
      if (!source) throw new Diff2in1Error('captioner', "'scene' needs the dataset: 'scene:<dataset dir or captions.json>' or opts.datasetDir");
      return sceneCaptioner(source);
    }
    case 'transformers':
      if (!arg) throw new Diff2in1Error('captioner', "'transformers' needs a local model folder: 'transformers:<dir>'");
      return transformersCaptioner(arg, opts);
    case 'blip2': {
      if (!arg) throw new Diff2in1Error('captioner', "'blip2' needs a local transformers folder: 'blip2:<dir>'");
      const { dtype: _dtype, datasetDir: _datasetDir, ...rest } = opts;
      return blip2Captioner(arg, rest);
    }
    default:
      throw new Diff2in1Error('captioner', `unknown captioner kind '${kind}'; valid kinds: ${kindsList()}`);
  }
}
