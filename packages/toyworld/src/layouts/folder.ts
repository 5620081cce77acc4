// Our own folder format (read by @diff2in1/datasets' folder reader), every label file written by the
// @diff2in1/tasks codec that reader decodes it with:
//   images/<id>.png    8-bit sRGB RGB
//   normals/<id>.png   8-bit RGB, rgb = round((n + 1) / 2 · 255) in Bae et al.'s NYUv2 frame, (0,0,0) = invalid
//   depth/<id>.png     16-bit grey, z-depth in millimetres, 0 = invalid
//   semseg/<id>.png    8-bit grey, SEMANTIC_CLASSES ids, 255 = ignore (no surface)
//   parts/<id>.png     8-bit grey, PART_CLASSES ids (0 = background / not a person)
//   saliency/<id>.png  8-bit grey, 255 = object, 0 = room
//   captions.json      {"<id>": "<caption>"} for every id
//   splits/train.txt, splits/test.txt   one id per line
//   classes.json       {semseg: {names, ignoreIndex}, parts: {names, ignoreIndex}} as the folder format specifies,
//                      plus colours, encodings, the camera intrinsics at this size and the dataset label maps
// ids are toy_<scene index, 6 digits>.
import { encodeClassPng, encodeDepthPng, encodeNormalsPng, encodeSaliencyPng } from '@diff2in1/tasks';
import { DATASET_CLASS_NAMES, IGNORE_INDEX, PART_CLASSES, SEMANTIC_CLASSES, ADE150_OF_SEM, CONTEXT459_OF_SEM, NYU40_OF_SEM, VOC21_OF_SEM } from '../classes.js';
import { NYU_INTRINSICS, scaleIntrinsics } from '../camera.js';
import { rgbToRaw, toyLabels } from '../toy-image.js';
import type { ExportItem, Layout, LayoutContext } from './common.js';
import { captionsJson, lines, pad, png } from './common.js';

export function folderId(item: ExportItem): string {
  return `toy_${pad(item.index, 6)}`;
}

const DIRS = ['images', 'normals', 'depth', 'semseg', 'parts', 'saliency'] as const;

export const folderLayout: Layout = {
  name: 'folder',
  files(item) {
    const id = folderId(item);
    return DIRS.map((d) => `${d}/${id}.png`);
  },
  async encode(item, img) {
    const id = folderId(item);
    const l = toyLabels(img);
    const files = new Map([
      [`images/${id}.png`, await png(rgbToRaw(img))],
      [`normals/${id}.png`, await png(encodeNormalsPng(l.normals))],
      [`depth/${id}.png`, await png(encodeDepthPng(l.depth))],
      [`semseg/${id}.png`, await png(encodeClassPng(l.semseg, { ignoreIndex: IGNORE_INDEX }))],
      [`parts/${id}.png`, await png(encodeClassPng(l.parts))],
      [`saliency/${id}.png`, await png(encodeSaliencyPng(l.saliency))],
    ]);
    return { files, meta: { caption: img.caption } };
  },
  finish(items, metas, ctx: LayoutContext) {
    // The semseg / parts entries are the folder format's schema (@diff2in1/datasets README, "Folder format");
    // colours and the salient flag are toyworld's additions, which readers ignore.
    const classes = {
      format: 'diff2in1-toyworld-folder/2',
      semseg: {
        names: SEMANTIC_CLASSES.map((c) => c.name),
        ignoreIndex: IGNORE_INDEX,
        colors: SEMANTIC_CLASSES.map((c) => c.color),
        salient: SEMANTIC_CLASSES.map((c) => c.salient),
      },
      parts: { names: PART_CLASSES.map((c) => c.name), ignoreIndex: IGNORE_INDEX, colors: PART_CLASSES.map((c) => c.color) },
      saliency: { object: 255, room: 0 },
      depth: { unit: 'mm', bitDepth: 16, invalid: 0, kind: 'z-depth (camera frame), not ray length' },
      normals: {
        encoding: 'rgb = round((n + 1) / 2 * 255); decode rgb / 255 * 2 - 1; (0, 0, 0) = invalid',
        frame: "Bae et al. NYUv2: x left, y up, z towards the camera (the camera-facing normal); = -(OpenCV x right, y down, z forward)",
      },
      camera: scaleIntrinsics(NYU_INTRINSICS, ctx.width, ctx.height),
      datasetMaps: {
        nyu40: { table: NYU40_OF_SEM, names: DATASET_CLASS_NAMES.nyu40, void: 0 },
        context459: { table: CONTEXT459_OF_SEM, names: DATASET_CLASS_NAMES.context459, void: 0 },
        voc21: { table: VOC21_OF_SEM, names: DATASET_CLASS_NAMES.voc21, void: 255 },
        ade150: { table: ADE150_OF_SEM, names: DATASET_CLASS_NAMES.ade150, void: 0 },
      },
      seed: ctx.seed,
    };
    return new Map<string, string>([
      ['captions.json', captionsJson(items, metas, folderId)],
      ['splits/train.txt', lines(items.filter((i) => i.split === 'train').map(folderId))],
      ['splits/test.txt', lines(items.filter((i) => i.split === 'test').map(folderId))],
      ['classes.json', JSON.stringify(classes, null, 2) + '\n'],
    ]);
  },
};
