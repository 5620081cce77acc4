// makeScene: a random indoor scene, a pure function of (seed, index).
import { Diff2in1Error } from '@diff2in1/tensor';
import { NYU_INTRINSICS, lookAt } from './camera.js';
import type { CameraPose } from './camera.js';
import { OBJECT_COLORS } from './classes.js';
import type { NamedColor, ObjectKind } from './classes.js';
import { boundRadius, buildPerson, drawPersonParams, personFootprint } from './person.js';
import type { PersonParams } from './person.js';
import { objectPixelCounts, PROBE_HEIGHT, PROBE_WIDTH } from './render.js';
import { sceneRandom } from './scene-random.js';
import type { SceneRandom } from './scene-random.js';
import type { Light, Material, Pattern, Primitive, Room, Scene, SceneObject, Vec3, WallId } from './types.js';

export interface SceneOptions {
  /** Fewest objects (default 1). */
  minObjects?: number;
  /** Most objects (default 6). */
  maxObjects?: number;
  /** Relative frequency of each object kind (defaults: box 28, sphere 22, cylinder 22, cone 16, person 12). */
  kindWeights?: Partial<Record<ObjectKind, number>>;
}

const KINDS: readonly ObjectKind[] = ['box', 'sphere', 'cylinder', 'cone', 'person'];
const DEFAULT_WEIGHTS: Record<ObjectKind, number> = { box: 28, sphere: 22, cylinder: 22, cone: 16, person: 12 };
const MAX_PEOPLE = 2;

const WALLS: readonly Vec3[] = [[236, 233, 226], [238, 226, 196], [200, 200, 198], [190, 208, 222], [200, 218, 190], [214, 196, 170], [226, 190, 170]];
const WOOD: readonly Vec3[] = [[150, 100, 60], [190, 140, 90], [120, 80, 50], [205, 170, 120]];
const TILE: readonly Vec3[] = [[220, 220, 215], [180, 180, 178], [200, 190, 170], [90, 90, 95]];
const CARPET: readonly Vec3[] = [[130, 130, 128], [170, 155, 130], [95, 105, 125], [120, 60, 55], [80, 110, 90]];

function shade(c: Vec3, k: number): Vec3 {
  // k < 0 darkens towards black, k > 0 lightens towards white.
  return c.map((v) => Math.round(k < 0 ? v * (1 + k) : v + (255 - v) * k)) as Vec3;
}

function material(color: Vec3, color2: Vec3, pattern: Pattern, scale: number, axis: 0 | 1 | 2 = 0, emission = 0): Material {
  return { color, color2, pattern, scale, axis, emission };
}

function objectMaterial(rng: SceneRandom, c: NamedColor): Material {
  const k = rng.weighted([45, 20, 15, 20]);
  const base = c.srgb;
  const other = shade(base, c.name === 'white' ? -0.35 : c.name === 'black' ? 0.35 : rng.chance(0.5) ? 0.45 : -0.45);
  if (k === 0) return material(base, base, 'plain', 1);
  if (k === 1) return material(base, other, 'checker', rng.uniform(4, 10));
  if (k === 2) return material(base, other, 'stripes', rng.uniform(5, 12), rng.pick([0, 1, 2] as const));
  return material(base, shade(base, -0.3), 'noise', rng.uniform(4, 10));
}

function makeRoom(rng: SceneRandom, materials: Material[]): { room: Room; light: Light } {
  const W = rng.uniform(3.2, 6), D = rng.uniform(3.5, 7), H = rng.uniform(2.5, 3);
  const ceiling = rng.chance(0.85);
  const wc = rng.pick(WALLS);
  const wk = rng.weighted([60, 25, 15]);
  const wall = wk === 0 ? material(wc, wc, 'plain', 1) : wk === 1 ? material(wc, shade(wc, -0.12), 'noise', rng.uniform(2, 6)) : material(wc, shade(wc, -0.1), 'stripes', rng.uniform(4, 8), 0);
  const fk = rng.weighted([45, 25, 30]);
  let floor: Material;
  if (fk === 0) { const c = rng.pick(WOOD); floor = material(c, shade(c, -0.25), 'stripes', rng.uniform(5, 8), rng.pick([0, 1] as const)); }
  else if (fk === 1) { const c = rng.pick(TILE); floor = material(c, shade(c, rng.chance(0.5) ? -0.3 : 0.3), 'checker', rng.uniform(1.5, 3)); }
  else { const c = rng.pick(CARPET); floor = material(c, shade(c, -0.3), 'noise', rng.uniform(3, 8)); }
  const ceil = material([240, 240, 236], [240, 240, 236], 'plain', 1);
  const wallMaterial = materials.push(wall) - 1;
  const floorMaterial = materials.push(floor) - 1;
  const ceilingMaterial = materials.push(ceil) - 1;

  let window: Room['window'] = null;
  const hasWindow = rng.chance(0.7);
  const sunny = hasWindow && rng.chance(0.8);
  if (hasWindow) {
    const wallId = rng.pick([0, 1, 4, 5] as const) as WallId;
    const len = wallId <= 1 ? D : W;
    const width = rng.uniform(0.8, Math.min(1.8, len - 1));
    const u0 = rng.uniform(0.4, len - 0.4 - width);
    const v0 = rng.uniform(0.8, 1.1);
    const height = rng.uniform(0.9, Math.min(1.5, H - v0 - 0.25));
    const m = materials.push(material([215, 232, 255], [215, 232, 255], 'plain', 1, 0, sunny ? rng.uniform(1.6, 2.2) : rng.uniform(0.9, 1.3))) - 1;
    window = { wall: wallId, u0, u1: u0 + width, v0, v1: v0 + height, material: m };
  }
  let light: Light;
  if (window && sunny) {
    const out: Vec3 = window.wall === 0 ? [-1, 0, 0] : window.wall === 1 ? [1, 0, 0] : window.wall === 4 ? [0, 0, -1] : [0, 0, 1];
    const el = rng.uniform(0.35, 0.85), az = rng.uniform(-0.6, 0.6);
    const ca = Math.cos(az), sa = Math.sin(az);
    const hx = ca * out[0] - sa * out[2], hz = sa * out[0] + ca * out[2];
    light = { kind: 'sun', direction: [Math.cos(el) * hx, Math.sin(el), Math.cos(el) * hz], intensity: rng.uniform(2.2, 3.2), color: [1, 0.95, 0.86], ambient: rng.uniform(0.3, 0.42) };
  } else {
    const y = ceiling ? H - 0.3 : 2.2;
    light = { kind: 'lamp', position: [rng.uniform(0.25, 0.75) * W, y, rng.uniform(0.25, 0.75) * D], intensity: rng.uniform(3.5, 6), color: [1, 0.92, 0.8], ambient: rng.uniform(0.26, 0.38) };
  }
  return { room: { size: [W, H, D], ceiling, wallMaterial, floorMaterial, ceilingMaterial, window }, light };
}

interface Placed {
  x: number;
  z: number;
  r: number;
  /** Top of a box that can carry a small object (0 when it cannot). */
  shelfY: number;
  shelfR: number;
  carries: boolean;
}

interface Pending {
  object: SceneObject | null;
  person: { params: PersonParams; x: number; z: number; color: NamedColor; material: number } | null;
}

function place(rng: SceneRandom, room: Room, placed: Placed[], r: number): { x: number; z: number } | null {
  const [W, , D] = room.size;
  const m = 0.15;
  if (2 * (r + m) >= W || 2 * (r + m) >= D) return null;
  for (let tries = 0; tries < 40; tries++) {
    const x = rng.uniform(m + r, W - m - r), z = rng.uniform(m + r, D - m - r);
    if (placed.every((p) => Math.hypot(p.x - x, p.z - z) >= p.r + r + 0.05)) return { x, z };
  }
  return null;
}

function finish(kind: ObjectKind, color: NamedColor, prims: Primitive[], anchor: Vec3, yaw: number, center: Vec3): SceneObject {
  return { kind, colorName: color.name, primitives: prims, bound: { center, radius: boundRadius(prims, center) }, anchor, yaw };
}

/** Draws one object (a person's pose is drawn now, its primitives are built once the camera is known). */
function makeObject(rng: SceneRandom, kind: ObjectKind, room: Room, placed: Placed[], materials: Material[]): Pending | null {
  const color = rng.pick(OBJECT_COLORS);
  const mat = materials.push(objectMaterial(rng, color)) - 1;
  if (kind === 'person') {
    const params = drawPersonParams(rng);
    const r = personFootprint(params);
    const at = place(rng, room, placed, r);
    if (!at) return null;
    placed.push({ ...at, r, shelfY: 0, shelfR: 0, carries: false });
    return { object: null, person: { params, x: at.x, z: at.z, color, material: mat } };
  }
  if (kind === 'box') {
    const hx = rng.uniform(0.15, 0.5), hy = rng.uniform(0.15, 0.55), hz = rng.uniform(0.15, 0.5), yaw = rng.uniform(0, Math.PI);
    const r = Math.hypot(hx, hz);
    const at = place(rng, room, placed, r);
    if (!at) return null;
    placed.push({ ...at, r, shelfY: 2 * hy, shelfR: Math.min(hx, hz), carries: false });
    const c: Vec3 = [at.x, hy, at.z];
    return { object: finish(kind, color, [{ type: 'box', center: c, half: [hx, hy, hz], yaw, material: mat, part: 0 }], [at.x, 0, at.z], yaw, c), person: null };
  }
  // Small objects may stand on a box.
  const lying = kind === 'cylinder' && rng.chance(0.25);
  const size = kind === 'sphere' ? rng.uniform(0.12, 0.4) : kind === 'cone' ? rng.uniform(0.12, 0.35) : lying ? rng.uniform(0.1, 0.25) : rng.uniform(0.1, 0.35);
  const half = kind === 'cylinder' ? rng.uniform(lying ? 0.2 : 0.15, 0.5) : 0;
  const coneH = kind === 'cone' ? rng.uniform(0.3, 0.9) : 0;
  const yaw = rng.uniform(0, 2 * Math.PI);
  const stack = !lying && rng.chance(0.25) ? placed.find((p) => !p.carries && p.shelfR >= size) : undefined;
  let x: number, z: number, y0: number;
  if (stack) {
    stack.carries = true;
    x = stack.x; z = stack.z; y0 = stack.shelfY;
  } else {
    const r = lying ? Math.hypot(half, size) : size;
    const at = place(rng, room, placed, r);
    if (!at) return null;
    placed.push({ ...at, r, shelfY: 0, shelfR: 0, carries: false });
    x = at.x; z = at.z; y0 = 0;
  }
  if (kind === 'sphere') {
    const c: Vec3 = [x, y0 + size, z];
    return { object: finish(kind, color, [{ type: 'sphere', center: c, radius: size, material: mat, part: 0 }], [x, y0, z], yaw, c), person: null };
  }
  if (kind === 'cone') {
    const c: Vec3 = [x, y0 + coneH / 2, z];
    return { object: finish(kind, color, [{ type: 'cone', base: [x, y0, z], height: coneH, radius: size, material: mat, part: 0 }], [x, y0, z], yaw, c), person: null };
  }
  const axis: Vec3 = lying ? [Math.cos(yaw), 0, Math.sin(yaw)] : [0, 1, 0];
  const c: Vec3 = lying ? [x, size, z] : [x, y0 + half, z];
  return { object: finish(kind, color, [{ type: 'cylinder', center: c, axis, halfLength: half, radius: size, material: mat, part: 0 }], [x, y0, z], lying ? 0 : yaw, c), person: null };
}

/** Builds the scene's objects and a camera looking at them; people turn roughly towards the camera. */
function chooseCamera(rng: SceneRandom, room: Room, pending: Pending[], materials: Material[], base: Omit<Scene, 'objects' | 'camera'>): Scene {
  const [W, H, D] = room.size;
  const centers = pending.map((p) => (p.object ? p.object.bound.center : ([p.person!.x, p.person!.params.height / 2, p.person!.z] as Vec3)));
  const foot = pending.map((p) => (p.object ? Math.hypot(p.object.bound.radius, 0) : personFootprint(p.person!.params)));
  const n = centers.length;
  const mean: Vec3 = [0, 0, 0];
  for (const c of centers) for (let k = 0; k < 3; k++) mean[k] = (mean[k] as number) + (c[k] as number) / n;
  const nMat = materials.length;
  let best: Scene | null = null;
  let bestScore = -1;
  for (let attempt = 0; attempt < 40; attempt++) {
    materials.length = nMat;
    const pos: Vec3 = [rng.uniform(0.35, W - 0.35), rng.uniform(1.0, Math.min(1.75, H - 0.4)), rng.uniform(0.35, D - 0.35)];
    // Aim at the objects' centroid, or at one object, with some jitter.
    const aim = rng.chance(0.35) ? (centers[rng.int(0, n - 1)] as Vec3) : mean;
    const target: Vec3 = [aim[0] + rng.uniform(-0.25, 0.25), Math.max(0.15, aim[1] * rng.uniform(0.5, 1.1)), aim[2] + rng.uniform(-0.25, 0.25)];
    const roll = rng.uniform(-0.05, 0.05);
    const clear = centers.every((c, k) => Math.hypot(c[0] - pos[0], c[2] - pos[2]) >= (foot[k] as number) + 0.35);
    if (!clear || Math.hypot(target[0] - pos[0], target[2] - pos[2]) < 1.2) continue;
    let camera: CameraPose;
    try { camera = lookAt(pos, target, roll); } catch { continue; }
    const objects = pending.map((p) => {
      if (p.object) return p.object;
      const q = p.person!;
      const yaw = Math.atan2(pos[0] - q.x, pos[2] - q.z) + rng.uniform(-0.8, 0.8);
      return buildPerson(q.params, q.x, q.z, yaw, q.color, q.material, materials);
    });
    const scene: Scene = { ...base, materials: materials.slice(), objects, camera };
    const counts = objectPixelCounts(scene, PROBE_WIDTH, PROBE_HEIGHT);
    const total = counts.reduce((a, b) => a + b, 0);
    const biggest = Math.max(...counts);
    const all = PROBE_WIDTH * PROBE_HEIGHT;
    const visible = counts.filter((c) => c >= 2).length;
    const score = visible + total / all;
    if (score > bestScore) { bestScore = score; best = scene; }
    // Good enough: something clearly in view and most objects visible.
    if (biggest >= 0.01 * all && total >= 0.03 * all && visible >= Math.ceil(n * 0.6)) return scene;
  }
  if (best) return best;
  // No admissible camera position (a crowded room): stand in a corner and look at the centroid.
  const pos: Vec3 = [0.3, 1.4, 0.3];
  const camera = lookAt(pos, [mean[0], Math.max(0.2, mean[1]), mean[2]]);
  const objects = pending.map((p) => p.object ?? buildPerson(p.person!.params, p.person!.x, p.person!.z, 0, p.person!.color, p.person!.material, materials));
  return { ...base, materials: materials.slice(), objects, camera };
}

/** A random indoor scene, deterministic in (seed, index). */
export function makeScene(seed: number, index: number, opts: SceneOptions = {}): Scene {
  const minObjects = opts.minObjects ?? 1;
  const maxObjects = opts.maxObjects ?? 6;
  if (!Number.isInteger(minObjects) || !Number.isInteger(maxObjects) || minObjects < 1 || maxObjects < minObjects || maxObjects > 12) {
    throw new Diff2in1Error('toyworld', `makeScene: need integers 1 ≤ minObjects ≤ maxObjects ≤ 12, got ${minObjects}..${maxObjects}`);
  }
  const weights = KINDS.map((k) => opts.kindWeights?.[k] ?? DEFAULT_WEIGHTS[k]);
  if (weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0)) throw new Diff2in1Error('toyworld', `makeScene: kindWeights must be ≥ 0 and not all 0 (kinds: ${KINDS.join(', ')})`);
  const rng = sceneRandom(seed, index);
  const materials: Material[] = [];
  const { room, light } = makeRoom(rng, materials);
  const count = rng.int(minObjects, maxObjects);
  const placed: Placed[] = [];
  const pending: Pending[] = [];
  let people = 0;
  for (let k = 0; k < count; k++) {
    let kind = KINDS[rng.weighted(weights)] as ObjectKind;
    if (kind === 'person' && people >= MAX_PEOPLE) kind = 'box';
    const o = makeObject(rng, kind, room, placed, materials);
    if (!o) continue;
    if (o.person) people++;
    pending.push(o);
  }
  if (pending.length === 0) {
    // The room was too crowded for every draw (cannot happen with the default sizes): one small sphere.
    const m = materials.push(material([200, 30, 30], [200, 30, 30], 'plain', 1)) - 1;
    const [W, , D] = room.size;
    const c: Vec3 = [W / 2, 0.2, D / 2];
    const red = OBJECT_COLORS[0] as NamedColor;
    pending.push({ object: finish('sphere', red, [{ type: 'sphere', center: c, radius: 0.2, material: m, part: 0 }], [W / 2, 0, D / 2], 0, c), person: null });
  }
  const base = { id: `${seed}-${index}`, seed, index, room, light, materials, intrinsics: { ...NYU_INTRINSICS } };
  return chooseCamera(rng, room, pending, materials, base);
}
