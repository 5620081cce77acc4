// Captions in the form "a room with a red box, a blue sphere and a green cylinder": the objects visible in the
// image, grouped by (kind, colour) in order of first appearance in scene.objects, counted ("two red boxes"),
// joined with commas and a final "and" (no Oxford comma). A person is named by shirt colour: "a person in red".
//
// Visibility is decided on a fixed 80×60 probe render (centre rays), so the caption of a scene does not depend
// on the output resolution: an object is listed iff it covers at least CAPTION_MIN_PIXELS probe pixels.
import type { ObjectKind } from './classes.js';
import { objectPixelCounts, PROBE_HEIGHT, PROBE_WIDTH } from './render.js';
import type { Scene } from './types.js';

/** Probe pixels (of 80×60) an object must cover to be captioned. */
export const CAPTION_MIN_PIXELS = 2;

const NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];
const PLURAL: Record<ObjectKind, string> = { box: 'boxes', sphere: 'spheres', cylinder: 'cylinders', cone: 'cones', person: 'people' };

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** Noun phrase for `count` objects of one kind and colour. */
export function objectPhrase(kind: ObjectKind, color: string, count: number): string {
  if (kind === 'person') return count === 1 ? `a person in ${color}` : `${NUMBERS[count] ?? String(count)} people in ${color}`;
  return count === 1 ? `${article(color)} ${color} ${kind}` : `${NUMBERS[count] ?? String(count)} ${color} ${PLURAL[kind]}`;
}

/** "a", "a and b", "a, b and c". */
export function joinPhrases(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] as string}`;
}

/** Caption listing the given objects (each {kind, colorName}) in order, grouped and counted. */
export function captionOf(objects: readonly { kind: ObjectKind; colorName: string }[]): string {
  const groups: { kind: ObjectKind; color: string; count: number }[] = [];
  for (const o of objects) {
    const g = groups.find((x) => x.kind === o.kind && x.color === o.colorName);
    if (g) g.count++;
    else groups.push({ kind: o.kind, color: o.colorName, count: 1 });
  }
  if (groups.length === 0) return 'an empty room';
  return `a room with ${joinPhrases(groups.map((g) => objectPhrase(g.kind, g.color, g.count)))}`;
}

/** Indices of the objects that the caption lists (visible in the probe render). */
export function visibleObjects(scene: Scene): number[] {
  const counts = objectPixelCounts(scene, PROBE_WIDTH, PROBE_HEIGHT);
  const out: number[] = [];
  counts.forEach((c, i) => { if (c >= CAPTION_MIN_PIXELS) out.push(i); });
  return out;
}

/** The scene's caption (resolution-independent; see the header comment). */
export function sceneCaption(scene: Scene): string {
  return captionOf(visibleObjects(scene).map((i) => scene.objects[i] as { kind: ObjectKind; colorName: string }));
}
