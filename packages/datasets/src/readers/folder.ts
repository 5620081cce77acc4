// The project's own folder format (README.md, "Folder format"): one directory per modality, files named
// <id>.<ext>, captions.json, splits/<split>.txt and classes.json. Reader and writer.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClassLabel, DenseLabel, TaskName } from '@diff2in1/tasks';
import { TASK_NAMES, encodeClassPng, encodeDepthPng, encodeNormalsPng, encodeSaliencyPng } from '@diff2in1/tasks';
import { tensorToRaw, writeFileAtomic, writePng } from '@diff2in1/tensor';
import { FileDataset } from '../file-dataset.js';
import { readClassPng, readDepthPng, readNormalsPng, readPartsPng, readSaliencyPng } from '../label-files.js';
import type { BadInputOptions, Dataset, Sample, SampleEntry } from '../sample.js';
import { datasetError } from '../sample.js';
import { listByStem, pathExists, pickTasks, readJson, readLines } from './common.js';

/** Directory of each task's labels in the folder format. */
export const FOLDER_DIRS: Readonly<Record<TaskName, string>> = {
  normals: 'normals', depth: 'depth', semseg: 'semseg', parts: 'parts', saliency: 'saliency',
};

/** PASCAL-Context multi-task human parts (InvPT HumanPartsMeter PART_CATEGORY_NAMES). */
export const PART_NAMES: readonly string[] = ['background', 'head', 'torso', 'upper arm', 'lower arm', 'upper leg', 'lower leg'];

export interface ClassesFile {
  semseg?: { names: string[]; ignoreIndex?: number };
  parts?: { names: string[]; ignoreIndex?: number };
}

export interface FolderOptions extends BadInputOptions {
  /** Split name: reads splits/<split>.txt (default 'train'). */
  split?: string;
  /** Tasks to load (default: every label directory present). */
  tasks?: readonly TaskName[];
}

const CLASSES_EXAMPLE = '{"semseg": {"names": ["wall", "floor"], "ignoreIndex": 255}}';

/**
 * Reads classes.json (README.md, "Folder format"): `semseg` and `parts` are each `{ "names": [...],
 * "ignoreIndex"?: n }`. Other top-level keys and extra fields inside those objects (e.g. colours) are ignored.
 * The pre-spec toyworld form (`semantic: [{id, name}]` with a top-level `ignoreIndex`) is refused with the fix.
 */
function parseClasses(raw: unknown, file: string): ClassesFile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw datasetError(`classes.json must be an object like ${CLASSES_EXAMPLE}`, file);
  const obj = raw as Record<string, unknown>;
  if (obj.semantic !== undefined && obj.semseg === undefined) {
    throw datasetError(`classes.json has 'semantic' (an older toyworld export); the folder format reads ${CLASSES_EXAMPLE} — re-export with toyworld or rename the key`, file);
  }
  if (obj.ignoreIndex !== undefined) throw datasetError('a top-level ignoreIndex is not part of the folder format; put it inside each task: "semseg": {"names": [...], "ignoreIndex": 255}', file);
  const out: ClassesFile = {};
  for (const key of ['semseg', 'parts'] as const) {
    const v = obj[key];
    if (v === undefined) continue;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw datasetError(`${key} must be {"names": [...], "ignoreIndex": n}, not ${Array.isArray(v) ? 'a list' : JSON.stringify(v)}`, file);
    const { names, ignoreIndex } = v as { names?: unknown; ignoreIndex?: unknown };
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw datasetError(`${key}.names must be a list of strings`, file);
    if (ignoreIndex !== undefined && !Number.isSafeInteger(ignoreIndex)) throw datasetError(`${key}.ignoreIndex must be an integer`, file);
    out[key] = { names: names as string[], ...(ignoreIndex === undefined ? {} : { ignoreIndex: ignoreIndex as number }) };
  }
  return out;
}

/** Opens a folder-format dataset split. */
export async function openFolder(root: string, opts: FolderOptions = {}): Promise<Dataset> {
  const split = opts.split ?? 'train';
  const ids = await readLines(join(root, 'splits', `${split}.txt`), `split file for '${split}'`);
  const available: TaskName[] = [];
  for (const t of TASK_NAMES) if (await pathExists(join(root, FOLDER_DIRS[t]))) available.push(t);
  const tasks = pickTasks(opts.tasks, available, 'folder', root);
  const classesPath = join(root, 'classes.json');
  const classes = (await pathExists(classesPath)) ? parseClasses(await readJson(classesPath, 'classes.json'), classesPath) : {};
  if (tasks.includes('semseg') && classes.semseg === undefined) throw datasetError('semseg/ is present, so classes.json must list the semseg class names ({"semseg": {"names": [...]}})', classesPath);
  const captionsPath = join(root, 'captions.json');
  let captions: Record<string, unknown> = {};
  if (await pathExists(captionsPath)) {
    const raw = await readJson(captionsPath, 'captions.json');
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw datasetError('captions.json must map ids to strings', captionsPath);
    captions = raw as Record<string, unknown>;
    const bad = Object.entries(captions).find(([, c]) => typeof c !== 'string');
    if (bad) throw datasetError(`the caption of id '${bad[0]}' is ${JSON.stringify(bad[1])}; every value must be a string`, captionsPath);
  }
  const images = await listByStem(join(root, 'images'), ['.png', '.jpg', '.jpeg'], 'images');
  const semseg = classes.semseg;
  const parts = classes.parts;
  const entries: SampleEntry[] = ids.map((id) => {
    const image = join(root, 'images', images.get(id) ?? `${id}.png`);
    const labels: SampleEntry['labels'] = {};
    for (const t of tasks) {
      const file = join(root, FOLDER_DIRS[t], `${id}.png`);
      let load: () => Promise<DenseLabel | ClassLabel>;
      if (t === 'normals') load = () => readNormalsPng(file);
      else if (t === 'depth') load = () => readDepthPng(file);
      else if (t === 'saliency') load = () => readSaliencyPng(file);
      else if (t === 'parts') load = () => readPartsPng(file, parts?.names.length ?? PART_NAMES.length);
      else load = () => readClassPng(file, { numClasses: (semseg as { names: string[] }).names.length, ignoreIndex: semseg?.ignoreIndex ?? 255 });
      labels[t] = { file, load };
    }
    const entry: SampleEntry = { id, image, labels, files: [image, ...Object.values(labels).map((l) => l.file)] };
    const c = captions[id];
    if (typeof c === 'string') entry.caption = c;
    return entry;
  });
  return FileDataset.open({
    name: 'folder', root, split, tasks, entries,
    classes: {
      ...(semseg ? { semseg: { names: semseg.names, ignoreIndex: semseg.ignoreIndex ?? 255 } } : {}),
      ...(tasks.includes('parts') ? { parts: { names: parts?.names ?? PART_NAMES, ignoreIndex: parts?.ignoreIndex ?? 255 } } : {}),
    },
  }, opts);
}

/**
 * Writes samples in the folder format. Files are written atomically as they come; captions.json, the split
 * lists and classes.json are written by finish().
 */
export class FolderWriter {
  private captions: Record<string, string> = {};
  private splits = new Map<string, string[]>();

  constructor(readonly root: string, private readonly classes: ClassesFile = {}) {}

  /** Writes one sample's image (PNG) and labels, and records its caption and split. */
  async write(sample: Sample, split: string): Promise<void> {
    const { id } = sample;
    if (!/^[\w.-]+$/.test(id)) throw datasetError(`sample id '${id}' must use only letters, digits, '_', '-' and '.' (it becomes a file name)`);
    await mkdir(this.root, { recursive: true });
    await writePng(join(this.root, 'images', `${id}.png`), tensorToRaw(sample.image, { range: '0-1' }));
    const l = sample.labels;
    const out = (t: TaskName) => join(this.root, FOLDER_DIRS[t], `${id}.png`);
    if (l.normals) await writePng(out('normals'), encodeNormalsPng(l.normals, { file: out('normals') }));
    if (l.depth) await writePng(out('depth'), encodeDepthPng(l.depth, { file: out('depth') }));
    if (l.semseg) await writePng(out('semseg'), encodeClassPng(l.semseg, { ignoreIndex: this.classes.semseg?.ignoreIndex ?? 255, file: out('semseg') }));
    if (l.parts) await writePng(out('parts'), encodeClassPng(l.parts, { file: out('parts') }));
    if (l.saliency) await writePng(out('saliency'), encodeSaliencyPng(l.saliency, { file: out('saliency') }));
    if (sample.caption !== undefined) this.captions[id] = sample.caption;
    const list = this.splits.get(split) ?? [];
    list.push(id);
    this.splits.set(split, list);
  }

  /** Writes captions.json, splits/<split>.txt and classes.json. */
  async finish(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    if (Object.keys(this.captions).length > 0) await writeFileAtomic(join(this.root, 'captions.json'), JSON.stringify(this.captions, null, 1) + '\n');
    for (const [split, ids] of this.splits) await writeFileAtomic(join(this.root, 'splits', `${split}.txt`), ids.join('\n') + '\n');
    if (this.classes.semseg || this.classes.parts) await writeFileAtomic(join(this.root, 'classes.json'), JSON.stringify(this.classes, null, 1) + '\n');
  }
}
