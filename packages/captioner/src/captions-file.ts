// captions.json (id → caption) and its side file captions.meta.json (which captioner wrote each caption).
//
// captions.json stays a plain JSON object mapping dataset ids to caption strings, so anything that only wants
// prompts (synthesis, the scene captioner, a human) reads it without knowing about provenance. The side file
// records, per id, the captioner id and a short SHA-1 of the caption text. The two files are rewritten one
// after the other (meta first, each atomically); a record whose hash does not match the caption in
// captions.json (a kill between the two renames) is ignored, as is a caption with no record at all: such
// captions count as `UNRECORDED_CAPTIONER` — captions that came with the dataset, e.g. from toyworld's exporter.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { Diff2in1Error, writeFileAtomic } from '@diff2in1/tensor';

/** Provenance given to captions without a (matching) meta record: the dataset's own (ground-truth) captions. */
export const UNRECORDED_CAPTIONER = 'scene';
/** `format` of captions.meta.json. */
export const CAPTIONS_META_FORMAT = 'diff2in1-captions-meta/1';

export interface CaptionRecord {
  captioner: string;
  /** First 12 hex digits of SHA-1 of the UTF-8 caption text. */
  sha1: string;
}

export interface CaptionsState {
  captions: Map<string, string>;
  records: Map<string, CaptionRecord>;
}

/** `<dir>/<name>.meta.json` beside `<dir>/<name>.json`. */
export function metaPathFor(captionsPath: string): string {
  return join(dirname(captionsPath), `${basename(captionsPath, extname(captionsPath))}.meta.json`);
}

/** The short hash recorded per caption: the first 12 hex digits of SHA-1 of its UTF-8 text. */
export function captionHash(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex').slice(0, 12);
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Diff2in1Error('captions', `cannot read: ${(e as Error).message}`, { file: path, cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Diff2in1Error('captions', `not valid JSON: ${(e as Error).message}`, { file: path, cause: e });
  }
}

/** Reads captions.json: a JSON object whose values are strings; undefined when the file does not exist. */
export function readCaptionsJson(path: string): Map<string, string> | undefined {
  const obj = readJson(path);
  if (obj === undefined) return undefined;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new Diff2in1Error('captions', 'captions.json must be a JSON object mapping image ids to caption strings, e.g. {"0001": "a room with a red box"}', { file: path });
  }
  const out = new Map<string, string>();
  for (const [id, caption] of Object.entries(obj)) {
    if (typeof caption !== 'string') {
      throw new Diff2in1Error('captions', `the caption of id "${id}" is a ${caption === null ? 'null' : typeof caption}; every value must be a string`, { file: path });
    }
    out.set(id, caption);
  }
  return out;
}

function readMeta(path: string): Map<string, CaptionRecord> {
  const obj = readJson(path) as { format?: unknown; captions?: unknown } | undefined;
  const out = new Map<string, CaptionRecord>();
  if (obj === undefined) return out;
  if (obj === null || typeof obj !== 'object' || obj.format !== CAPTIONS_META_FORMAT || typeof obj.captions !== 'object' || obj.captions === null) {
    throw new Diff2in1Error('captions', `not a captions meta file (expected {"format": "${CAPTIONS_META_FORMAT}", "captions": {...}}); delete it to treat every caption as unrecorded`, { file: path });
  }
  for (const [id, rec] of Object.entries(obj.captions as Record<string, unknown>)) {
    const r = rec as Partial<CaptionRecord> | null;
    if (r && typeof r.captioner === 'string' && typeof r.sha1 === 'string') out.set(id, { captioner: r.captioner, sha1: r.sha1 });
  }
  return out;
}

/** Loads captions.json and its meta file (both optional). */
export function loadCaptionsState(captionsPath: string): CaptionsState {
  return { captions: readCaptionsJson(captionsPath) ?? new Map(), records: readMeta(metaPathFor(captionsPath)) };
}

/** Which captioner wrote the caption of `id` (undefined if there is no caption). */
export function provenance(state: CaptionsState, id: string): string | undefined {
  const caption = state.captions.get(id);
  if (caption === undefined) return undefined;
  const rec = state.records.get(id);
  return rec && rec.sha1 === captionHash(caption) ? rec.captioner : UNRECORDED_CAPTIONER;
}

function sortedObject<T>(m: Map<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k) as T;
  return out;
}

/** Rewrites both files atomically (meta first); keys sorted so equal states give byte-identical files. */
export async function saveCaptionsState(captionsPath: string, state: CaptionsState): Promise<void> {
  const meta = { format: CAPTIONS_META_FORMAT, captions: sortedObject(state.records) };
  await writeFileAtomic(metaPathFor(captionsPath), `${JSON.stringify(meta, null, 1)}\n`);
  await writeFileAtomic(captionsPath, `${JSON.stringify(sortedObject(state.captions), null, 2)}\n`);
}
