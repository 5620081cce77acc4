// ADE20K SceneParsing (ADEChallengeData2016, as read by mmsegmentation's ADE20KDataset with reduce_zero_label):
//   ADEChallengeData2016/images/training/ADE_train_<8 digits>.jpg        8-bit RGB JPEG
//   ADEChallengeData2016/annotations/training/ADE_train_<8 digits>.png   8-bit, 150 classes 1..150, 0 = other/ignore
//   ADEChallengeData2016/images/validation/ADE_val_<8 digits>.jpg, annotations/validation/ADE_val_<8 digits>.png
// Numbers are 1-based positions within the split. Class ids follow objectInfo150 (ADE150_OF_SEM in classes.ts).
import { ADE150_OF_SEM, mapLabels } from '../classes.js';
import { labelToRaw } from '../toy-image.js';
import type { ExportItem, Layout } from './common.js';
import { captionsJson, jpeg, pad, png } from './common.js';

const ROOT = 'ADEChallengeData2016';

function names(item: ExportItem): { img: string; ann: string; stem: string } {
  const train = item.split === 'train';
  const stem = `${train ? 'ADE_train' : 'ADE_val'}_${pad(item.ordinal + 1, 8)}`;
  const dir = train ? 'training' : 'validation';
  return { img: `${ROOT}/images/${dir}/${stem}.jpg`, ann: `${ROOT}/annotations/${dir}/${stem}.png`, stem };
}

export const ade20kLayout: Layout = {
  name: 'ade20k',
  files(item) {
    const n = names(item);
    return [n.img, n.ann];
  },
  async encode(item, img, ctx) {
    const n = names(item);
    const files = new Map([
      [n.img, await jpeg(img, ctx.jpegQuality)],
      [n.ann, await png(labelToRaw(img.width, img.height, mapLabels(img.semantic, ADE150_OF_SEM, 0)))],
    ]);
    return { files, meta: { caption: img.caption } };
  },
  finish(items, metas) {
    return new Map([[`${ROOT}/captions.json`, captionsJson(items, metas, (it) => names(it).stem)]]);
  },
};
