// NYUD-MT (the multi-task NYUDv2 of MTI-Net / ATRC / InvPT). Two flavours of the same tree:
//   'invpt' (default; prismformore/Multi-Task-Transformer InvPT/data/nyud.py, from ATRC):
//     images/<id>.png          8-bit RGB
//     depth/<id>.npy           float32 [H, W] z-depth in metres (0 = invalid; InvPT's AddIgnoreRegions maps 0 → 255)
//     normals/<id>.png         8-bit RGB, decoded 2·rgb/255 − 1 (same frame and encoding as NYUv2 normals)
//     segmentation/<id>.png    8-bit, NYU 40 classes 1..40, 0 = void (the reader subtracts 1; void → 255)
//     edge/<id>.png            8-bit, 255 = edge (the reader divides by 255)
//   'mtinet' (SimonVandenhende/Multi-Task-Learning-PyTorch data/nyud.py): images/<id>.jpg, normals/<id>.npy
//     (float32 [H, W, 3], 0 = invalid), edge/<id>.npy (float32 [H, W], 1 = edge); depth and segmentation as above.
//   gt_sets/train.txt, gt_sets/val.txt   one id per line (test items go to 'val').
// <id> is the scene index with 6 digits. A no-surface pixel (open ceiling) cannot be marked invalid in a PNG
// normal map (InvPT treats only a decoded norm of 0 as invalid): it is written black, like NYUv2's invalid pixels.
import { encodeNpy } from '@diff2in1/tensor';
import { NYU40_OF_SEM, mapLabels } from '../classes.js';
import { labelToRaw, normalsToRaw, rgbToRaw } from '../toy-image.js';
import type { ExportItem, Layout } from './common.js';
import { captionsJson, edgeMap, jpeg, lines, pad, png } from './common.js';

function id(item: ExportItem): string {
  return pad(item.index, 6);
}

export const nyudmtLayout: Layout = {
  name: 'nyudmt',
  files(item, ctx) {
    const k = id(item);
    const mti = ctx.variant === 'mtinet';
    return [`images/${k}.${mti ? 'jpg' : 'png'}`, `depth/${k}.npy`, `normals/${k}.${mti ? 'npy' : 'png'}`, `segmentation/${k}.png`, `edge/${k}.${mti ? 'npy' : 'png'}`];
  },
  async encode(item, img, ctx) {
    const k = id(item);
    const { width: w, height: h } = img;
    const seg = mapLabels(img.semantic, NYU40_OF_SEM, 0);
    const edges = edgeMap(w, h, seg, img.instance);
    const out = new Map<string, Uint8Array>();
    if (ctx.variant === 'mtinet') {
      out.set(`images/${k}.jpg`, await jpeg(img, ctx.jpegQuality));
      out.set(`normals/${k}.npy`, encodeNpy(img.normals, [h, w, 3]));
      const e = new Float32Array(w * h);
      for (let i = 0; i < e.length; i++) e[i] = edges[i] ? 1 : 0;
      out.set(`edge/${k}.npy`, encodeNpy(e, [h, w]));
    } else {
      out.set(`images/${k}.png`, await png(rgbToRaw(img)));
      out.set(`normals/${k}.png`, await png(normalsToRaw(img)));
      out.set(`edge/${k}.png`, await png(labelToRaw(w, h, edges)));
    }
    out.set(`depth/${k}.npy`, encodeNpy(img.depth, [h, w]));
    out.set(`segmentation/${k}.png`, await png(labelToRaw(w, h, seg)));
    return { files: out, meta: { caption: img.caption } };
  },
  finish(items, metas) {
    return new Map<string, string>([
      ['gt_sets/train.txt', lines(items.filter((i) => i.split === 'train').map(id))],
      ['gt_sets/val.txt', lines(items.filter((i) => i.split === 'test').map(id))],
      ['captions.json', captionsJson(items, metas, id)],
    ]);
  },
};
