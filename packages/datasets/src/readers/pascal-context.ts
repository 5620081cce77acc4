// PASCAL-Context multi-task (PASCAL_MT.tgz of ASTMT / MTI-Net, used by ATRC, InvPT, TaskPrompter; 4998 train /
// 5105 val), read as prismformore/Multi-Task-Transformer InvPT/data/pascal_context.py and
// SimonVandenhende/Multi-Task-Learning-PyTorch data/pascal_context.py read it:
//   JPEGImages/<id>.jpg
//   semseg/VOC12/<id>.png, else semseg/pascal-context/<id>.png     21 classes (background + 20 VOC), 255 ignore
//   human_parts/<id>.mat      Pascal-Part `anno` (MAT v5): objects{class, class_ind, mask, parts{part_name, mask}}
//                             → 7 classes: persons' (class_ind 15) parts grouped into head, torso, upper/lower arm,
//                             upper/lower leg (num_human_parts = 6); images without any person part are ignored
//   sal_distill/<id>.png      grey, salient where v/255 > 0.5
//   normals_distill/<id>.png  rgb/255·2−1, kept only on pixels whose PASCAL-Context class (LabelMap of
//                             pascal-context/trainval/<id>.mat) also exists in NYUv2 — elsewhere invalid
//   ImageSets/Context/{train,val}.txt
import { join } from 'node:path';
import type { ClassLabel, DenseLabel, TaskName } from '@diff2in1/tasks';
import { Tensor } from '@diff2in1/tensor';
import { FileDataset } from '../file-dataset.js';
import { readMat5, matField, matScalar, matToRowMajor } from '../formats/mat5.js';
import type { MatValue } from '../formats/mat5.js';
import { readClassPng, readNormalsPng, readSaliencyPng } from '../label-files.js';
import type { BadInputOptions, Dataset, SampleEntry } from '../sample.js';
import { datasetError } from '../sample.js';
import { PART_NAMES } from './folder.js';
import { checkSplit, listByStem, pickTasks, readLines } from './common.js';

/** PASCAL VOC's 21 semseg classes (0 background + the 20 object classes), in id order. */
export const VOC_NAMES: readonly string[] = [
  'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
  'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/** Pascal-Part person part names → the 6 grouped parts (InvPT/MTI-Net PASCALContext.HUMAN_PART[6]). */
export const HUMAN_PART_GROUPS: Readonly<Record<string, number>> = Object.fromEntries([
  ...['hair', 'head', 'lear', 'lebrow', 'leye', 'mouth', 'nose', 'rear', 'rebrow', 'reye'].map((n) => [n, 1]),
  ...['neck', 'torso'].map((n) => [n, 2]),
  ...['luarm', 'ruarm'].map((n) => [n, 3]),
  ...['lhand', 'llarm', 'rhand', 'rlarm'].map((n) => [n, 4]),
  ...['luleg', 'ruleg'].map((n) => [n, 5]),
  ...['lfoot', 'llleg', 'rfoot', 'rlleg'].map((n) => [n, 6]),
]);

/** Pascal-Part / VOC class index of person. */
export const PERSON_CLASS = 15;

/**
 * PASCAL-Context (459-class LabelMap) ids whose class name also names an NYUv2 class, plus 'tvmonitor': the
 * pixels where distilled normals are kept (PASCALContext.normals_valid_classes, built from data/db_info/
 * nyu_classes.json ∩ context_classes.json minus 'unknown', + context_classes['tvmonitor'] = 427).
 */
export const NORMALS_VALID_CONTEXT_CLASSES: readonly number[] = [
  3, 4, 6, 9, 10, 11, 13, 15, 17, 18, 22, 23, 29, 30, 33, 34, 36, 37, 38, 39, 41, 43, 46, 49, 50, 51, 53, 55, 56, 59, 61, 62,
  65, 66, 68, 69, 72, 73, 78, 83, 84, 85, 87, 88, 95, 96, 101, 104, 105, 107, 111, 113, 115, 122, 124, 135, 141, 142, 143,
  146, 150, 154, 157, 158, 159, 165, 172, 174, 181, 183, 184, 191, 193, 195, 197, 199, 202, 213, 215, 216, 219, 220, 223,
  225, 228, 230, 232, 233, 238, 239, 242, 243, 246, 250, 251, 252, 255, 260, 261, 263, 269, 272, 273, 275, 281, 283, 284,
  285, 286, 287, 288, 290, 291, 292, 293, 295, 304, 307, 309, 310, 314, 315, 319, 323, 329, 330, 331, 336, 342, 345, 349,
  350, 351, 352, 355, 357, 368, 370, 371, 374, 379, 380, 383, 384, 397, 401, 403, 405, 407, 408, 411, 412, 413, 414, 417,
  419, 421, 423, 427, 429, 430, 432, 440, 441, 442, 443, 444, 446, 454, 457,
];

function count(v: MatValue): number {
  return v.dims.reduce((a, b) => a * b, 1);
}

/** Human-part label of a Pascal-Part annotation file (see the file comment). */
export async function readHumanPartsMat(file: string, imageSize: readonly [number, number]): Promise<ClassLabel> {
  const mat = await readMat5(file);
  const anno = mat.anno;
  if (anno === undefined) throw datasetError(`no 'anno' variable (variables: ${Object.keys(mat).join(', ') || 'none'})`, file);
  const objects = matField(anno, 'objects', 0, file);
  const [h, w] = imageSize;
  let target: Int32Array | undefined;
  for (let i = 0; objects.kind === 'struct' && i < objects.elements.length; i++) {
    if (matScalar(matField(objects, 'class_ind', i, file), `objects(${i + 1}).class_ind`, file) !== PERSON_CLASS) continue;
    const parts = matField(objects, 'parts', i, file);
    if (count(parts) === 0 || parts.kind !== 'struct') continue;
    target ??= new Int32Array(h * w);
    for (let j = 0; j < parts.elements.length; j++) {
      const nameV = matField(parts, 'part_name', j, file);
      const name = nameV.kind === 'char' ? nameV.text : '';
      const id = HUMAN_PART_GROUPS[name];
      if (id === undefined) throw datasetError(`unknown person part '${name}' in objects(${i + 1}).parts(${j + 1}); known: ${Object.keys(HUMAN_PART_GROUPS).join(', ')}`, file);
      const m = matToRowMajor(matField(parts, 'mask', j, file), `part mask '${name}'`, file);
      if (m.rows !== h || m.cols !== w) throw datasetError(`part mask '${name}' is ${m.cols}×${m.rows} but the image is ${w}×${h}`, file);
      for (let p = 0; p < h * w; p++) if (m.data[p]) target[p] = id;
    }
  }
  if (target === undefined) {
    const value = new Tensor('int32', [h, w]);
    value.data.fill(255);
    return { value, valid: new Tensor('bool', [h, w]) };
  }
  const valid = new Tensor('bool', [h, w]);
  valid.data.fill(1);
  return { value: new Tensor('int32', [h, w], target), valid };
}

/** Distilled normals, valid only on NYU-compatible PASCAL-Context classes of the LabelMap. */
export async function readPascalNormals(file: string, labelMapFile: string): Promise<DenseLabel> {
  const n = await readNormalsPng(file);
  const mat = await readMat5(labelMapFile);
  if (mat.LabelMap === undefined) throw datasetError(`no 'LabelMap' variable (variables: ${Object.keys(mat).join(', ') || 'none'})`, labelMapFile);
  const lm = matToRowMajor(mat.LabelMap, 'LabelMap', labelMapFile);
  const [h, w] = [n.valid.shape[0] as number, n.valid.shape[1] as number];
  if (lm.rows !== h || lm.cols !== w) throw datasetError(`LabelMap is ${lm.cols}×${lm.rows} but the normals map ${file} is ${w}×${h}`, labelMapFile);
  const ok = new Set(NORMALS_VALID_CONTEXT_CLASSES);
  for (let p = 0; p < h * w; p++) if (!ok.has(lm.data[p] as number)) n.valid.data[p] = 0;
  return n;
}

export interface PascalContextOptions extends BadInputOptions {
  split?: 'train' | 'val';
  /** Default: semseg, parts, saliency, normals. */
  tasks?: readonly TaskName[];
  /**
   * 'context-classes' (default): normals valid only on NYU-compatible classes of pascal-context/trainval/<id>.mat,
   * as the upstream loaders; 'nonzero': every non-black pixel (for copies without the LabelMap files).
   */
  normalsMask?: 'context-classes' | 'nonzero';
}

/** Opens a PASCAL-Context multi-task split. */
export async function openPascalContext(root: string, opts: PascalContextOptions = {}): Promise<Dataset> {
  const split = checkSplit(opts.split ?? 'train', ['train', 'val'] as const, 'PASCAL-Context');
  const tasks = pickTasks(opts.tasks, ['semseg', 'parts', 'saliency', 'normals'], 'PASCAL-Context', root);
  const ids = await readLines(join(root, 'ImageSets', 'Context', `${split}.txt`), `PASCAL-Context split '${split}'`);
  const voc = tasks.includes('semseg') ? await listByStem(join(root, 'semseg', 'VOC12'), ['.png'], 'semseg/VOC12').catch(() => new Map<string, string>()) : new Map<string, string>();
  const mask = opts.normalsMask ?? 'context-classes';
  const entries = ids.map((id): SampleEntry => {
    const image = join(root, 'JPEGImages', `${id}.jpg`);
    const labels: SampleEntry['labels'] = {};
    const extra: string[] = [];
    for (const t of tasks) {
      if (t === 'semseg') {
        const file = voc.has(id) ? join(root, 'semseg', 'VOC12', `${id}.png`) : join(root, 'semseg', 'pascal-context', `${id}.png`);
        labels.semseg = { file, load: () => readClassPng(file, { numClasses: 21 }) };
      } else if (t === 'parts') {
        const file = join(root, 'human_parts', `${id}.mat`);
        labels.parts = { file, load: (size) => readHumanPartsMat(file, size) };
      } else if (t === 'saliency') {
        const file = join(root, 'sal_distill', `${id}.png`);
        labels.saliency = { file, load: () => readSaliencyPng(file) };
      } else {
        const file = join(root, 'normals_distill', `${id}.png`);
        const lm = join(root, 'pascal-context', 'trainval', `${id}.mat`);
        if (mask === 'context-classes') extra.push(lm);
        labels.normals = { file, load: mask === 'context-classes' ? () => readPascalNormals(file, lm) : () => readNormalsPng(file) };
      }
    }
    return { id, image, labels, files: [image, ...Object.values(labels).map((l) => l.file), ...extra] };
  });
  return FileDataset.open({
    name: 'pascal-context', root, split, tasks, entries,
    classes: {
      ...(tasks.includes('semseg') ? { semseg: { names: VOC_NAMES, ignoreIndex: 255 } } : {}),
      ...(tasks.includes('parts') ? { parts: { names: PART_NAMES, ignoreIndex: 255 } } : {}),
    },
  }, opts);
}
