// NYUv2 surface normals as released by Bae et al. (baegwangbin/surface_normal_uncertainty: 795 train / 654 test
// images, 480×640, `{train,test}/img/<id>.png` and `{train,test}/norm/<id>.png`, black = invalid; ids are the
// 0-based indices into the labelled set, 6 digits, e.g. 000000) and as the official Diff-2-in-1 code reads them
// (zsh2000/diff-2-in-1 ldm/data/nyu.py: ./dataset/nyu/{train,test}/{img,norm,caption}/<id>.png|.txt, sorted
// globs, every image and normal map resized to 512×512).
//
// We pair files by id (the official code zips two sorted globs, which silently misaligns if one file is
// missing). Captions (caption/<id>.txt) are read when present; `requireCaptions` makes them mandatory, as the
// official training code needs them. `listFile` reads Bae et al.'s data_split/nyu_{train,test}.txt instead
// ("test/img/000000.png test/norm/000000.png" per line, paths relative to the root).
// `resize`: 'official' reproduces the official 512×512 cv2 bilinear resize of image, normals and mask
// (mask == 1); 'nearest' resizes labels nearest-neighbour; default: native 480×640, as Bae et al. evaluate.
import { join } from 'node:path';
import type { TaskName } from '@diff2in1/tasks';
import { FileDataset, mapDataset } from '../file-dataset.js';
import { readNormalsPng } from '../label-files.js';
import type { BadInputOptions, Dataset, SampleEntry } from '../sample.js';
import { datasetError } from '../sample.js';
import type { ResizePolicy } from '../transforms.js';
import { resizeSample } from '../transforms.js';
import { checkSplit, listByStem, pathExists, readLines } from './common.js';

export interface Nyuv2Options extends BadInputOptions {
  split?: 'train' | 'test';
  /** Bae et al.'s list file (relative paths, "img norm" per line); default: every img/*.png of the split. */
  listFile?: string;
  /** Fail (or skip) samples without caption/<id>.txt (default false: caption read when present). */
  requireCaptions?: boolean;
  /** Resize every sample to `size` (default 512×512) under a policy; default: no resize. */
  resize?: ResizePolicy;
  size?: readonly [number, number];
}

/** Opens the Bae et al. / official NYUv2 normals layout. */
export async function openNyuv2(root: string, opts: Nyuv2Options = {}): Promise<Dataset> {
  const split = checkSplit(opts.split ?? 'train', ['train', 'test'] as const, 'NYUv2 normals (Bae et al. layout)');
  let pairs: { id: string; img: string; norm: string }[];
  if (opts.listFile !== undefined) {
    const lines = await readLines(opts.listFile, 'NYUv2 list file');
    pairs = lines.map((line, i) => {
      const [img, norm] = line.split(/\s+/);
      if (img === undefined || norm === undefined) throw datasetError(`line ${i + 1} must hold "<img path> <norm path>", got '${line}'`, opts.listFile);
      const id = img.split('/').pop()?.replace(/\.png$/i, '') ?? img;
      return { id, img: join(root, img), norm: join(root, norm) };
    });
  } else {
    const imgs = await listByStem(join(root, split, 'img'), ['.png'], `NYUv2 ${split}/img`);
    if (imgs.size === 0) throw datasetError(`no .png images in ${split}/img`, join(root, split, 'img'));
    pairs = [...imgs].map(([id, name]) => ({ id, img: join(root, split, 'img', name), norm: join(root, split, 'norm', `${id}.png`) }));
  }
  const entries: SampleEntry[] = [];
  for (const p of pairs) {
    const captionFile = join(root, split, 'caption', `${p.id}.txt`);
    const entry: SampleEntry = {
      id: p.id, image: p.img,
      labels: { normals: { file: p.norm, load: () => readNormalsPng(p.norm) } },
      files: [p.img, p.norm],
    };
    if (opts.requireCaptions) { entry.caption = { file: captionFile }; entry.files.push(captionFile); }
    else if (await pathExists(captionFile)) entry.caption = { file: captionFile };
    entries.push(entry);
  }
  const tasks: TaskName[] = ['normals'];
  const ds = await FileDataset.open({ name: 'nyuv2', root, split, tasks, entries }, opts);
  if (opts.resize === undefined) return ds;
  const size = opts.size ?? [512, 512];
  const policy = opts.resize;
  return mapDataset(ds, (s) => resizeSample(s, size, policy));
}
