// NYUv2 surface normals as released by Bae et al. and read by the official Diff-2-in-1 code
// (zsh2000/diff-2-in-1 ldm/data/nyu.py; baegwangbin/surface_normal_uncertainty data/dataloader_nyu.py):
//   nyu/train/img/<id>.png       8-bit RGB
//   nyu/train/norm/<id>.png      8-bit RGB normals, decoded rgb / 255 · 2 − 1, black (0,0,0) = invalid
//   nyu/train/caption/<id>.txt   the caption, no trailing newline (read with f.read())
//   nyu/test/...                 the same for the test split
// <id> is the scene index with 6 digits (NYU's numbering style: train and test share one index space).
// The readers glob-sort each folder and pair files by position, so every id has all three files.
// Also written, outside nyu/: data_split/nyu_train.txt and nyu_test.txt in the form of Bae et al.'s split files
// ("train/img/<id>.png train/norm/<id>.png" per line), for their loader with NYU_PATH = DIR/nyu.
import { normalsToRaw, rgbToRaw } from '../toy-image.js';
import type { ExportItem, Layout } from './common.js';
import { lines, pad, png } from './common.js';

function stem(item: ExportItem): { dir: string; id: string } {
  return { dir: `nyu/${item.split}`, id: pad(item.index, 6) };
}

export const nyuv2Layout: Layout = {
  name: 'nyuv2',
  files(item) {
    const { dir, id } = stem(item);
    return [`${dir}/img/${id}.png`, `${dir}/norm/${id}.png`, `${dir}/caption/${id}.txt`];
  },
  async encode(item, img) {
    const { dir, id } = stem(item);
    const files = new Map([
      [`${dir}/img/${id}.png`, await png(rgbToRaw(img))],
      [`${dir}/norm/${id}.png`, await png(normalsToRaw(img))],
      [`${dir}/caption/${id}.txt`, new TextEncoder().encode(img.caption)],
    ]);
    return { files, meta: { caption: img.caption } };
  },
  finish(items) {
    const split = (name: 'train' | 'test'): string => lines(items.filter((i) => i.split === name).map((i) => {
      const id = pad(i.index, 6);
      return `${name}/img/${id}.png ${name}/norm/${id}.png`;
    }));
    return new Map([['data_split/nyu_train.txt', split('train')], ['data_split/nyu_test.txt', split('test')]]);
  },
};
