// Small file-layout helpers shared by the readers.
import { access, readdir, readFile } from 'node:fs/promises';
import { extname, basename } from 'node:path';
import type { TaskName } from '@diff2in1/tasks';
import { choices } from '@diff2in1/tensor';
import { datasetError } from '../sample.js';

/** Whether a file or directory exists (and is accessible). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Lines of a split / list file, trimmed, blank lines dropped. */
export async function readLines(path: string, what: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw datasetError(`cannot read ${what}: ${(e as Error).message}`, path, e);
  }
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}

/** Reads and parses a JSON file, with errors naming it. */
export async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw datasetError(`cannot read ${what}: ${(e as Error).message}`, path, e);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw datasetError(`${what} is not valid JSON: ${(e as Error).message}`, path, e);
  }
}

/** Files of a directory as stem → file name, for the given extensions (lower-case, with dot). */
export async function listByStem(dir: string, exts: readonly string[], what: string): Promise<Map<string, string>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw datasetError(`cannot list ${what} directory: ${(e as Error).message}`, dir, e);
  }
  const out = new Map<string, string>();
  for (const n of names.sort()) {
    const ext = extname(n).toLowerCase();
    if (!exts.includes(ext)) continue;
    const stem = basename(n, extname(n));
    if (!out.has(stem)) out.set(stem, n);
  }
  return out;
}

/** Checks a split name against the layout's valid ones. */
export function checkSplit<S extends string>(split: string, valid: readonly S[], layout: string): S {
  if (!(valid as readonly string[]).includes(split)) throw datasetError(`split '${split}' is not valid for ${layout}; ${choices(valid)}`);
  return split as S;
}

/** The tasks to load: the requested ones (each must be available) or all available ones. */
export function pickTasks(requested: readonly TaskName[] | undefined, available: readonly TaskName[], layout: string, root: string): TaskName[] {
  if (requested === undefined) return [...available];
  for (const t of requested) {
    if (!available.includes(t)) throw datasetError(`task '${t}' is not available in this ${layout} dataset; available: ${available.join(', ') || 'none'}`, root);
  }
  return [...requested];
}
