// Caption a dataset folder into captions.json, resumably: ids already captioned by this captioner are skipped, and
// the files are rewritten atomically after every `flushEvery` images, so a kill -9 loses at most that many.
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Captioner } from './captioner.js';
import { captionHash, loadCaptionsState, provenance, saveCaptionsState } from './captions-file.js';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export interface CaptionProgress {
  /** Ids finished so far in this call (captioned now or skipped), out of `total`. */
  done: number;
  total: number;
  /** Ids skipped because this captioner had already captioned them. */
  skipped: number;
  /** Ids captioned by this call so far. */
  captioned: number;
  /** Captions written to disk so far by this call (≤ captioned; the rest is lost on a kill). */
  saved: number;
}

export interface CaptionDatasetOptions {
  /** Dataset folder (the folder format: images/<id>.png|jpg, captions.json, ...). */
  dir: string;
  captioner: Captioner;
  /** Ids to caption; default: every image in `<dir>/images`, sorted. */
  ids?: readonly string[];
  /** Default `<dir>/captions.json`; provenance goes to `<same name>.meta.json` beside it. */
  cacheFile?: string;
  /** Images per caption() call and per atomic rewrite of the files (default 16). */
  flushEvery?: number;
  /** Image path of an id; default `<dir>/images/<id>.png|.jpg|.jpeg` (first that exists). */
  imagePath?: (id: string) => string;
  /**
   * Overwrite captions of these ids written by another captioner (or shipped with the dataset). Default false:
   * such ids are an error, so a dataset never mixes captioners silently.
   */
  replace?: boolean;
  maxNewTokens?: number;
  onProgress?: (p: CaptionProgress) => void;
}

export interface CaptionDatasetResult {
  /** Caption of every requested id. */
  captions: Record<string, string>;
  captioned: number;
  skipped: number;
  cacheFile: string;
}

function listImages(dir: string): Map<string, string> {
  const folder = join(dir, 'images');
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch (e) {
    throw new Diff2in1Error('dataset', `cannot list the dataset's images folder: ${(e as Error).message}`, { file: folder, cause: e });
  }
  const out = new Map<string, string>();
  for (const name of entries.sort()) {
    const ext = extname(name).toLowerCase();
    if (!IMAGE_EXTENSIONS.includes(ext)) continue;
    const id = name.slice(0, -ext.length);
    if (!out.has(id)) out.set(id, join(folder, name));
  }
  return out;
}

/** Captions `ids` of the dataset in `dir`; returns every requested caption (old and new). */
export async function captionDataset(options: CaptionDatasetOptions): Promise<CaptionDatasetResult> {
  const { dir, captioner } = options;
  const cacheFile = options.cacheFile ?? join(dir, 'captions.json');
  const flushEvery = options.flushEvery ?? 16;
  if (!Number.isSafeInteger(flushEvery) || flushEvery < 1) {
    throw new Diff2in1Error('captioner', `flushEvery must be a positive integer, got ${flushEvery}`);
  }
  let images: Map<string, string> | undefined;
  const pathOf = options.imagePath ?? ((id: string): string => {
    images ??= listImages(dir);
    const p = images.get(id);
    if (p === undefined) {
      throw new Diff2in1Error('dataset', `no image for id "${id}" (looked for ${IMAGE_EXTENSIONS.map((e) => id + e).join(', ')})`, { file: join(dir, 'images') });
    }
    return p;
  });
  const ids = options.ids ? [...options.ids] : [...(images ??= listImages(dir)).keys()];
  if (new Set(ids).size !== ids.length) throw new Diff2in1Error('captioner', 'captionDataset: ids contain duplicates');

  const state = loadCaptionsState(cacheFile);
  const todo: string[] = [];
  const foreign: string[] = [];
  for (const id of ids) {
    const by = provenance(state, id);
    if (by === captioner.id) continue;
    if (by !== undefined && !options.replace) foreign.push(`${id} (by '${by}')`);
    todo.push(id);
  }
  if (foreign.length > 0) {
    throw new Diff2in1Error('captioner',
      `${foreign.length} of the requested ids already have captions from another captioner, e.g. ${foreign.slice(0, 3).join(', ')}; ` +
      `pass replace: true to overwrite them with '${captioner.id}' captions, or give another cacheFile`, { file: cacheFile });
  }
  for (const id of todo) pathOf(id); // every image must exist before any work starts

  const total = ids.length;
  const skipped = total - todo.length;
  let captioned = 0;
  let saved = 0;
  options.onProgress?.({ done: skipped, total, skipped, captioned, saved });
  for (let start = 0; start < todo.length; start += flushEvery) {
    const batch = todo.slice(start, start + flushEvery);
    const opts = options.maxNewTokens === undefined ? { ids: batch } : { ids: batch, maxNewTokens: options.maxNewTokens };
    const texts = await captioner.caption(batch.map(pathOf), opts);
    if (texts.length !== batch.length) {
      throw new Diff2in1Error('captioner', `captioner '${captioner.id}' returned ${texts.length} captions for ${batch.length} images`);
    }
    batch.forEach((id, i) => {
      const text = texts[i] as string;
      state.captions.set(id, text);
      state.records.set(id, { captioner: captioner.id, sha1: captionHash(text) });
    });
    captioned += batch.length;
    await saveCaptionsState(cacheFile, state);
    saved = captioned;
    options.onProgress?.({ done: skipped + captioned, total, skipped, captioned, saved });
  }
  const captions: Record<string, string> = {};
  for (const id of ids) captions[id] = state.captions.get(id) as string;
  return { captions, captioned, skipped, cacheFile };
}
