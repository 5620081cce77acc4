// Checks that must pass before stages run but not when a config is merely validated: placeholders the user has
// to replace (configs/nyuv2-bae.json ships with "<path to ...>" values) and paths that must exist. Only the
// sections the stages about to run read are checked, so `diff2in1 report` works without the SD weights.
import { existsSync, statSync } from 'node:fs';
import type { ConfigIssue } from './errors.js';
import { ConfigError } from './errors.js';
import type { Diff2in1Config } from './finalize.js';
import { parseCaptioner } from './finalize.js';
import { isPlaceholder } from './json-tree.js';
import type { ConfigSection } from './schema.js';

function walk(v: unknown, path: PropertyKey[], out: { path: PropertyKey[]; value: string }[]): void {
  if (typeof v === 'string') {
    if (isPlaceholder(v)) out.push({ path, value: v });
  } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k], out);
}

/** Every placeholder string ("<...>") in the config, with its path. */
export function findPlaceholders(config: unknown): { path: PropertyKey[]; value: string }[] {
  const out: { path: PropertyKey[]; value: string }[] = [];
  walk(config, [], out);
  return out;
}

const EXAMPLES: Record<string, string> = {
  'data.path': '--set data.path=/data/nyu',
  'backbone.model': '--set backbone.model=/models/stable-diffusion-v1-5',
  'caption.captioner': '--set caption.captioner=blip2:/models/blip2-opt-2.7b',
};

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** Throws ConfigError listing placeholders and missing folders in the given sections. */
export function checkRunnable(config: Diff2in1Config, sections: readonly ConfigSection[], file?: string): void {
  const used = new Set<string>(sections);
  const issues: ConfigIssue[] = [];
  for (const p of findPlaceholders(config)) {
    if (!used.has(String(p.path[0]))) continue;
    const key = p.path.map(String).join('.');
    const ex = EXAMPLES[key] ? ` (e.g. ${EXAMPLES[key]})` : '';
    // A placeholder inside a spec (blip2:<...>) is reported on the whole field.
    issues.push({ path: p.path, message: `still the placeholder ${JSON.stringify(p.value)}; set it in the config or with --set ${key}=...${ex}` });
  }
  const placeholderAt = (k: string): boolean => issues.some((i) => i.path.map(String).join('.') === k);
  if (used.has('data') && config.data.path !== undefined && !placeholderAt('data.path') && !isDir(config.data.path)) {
    issues.push({ path: ['data', 'path'], message: `folder not found: ${config.data.path}` });
  }
  const model = config.backbone.model;
  if (used.has('backbone') && model !== 'tiny' && !placeholderAt('backbone.model') && !isDir(model)) {
    issues.push({ path: ['backbone', 'model'], message: `folder not found: ${model} (expected "tiny", a diffusers Stable Diffusion v1-5 folder with unet/, vae/, text_encoder/, tokenizer/, or an ONNX export folder)` });
  }
  const cap = parseCaptioner(config.caption.captioner);
  if (used.has('caption') && cap?.arg !== undefined && (cap.kind === 'blip2' || cap.kind === 'transformers')) {
    const inner = cap.arg.trim();
    if (/^<[^<>]*>$/.test(inner)) {
      issues.push({ path: ['caption', 'captioner'], message: `still the placeholder ${JSON.stringify(config.caption.captioner)}; set it (e.g. ${EXAMPLES['caption.captioner']})` });
    } else if (!isDir(inner)) issues.push({ path: ['caption', 'captioner'], message: `${cap.kind} model folder not found: ${inner}` });
  }
  if (issues.length) throw new ConfigError(issues, file);
}
