// The one place where checkpoint names differ from the module names: diffusers < 0.14 saved the VAE mid-block
// attention as `query` / `key` / `value` / `proj_attn` (SD v1-5's published VAE weights still use them);
// diffusers v0.25 renames them on load (`ModelMixin._convert_deprecated_attention_blocks`) to `to_q` / `to_k` /
// `to_v` / `to_out.0`. We do the same, for the VAE only, and for nothing else.

import { Diff2in1Error } from '@diff2in1/tensor';
import type { SdComponent } from './state-dict.js';

const LEGACY_VAE_ATTENTION = /^((?:encoder|decoder)\.mid_block\.attentions\.\d+)\.(query|key|value|proj_attn)\.(weight|bias)$/;
const RENAMED: Readonly<Record<string, string>> = { query: 'to_q', key: 'to_k', value: 'to_v', proj_attn: 'to_out.0' };

/** The module name a checkpoint entry loads into (identity except for the legacy VAE attention names). */
export function canonicalName(component: SdComponent, name: string): string {
  if (component !== 'vae') return name;
  const m = LEGACY_VAE_ATTENTION.exec(name);
  return m ? `${m[1]}.${RENAMED[m[2] as string]}.${m[3]}` : name;
}

/**
 * Maps each canonical name to the checkpoint name it comes from. Throws if two checkpoint entries map to the same
 * module name (e.g. both `query.weight` and `to_q.weight`), naming `file`.
 */
export function canonicalNames(component: SdComponent, names: Iterable<string>, file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of names) {
    const c = canonicalName(component, n);
    const prev = out.get(c);
    if (prev !== undefined) {
      throw new Diff2in1Error('weights', `"${prev}" and "${n}" both load into "${c}"; keep one of them`, { file });
    }
    out.set(c, n);
  }
  return out;
}
