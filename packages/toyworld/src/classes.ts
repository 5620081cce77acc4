// Label spaces of the toy world and how they map onto the real datasets' label spaces.
//
// Our own semantic classes (the `semantic` map and the folder layout's semseg PNGs). 255 = no surface (void).
// Part labels mirror PASCAL-Context's 6-part human parsing (InvPT / MTI-Net `HUMAN_PART[6]`: head 1, torso 2,
// upper arm 3, lower arm + hand 4, upper leg 5, lower leg + foot 6), so a toy "person" is labelled exactly as a
// PASCAL person would be after that merge.
import { Diff2in1Error } from '@diff2in1/tensor';

/** Semantic class ids of the toy world. */
export const SEM = {
  wall: 0,
  floor: 1,
  ceiling: 2,
  window: 3,
  box: 4,
  sphere: 5,
  cylinder: 6,
  cone: 7,
  person: 8,
} as const;

/** Value of `semantic` (and of every 8-bit label PNG we write in the folder layout) where no surface was hit. */
export const IGNORE_INDEX = 255;

export type SemanticName = keyof typeof SEM;
export type ObjectKind = 'box' | 'sphere' | 'cylinder' | 'cone' | 'person';
/** The object kinds a scene draws from (SceneOptions.kindWeights keys). */
export const OBJECT_KINDS: readonly ObjectKind[] = ['box', 'sphere', 'cylinder', 'cone', 'person'];

export interface ClassInfo {
  id: number;
  name: string;
  /** Palette colour for visualisations (sRGB 0..255). */
  color: [number, number, number];
  /** 1 for objects (salient), 0 for the room. */
  salient: 0 | 1;
}

/** Our semantic classes in id order. */
export const SEMANTIC_CLASSES: readonly ClassInfo[] = [
  { id: 0, name: 'wall', color: [174, 199, 232], salient: 0 },
  { id: 1, name: 'floor', color: [152, 223, 138], salient: 0 },
  { id: 2, name: 'ceiling', color: [78, 71, 183], salient: 0 },
  { id: 3, name: 'window', color: [197, 176, 213], salient: 0 },
  { id: 4, name: 'box', color: [214, 39, 40], salient: 1 },
  { id: 5, name: 'sphere', color: [31, 119, 180], salient: 1 },
  { id: 6, name: 'cylinder', color: [255, 127, 14], salient: 1 },
  { id: 7, name: 'cone', color: [44, 160, 44], salient: 1 },
  { id: 8, name: 'person', color: [148, 103, 189], salient: 1 },
];

/** Part ids (0 = not a person part). */
export const PART = { background: 0, head: 1, torso: 2, upperArm: 3, lowerArm: 4, upperLeg: 5, lowerLeg: 6 } as const;

/** Person-part classes in id order (PASCAL-Context's 6-part merge + background). */
export const PART_CLASSES: readonly { id: number; name: string; color: [number, number, number] }[] = [
  { id: 0, name: 'background', color: [0, 0, 0] },
  { id: 1, name: 'head', color: [128, 0, 0] },
  { id: 2, name: 'torso', color: [0, 128, 0] },
  { id: 3, name: 'upper arm', color: [128, 128, 0] },
  { id: 4, name: 'lower arm', color: [0, 0, 128] },
  { id: 5, name: 'upper leg', color: [128, 0, 128] },
  { id: 6, name: 'lower leg', color: [0, 128, 128] },
];

/**
 * NYUv2 40-class ids (Gupta et al. 2013) as used by NYUD-MT: 1 wall, 2 floor, 9 window, 22 ceiling, 29 box,
 * 31 person, 40 otherprop (names in InvPT evaluation/eval_semseg.py NYU_CATEGORY_NAMES, 1-based; the PNGs store
 * 0 = void and the reader subtracts 1). Spheres, cylinders and cones have no NYU class: they are "otherprop".
 */
export const NYU40_OF_SEM: readonly number[] = [1, 2, 22, 9, 29, 40, 40, 40, 31];

/**
 * PASCAL-Context 459-label ids for `pascal-context/trainval/*.mat` LabelMap (InvPT data/db_info/context_classes.json):
 * wall 440, floor 158, ceiling 68, window 454, box 37, ball 10, barrel 13, cone 87, person 284. All nine names
 * also occur in NYU's class list, so the upstream reader keeps distilled normals on every toy surface.
 */
export const CONTEXT459_OF_SEM: readonly number[] = [440, 158, 68, 454, 37, 10, 13, 87, 284];

/**
 * PASCAL-Context multi-task semseg (21 classes: 0 background + the 20 VOC classes). Only person (15) exists in
 * the toy world; every other surface is background 0.
 */
export const VOC21_OF_SEM: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0, 15];

/** VOC class index of person, the PASCAL-Part category whose parts are parsed (InvPT `human_parts_category`). */
export const VOC_PERSON = 15;

/**
 * ADE20K SceneParsing (ADEChallengeData2016, objectInfo150) ids, 0 = other/ignore: wall 1, floor 4, ceiling 6,
 * windowpane 9, box 42, ball 120, barrel 112, plaything 109 (cones), person 13.
 */
export const ADE150_OF_SEM: readonly number[] = [1, 4, 6, 9, 42, 120, 112, 109, 13];

/** Names of the target classes above, for documentation files written next to exports. */
export const DATASET_CLASS_NAMES = {
  nyu40: { 1: 'wall', 2: 'floor', 9: 'window', 22: 'ceiling', 29: 'box', 31: 'person', 40: 'otherprop' },
  context459: { 440: 'wall', 158: 'floor', 68: 'ceiling', 454: 'window', 37: 'box', 10: 'ball', 13: 'barrel', 87: 'cone', 284: 'person' },
  voc21: { 0: 'background', 15: 'person' },
  ade150: { 1: 'wall', 4: 'floor', 6: 'ceiling', 9: 'windowpane', 42: 'box', 120: 'ball', 112: 'barrel', 109: 'plaything', 13: 'person' },
} as const;

/**
 * Maps a semantic map through `table` (ours → theirs), writing `voidValue` where ours is IGNORE_INDEX. Without
 * `out` the result is a Uint8Array when every possible value fits 8 bits and a Uint16Array otherwise (PASCAL-Context's
 * 459-label ids), so no id ever wraps.
 */
export function mapLabels(semantic: Uint8Array, table: readonly number[], voidValue: number, out?: Uint8Array | Uint16Array): Uint8Array | Uint16Array {
  const max = Math.max(voidValue, ...table);
  if (![voidValue, ...table].every((v) => Number.isInteger(v) && v >= 0 && v <= 65535)) {
    throw new Diff2in1Error('toyworld', `mapLabels: table and void value must be integers in 0..65535, got max ${max}`);
  }
  const dst = out ?? (max <= 255 ? new Uint8Array(semantic.length) : new Uint16Array(semantic.length));
  if (dst.length !== semantic.length) throw new Diff2in1Error('toyworld', `mapLabels: out has ${dst.length} entries for ${semantic.length} pixels`);
  if (dst instanceof Uint8Array && max > 255) throw new Diff2in1Error('toyworld', `mapLabels: ids up to ${max} do not fit the Uint8Array given as out; pass a Uint16Array or none`);
  for (let i = 0; i < semantic.length; i++) {
    const s = semantic[i] as number;
    const t = s === IGNORE_INDEX ? voidValue : table[s];
    if (t === undefined) throw new Diff2in1Error('toyworld', `mapLabels: semantic id ${s} has no entry in a table of ${table.length} classes`);
    dst[i] = t;
  }
  return dst;
}

/** A named colour: the caption's colour word comes from here. Linear-light RGB is derived from the sRGB value. */
export interface NamedColor {
  name: string;
  srgb: [number, number, number];
}

/** Object colours; caption colour words are these names. */
export const OBJECT_COLORS: readonly NamedColor[] = [
  { name: 'red', srgb: [200, 30, 30] },
  { name: 'green', srgb: [40, 150, 50] },
  { name: 'blue', srgb: [35, 70, 200] },
  { name: 'yellow', srgb: [235, 205, 40] },
  { name: 'orange', srgb: [240, 120, 20] },
  { name: 'purple', srgb: [120, 50, 160] },
  { name: 'pink', srgb: [240, 130, 170] },
  { name: 'brown', srgb: [120, 75, 40] },
  { name: 'white', srgb: [235, 235, 230] },
  { name: 'black', srgb: [30, 30, 32] },
  { name: 'gray', srgb: [128, 128, 128] },
  { name: 'teal', srgb: [20, 140, 140] },
];

/** Converts an sRGB byte to linear light (IEC 61966-2-1). */
export function srgbToLinear(v: number): number {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}
