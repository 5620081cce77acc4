// PASCAL-Context multi-task (PASCAL_MT of MTI-Net / ATRC / InvPT; reader: InvPT/data/pascal_context.py):
//   JPEGImages/<id>.jpg                   8-bit RGB JPEG
//   semseg/pascal-context/<id>.png        8-bit, 21 classes (0 background, 1..20 VOC; only person = 15 occurs), 255 = void
//   pascal-context/trainval/<id>.mat      MAT v5, variable LabelMap: uint16 [H, W], PASCAL-Context 459-label ids
//                                         (0 = void). The reader derives edges from it (Laplacian ≠ 0, thinned)
//                                         and keeps distilled normals only on labels whose names are NYU classes.
//   human_parts/<id>.mat                  MAT v5 PASCAL-Part record: anno = struct(imname, objects) with objects a
//                                         1×N struct(class, class_ind, mask, parts), parts a 1×M struct(part_name,
//                                         mask); one object per visible person (class 'person', class_ind 15),
//                                         part names head/hair/neck/torso/[lr]uarm/[lr]larm/[lr]uleg/[lr]lleg/[lr]foot,
//                                         masks uint8 [H, W]. N = 0 (a 1×0 struct) when no person is visible.
//   normals_distill/<id>.png              8-bit RGB normals, decoded 2·rgb/255 − 1 (Bae frame, as NYUv2)
//   sal_distill/<id>.png                  8-bit, 255 = salient (the reader thresholds /255 > 0.5)
//   ImageSets/Context/train.txt, val.txt  one id per line (test items go to 'val')
//   ImageSets/Parts/train.txt, val.txt    the JSON {id: [VOC class of each human_parts object]} that the reader's
//                                         _preprocess_parts would write (area_thres = 0), so it is not redone
// <id> is toy_<scene index, 6 digits>. Field order inside the structs matters: the reader indexes fields by position.
import { encodeSaliencyPng } from '@diff2in1/tasks';
import { CONTEXT459_OF_SEM, VOC21_OF_SEM, VOC_PERSON, mapLabels } from '../classes.js';
import { encodeMat, matChar, matMatrix, matScalar, matStructRow } from '../mat5.js';
import type { MatValue } from '../mat5.js';
import { labelToRaw, normalsToRaw, toyLabels } from '../toy-image.js';
import type { ToyImage } from '../toy-image.js';
import type { ExportItem, ItemMeta, Layout } from './common.js';
import { captionsJson, jpeg, lines, pad, png } from './common.js';

export function pascalId(item: ExportItem): string {
  return `toy_${pad(item.index, 6)}`;
}

const PART_ORDER = ['head', 'hair', 'neck', 'torso', 'luarm', 'llarm', 'ruarm', 'rlarm', 'luleg', 'llleg', 'ruleg', 'rlleg', 'lfoot', 'rfoot'];

/** The human_parts record of an image: one object per visible person, one part per visible part name. */
export function humanParts(img: ToyImage, imname: string): { anno: MatValue; categories: number[] } {
  const { width: w, height: h } = img;
  const names: string[] = [];
  for (const o of img.scene.objects) for (const q of o.primitives) names.push(q.partName ?? '');
  const objects: Record<string, MatValue>[] = [];
  img.scene.objects.forEach((o, k) => {
    if (o.kind !== 'person') return;
    const mask = new Uint8Array(w * h);
    const partMasks = new Map<string, Uint8Array>();
    let area = 0;
    for (let p = 0; p < w * h; p++) {
      if (img.instance[p] !== k + 1) continue;
      mask[p] = 1;
      area++;
      const name = names[img.primitive[p] as number] as string;
      let m = partMasks.get(name);
      if (!m) { m = new Uint8Array(w * h); partMasks.set(name, m); }
      m[p] = 1;
    }
    if (area === 0) return;
    const parts = PART_ORDER.filter((n) => partMasks.has(n)).map((n) => ({ part_name: matChar(n), mask: matMatrix('uint8', h, w, partMasks.get(n) as Uint8Array) }));
    objects.push({ class: matChar('person'), class_ind: matScalar(VOC_PERSON), mask: matMatrix('uint8', h, w, mask), parts: matStructRow(['part_name', 'mask'], parts) });
  });
  const anno = matStructRow(['imname', 'objects'], [{ imname: matChar(imname), objects: matStructRow(['class', 'class_ind', 'mask', 'parts'], objects) }]);
  return { anno, categories: objects.map(() => VOC_PERSON) };
}

/** The JSON text InvPT's _preprocess_parts writes for ImageSets/Parts/<split>.txt. */
function partsIndex(ids: readonly string[], cats: readonly number[][]): string {
  if (ids.length === 0) return '{\n}\n';
  const entry = (k: number): string => `"${ids[k] as string}": ${JSON.stringify(cats[k]).replace(/,/g, ', ')}`;
  let s = `{\n\t${entry(0)}`;
  for (let k = 1; k < ids.length; k++) s += `,\n\t${entry(k)}`;
  return `${s}\n}\n`;
}

export const pascalLayout: Layout = {
  name: 'pascal',
  files(item) {
    const id = pascalId(item);
    return [`JPEGImages/${id}.jpg`, `semseg/pascal-context/${id}.png`, `pascal-context/trainval/${id}.mat`, `human_parts/${id}.mat`, `normals_distill/${id}.png`, `sal_distill/${id}.png`];
  },
  async encode(item, img, ctx) {
    const id = pascalId(item);
    const { width: w, height: h } = img;
    const labelMap = mapLabels(img.semantic, CONTEXT459_OF_SEM, 0);
    const { anno, categories } = humanParts(img, id);
    const files = new Map<string, Uint8Array>([
      [`JPEGImages/${id}.jpg`, await jpeg(img, ctx.jpegQuality)],
      [`semseg/pascal-context/${id}.png`, await png(labelToRaw(w, h, mapLabels(img.semantic, VOC21_OF_SEM, 255)))],
      [`pascal-context/trainval/${id}.mat`, encodeMat({ LabelMap: matMatrix('uint16', h, w, labelMap) })],
      [`human_parts/${id}.mat`, encodeMat({ anno })],
      [`normals_distill/${id}.png`, await png(normalsToRaw(img))],
      [`sal_distill/${id}.png`, await png(encodeSaliencyPng(toyLabels(img).saliency))],
    ]);
    return { files, meta: { caption: img.caption, partObjects: categories } };
  },
  finish(items, metas) {
    const out = new Map<string, string>();
    for (const [split, name] of [['train', 'train'], ['test', 'val']] as const) {
      const ks = items.map((it, k) => (it.split === split ? k : -1)).filter((k) => k >= 0);
      const ids = ks.map((k) => pascalId(items[k] as ExportItem));
      out.set(`ImageSets/Context/${name}.txt`, lines(ids));
      out.set(`ImageSets/Parts/${name}.txt`, partsIndex(ids, ks.map((k) => (metas[k] as ItemMeta).partObjects ?? [])));
    }
    out.set('captions.json', captionsJson(items, metas, pascalId));
    return out;
  },
};
