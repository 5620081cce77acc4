// NYUD-MT, the multi-task NYUv2 of MTI-Net / ATRC / InvPT / TaskPrompter (795 train / 654 val):
//   images/<id>.jpg (MTI-Net NYUD_MT.tgz, ATRC) or .png (InvPT/TaskPrompter's copy of the ATRC data)
//   segmentation/<id>.png   40 classes, 0 = void, id = value − 1            (both)
//   depth/<id>.npy          float metres                                     (both)
//   normals/<id>.npy        float [H, W, 3] (MTI-Net, ATRC) | normals/<id>.png rgb/255·2−1 (InvPT)
//   edge/<id>.npy|png       (not read: edges are not a task here)
//   gt_sets/{train,val}.txt one id per line
// Sources: SimonVandenhende/Multi-Task-Learning-PyTorch data/nyud.py, brdav/atrc src/data/nyud.py,
// prismformore/Multi-Task-Transformer InvPT/data/nyud.py. The image / normals extension is detected per sample.
// PNG normals: black = invalid (InvPT would decode black to (−1, −1, −1) and count it as a normal; such a
// vector is not unit length and can only mean "no data").
import { join } from 'node:path';
import type { ClassLabel, DenseLabel, TaskName } from '@diff2in1/tasks';
import { FileDataset } from '../file-dataset.js';
import { readClassPng, readDepthNpy, readNormalsNpy, readNormalsPng } from '../label-files.js';
import type { BadInputOptions, Dataset, SampleEntry } from '../sample.js';
import { datasetError } from '../sample.js';
import { checkSplit, listByStem, pickTasks, readLines } from './common.js';

/** NYUv2 40-class names (Gupta et al. 2013), as InvPT's eval_semseg.py NYU_CATEGORY_NAMES lists them. */
export const NYU40_NAMES: readonly string[] = [
  'wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window', 'bookshelf', 'picture', 'counter',
  'blinds', 'desk', 'shelves', 'curtain', 'dresser', 'pillow', 'mirror', 'floor mat', 'clothes', 'ceiling', 'books',
  'refridgerator', 'television', 'paper', 'towel', 'shower curtain', 'box', 'whiteboard', 'person', 'night stand',
  'toilet', 'sink', 'lamp', 'bathtub', 'bag', 'otherstructure', 'otherfurniture', 'otherprop',
];

export interface NyudmtOptions extends BadInputOptions {
  split?: 'train' | 'val';
  /** Default: semseg, depth, normals. */
  tasks?: readonly TaskName[];
}

/** Opens an NYUD-MT split. */
export async function openNyudmt(root: string, opts: NyudmtOptions = {}): Promise<Dataset> {
  const split = checkSplit(opts.split ?? 'train', ['train', 'val'] as const, 'NYUD-MT');
  const tasks = pickTasks(opts.tasks, ['semseg', 'depth', 'normals'], 'NYUD-MT', root);
  const ids = await readLines(join(root, 'gt_sets', `${split}.txt`), `NYUD-MT split '${split}'`);
  const images = await listByStem(join(root, 'images'), ['.jpg', '.png'], 'NYUD-MT images');
  const normals = tasks.includes('normals') ? await listByStem(join(root, 'normals'), ['.npy', '.png'], 'NYUD-MT normals') : new Map<string, string>();
  if (ids.length === 0) throw datasetError(`split '${split}' lists no ids`, join(root, 'gt_sets', `${split}.txt`));
  const entries = ids.map((id): SampleEntry => {
    const image = join(root, 'images', images.get(id) ?? `${id}.jpg`);
    const labels: SampleEntry['labels'] = {};
    for (const t of tasks) {
      let file: string;
      let load: () => Promise<DenseLabel | ClassLabel>;
      if (t === 'semseg') {
        file = join(root, 'segmentation', `${id}.png`);
        load = () => readClassPng(file, { numClasses: 40, convention: 'nyudmt' });
      } else if (t === 'depth') {
        file = join(root, 'depth', `${id}.npy`);
        load = () => readDepthNpy(file);
      } else {
        file = join(root, 'normals', normals.get(id) ?? `${id}.npy`);
        load = file.endsWith('.png') ? () => readNormalsPng(file) : () => readNormalsNpy(file);
      }
      labels[t] = { file, load };
    }
    return { id, image, labels, files: [image, ...Object.values(labels).map((l) => l.file)] };
  });
  return FileDataset.open({
    name: 'nyudmt', root, split, tasks, entries,
    classes: tasks.includes('semseg') ? { semseg: { names: NYU40_NAMES, ignoreIndex: 255 } } : {},
  }, opts);
}
