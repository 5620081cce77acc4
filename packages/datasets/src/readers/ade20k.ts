// ADE20K scene parsing (MIT SceneParsing challenge release ADEChallengeData2016: 20210 training / 2000 validation):
//   images/{training,validation}/ADE_{train,val}_<8 digits>.jpg
//   annotations/{training,validation}/<same stem>.png   grey, 0 = "other" (ignored), 1..150 = classes
//   objectInfo150.txt (optional here): tab-separated "Idx Ratio Train Val Name", names ';'-separated synonyms
// Labels are read as mmseg's ADE20KDataset does (reduce_zero_label=True): 0 → 255 ignore, v → v − 1.
// Ids are the image stems, sorted; every image needs its annotation.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskName } from '@diff2in1/tasks';
import { FileDataset } from '../file-dataset.js';
import { readClassPng } from '../label-files.js';
import type { BadInputOptions, Dataset, SampleEntry } from '../sample.js';
import { datasetError } from '../sample.js';
import { checkSplit, listByStem, pathExists } from './common.js';

/** SceneParsing's 150 classes (ids 0..149 after reduce_zero_label). */
export const ADE20K_NUM_CLASSES = 150;

export interface Ade20kOptions extends BadInputOptions {
  /** 'train' (images/training) or 'val' (images/validation). */
  split?: 'train' | 'val';
}

/** Class names from objectInfo150.txt (first synonym of the Name column), or undefined if the file is absent. */
export async function readAde20kNames(root: string): Promise<string[] | undefined> {
  const path = join(root, 'objectInfo150.txt');
  if (!(await pathExists(path))) return undefined;
  const lines = (await readFile(path, 'utf8')).split(/\r?\n/).filter((l) => l.trim() !== '');
  const names: string[] = [];
  for (const line of lines.slice(1)) {
    const cols = line.split('\t');
    const idx = Number(cols[0]);
    const name = cols[4]?.split(';')[0]?.trim();
    if (!Number.isInteger(idx) || name === undefined) throw datasetError(`cannot parse line '${line}' (expected Idx, Ratio, Train, Val, Name separated by tabs)`, path);
    names[idx - 1] = name;
  }
  if (names.length !== ADE20K_NUM_CLASSES || names.some((n) => n === undefined)) throw datasetError(`expected ${ADE20K_NUM_CLASSES} classes numbered 1..${ADE20K_NUM_CLASSES}, found ${names.filter((n) => n !== undefined).length}`, path);
  return names;
}

/** Opens an ADE20K split (root = the ADEChallengeData2016 directory). */
export async function openAde20k(root: string, opts: Ade20kOptions = {}): Promise<Dataset> {
  const split = checkSplit(opts.split ?? 'train', ['train', 'val'] as const, 'ADE20K');
  const dir = split === 'train' ? 'training' : 'validation';
  const images = await listByStem(join(root, 'images', dir), ['.jpg', '.jpeg', '.png'], `ADE20K images/${dir}`);
  if (images.size === 0) throw datasetError(`no images in images/${dir}`, join(root, 'images', dir));
  const names = (await readAde20kNames(root)) ?? Array.from({ length: ADE20K_NUM_CLASSES }, (_, i) => `class ${i}`);
  const entries = [...images].map(([id, name]): SampleEntry => {
    const image = join(root, 'images', dir, name);
    const file = join(root, 'annotations', dir, `${id}.png`);
    return {
      id, image, files: [image, file],
      labels: { semseg: { file, load: () => readClassPng(file, { numClasses: ADE20K_NUM_CLASSES, convention: 'ade20k' }) } },
    };
  });
  const tasks: TaskName[] = ['semseg'];
  return FileDataset.open({ name: 'ade20k', root, split, tasks, entries, classes: { semseg: { names, ignoreIndex: 255 } } }, opts);
}
