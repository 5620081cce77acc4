// The articulated class: a "person" built from spheres, boxes and cylinders, each primitive carrying its
// PASCAL-style part id (6-part merge: head, torso, upper arm, lower arm, upper leg, lower leg).
// Local frame: the person stands at the origin on the floor, faces +z, y up; local +x is the person's LEFT
// (right-handed axes). World = anchor + Ry(yaw)·local with x = c·x' + s·z', z = −s·x' + c·z'.
import { PART } from './classes.js';
import type { NamedColor } from './classes.js';
import type { SceneRandom } from './scene-random.js';
import type { Material, Primitive, SceneObject, Vec3 } from './types.js';

const SKIN: readonly Vec3[] = [[241, 194, 125], [224, 172, 105], [198, 134, 66], [141, 85, 36], [255, 219, 172]];
const HAIR: readonly Vec3[] = [[40, 28, 20], [20, 18, 18], [110, 75, 40], [200, 165, 100], [150, 150, 150]];
const TROUSERS: readonly Vec3[] = [[40, 52, 92], [28, 28, 30], [92, 72, 52], [100, 100, 106], [60, 80, 60]];
const SHOES: readonly Vec3[] = [[25, 25, 25], [80, 50, 30], [230, 230, 230]];

/** Body pose and size, drawn once per person (independent of where the camera ends up). */
export interface PersonParams {
  height: number;
  /** Arm abduction, swing and elbow flexion (radians), left and right. */
  arms: [number, number, number, number, number, number];
  /** Leg swing and knee flexion (radians), left and right. */
  legs: [number, number, number, number];
  skin: Vec3;
  hair: Vec3;
  trousers: Vec3;
  shoes: Vec3;
  shortSleeves: boolean;
}

export function drawPersonParams(rng: SceneRandom): PersonParams {
  const swing = rng.uniform(-0.35, 0.35);
  const stride = rng.uniform(-0.3, 0.3);
  return {
    height: rng.uniform(1.5, 1.85),
    arms: [
      rng.uniform(0.06, 0.45), swing, rng.uniform(0, 1.1),
      rng.uniform(0.06, 0.45), -swing * rng.uniform(0.5, 1), rng.uniform(0, 1.1),
    ],
    legs: [stride, rng.uniform(0, 0.35), -stride, rng.uniform(0, 0.35)],
    skin: rng.pick(SKIN),
    hair: rng.pick(HAIR),
    trousers: rng.pick(TROUSERS),
    shoes: rng.pick(SHOES),
    shortSleeves: rng.chance(0.5),
  };
}

/** Footprint radius on the floor (for placement), in metres. */
export function personFootprint(p: PersonParams): number {
  return 0.2 * p.height;
}

function plain(color: Vec3): Material {
  return { color, color2: color, pattern: 'plain', scale: 1, axis: 0, emission: 0 };
}

/**
 * Builds the person's primitives at (x, z) facing `yaw`; appends its materials to `materials`.
 * `shirt` gives the caption colour and the shirt's material (`shirtMaterial`, already in `materials`).
 */
export function buildPerson(p: PersonParams, x: number, z: number, yaw: number, shirt: NamedColor, shirtMaterial: number, materials: Material[]): SceneObject {
  const mat = (c: Vec3): number => materials.push(plain(c)) - 1;
  const skin = mat(p.skin), hair = mat(p.hair), trousers = mat(p.trousers), shoes = mat(p.shoes);
  const sleeve = p.shortSleeves ? skin : shirtMaterial;
  const c = Math.cos(yaw), s = Math.sin(yaw);
  const W = (lx: number, ly: number, lz: number): Vec3 => [x + c * lx + s * lz, ly, z - s * lx + c * lz];
  const dirW = (lx: number, ly: number, lz: number): Vec3 => [c * lx + s * lz, ly, -s * lx + c * lz];
  const H = p.height;
  const prims: Primitive[] = [];

  const hipY = 0.5 * H;
  const shoulderY = 0.815 * H;
  const headR = 0.068 * H;
  const headY = H - headR;
  // Torso (pelvis to shoulders) and neck: part "torso" (PASCAL's neck → torso in the 6-part merge).
  const tBottom = hipY - 0.03 * H, tTop = shoulderY + 0.01 * H;
  const tHalfX = 0.105 * H, tHalfZ = 0.06 * H;
  prims.push({ type: 'box', center: W(0, (tBottom + tTop) / 2, 0), half: [tHalfX, (tTop - tBottom) / 2, tHalfZ], yaw, material: shirtMaterial, part: PART.torso, partName: 'torso' });
  const neckBottom = tTop - 0.005 * H, neckTop = headY - headR * 0.6;
  prims.push({ type: 'cylinder', center: W(0, (neckBottom + neckTop) / 2, 0), axis: [0, 1, 0], halfLength: (neckTop - neckBottom) / 2, radius: 0.028 * H, material: skin, part: PART.torso, partName: 'neck' });
  // Head: a skin sphere, hair as a slightly larger sphere shifted up and back.
  prims.push({ type: 'sphere', center: W(0, headY, 0.004 * H), radius: headR, material: skin, part: PART.head, partName: 'head' });
  prims.push({ type: 'sphere', center: W(0, headY + 0.012 * H, -0.012 * H), radius: headR * 1.02, material: hair, part: PART.head, partName: 'hair' });

  // Arms: side +1 = left (+x local).
  const armR = 0.028 * H, foreR = 0.024 * H, upperL = 0.175 * H, lowerL = 0.235 * H;
  for (const side of [1, -1] as const) {
    const k = side === 1 ? 0 : 3;
    const lr = side === 1 ? 'l' : 'r';
    const ab = p.arms[k] as number, sw = p.arms[k + 1] as number, fl = p.arms[k + 2] as number;
    const sx = side * (tHalfX + armR * 0.85), sy = shoulderY - armR;
    const u: Vec3 = [side * Math.sin(ab), -Math.cos(ab) * Math.cos(sw), Math.cos(ab) * Math.sin(sw)];
    const l: Vec3 = [side * Math.sin(ab), -Math.cos(ab) * Math.cos(sw + fl), Math.cos(ab) * Math.sin(sw + fl)];
    const ex = sx + u[0] * upperL, ey = sy + u[1] * upperL, ez = u[2] * upperL;
    prims.push({ type: 'sphere', center: W(sx, sy, 0), radius: armR * 1.15, material: shirtMaterial, part: PART.upperArm, partName: `${lr}uarm` });
    prims.push({ type: 'cylinder', center: W(sx + u[0] * upperL / 2, sy + u[1] * upperL / 2, u[2] * upperL / 2), axis: dirW(...u), halfLength: upperL / 2, radius: armR, material: shirtMaterial, part: PART.upperArm, partName: `${lr}uarm` });
    prims.push({ type: 'sphere', center: W(ex, ey, ez), radius: armR, material: sleeve, part: PART.upperArm, partName: `${lr}uarm` });
    prims.push({ type: 'cylinder', center: W(ex + l[0] * lowerL / 2, ey + l[1] * lowerL / 2, ez + l[2] * lowerL / 2), axis: dirW(...l), halfLength: lowerL / 2, radius: foreR, material: sleeve, part: PART.lowerArm, partName: `${lr}larm` });
  }

  // Legs: hip joint → knee → ankle at foot height; the lower leg's length is chosen so the ankle meets it.
  const legR = 0.045 * H, shinR = 0.034 * H, thighL = 0.245 * H, footH = 0.035 * H;
  for (const side of [1, -1] as const) {
    const k = side === 1 ? 0 : 2;
    const lr = side === 1 ? 'l' : 'r';
    const sw = p.legs[k] as number, bend = p.legs[k + 1] as number;
    const hx = side * 0.055 * H;
    const u: Vec3 = [0, -Math.cos(sw), Math.sin(sw)];
    const kx = hx, ky = hipY + u[1] * thighL, kz = u[2] * thighL;
    const a2 = sw - bend;
    const shinL = (ky - footH) / Math.cos(a2);
    const l: Vec3 = [0, -Math.cos(a2), Math.sin(a2)];
    const ax = kx, ay = footH, az = kz + l[2] * shinL;
    prims.push({ type: 'cylinder', center: W(hx, hipY + u[1] * thighL / 2, u[2] * thighL / 2), axis: dirW(...u), halfLength: thighL / 2, radius: legR, material: trousers, part: PART.upperLeg, partName: `${lr}uleg` });
    prims.push({ type: 'sphere', center: W(kx, ky, kz), radius: legR * 0.95, material: trousers, part: PART.upperLeg, partName: `${lr}uleg` });
    prims.push({ type: 'cylinder', center: W(kx, (ky + ay) / 2, (kz + az) / 2), axis: dirW(...l), halfLength: shinL / 2, radius: shinR, material: trousers, part: PART.lowerLeg, partName: `${lr}lleg` });
    prims.push({ type: 'box', center: W(ax, footH / 2, az + 0.035 * H), half: [0.03 * H, footH / 2, 0.07 * H], yaw, material: shoes, part: PART.lowerLeg, partName: `${lr}foot` });
  }

  return {
    kind: 'person',
    colorName: shirt.name,
    primitives: prims,
    bound: { center: [x, H / 2, z], radius: boundRadius(prims, [x, H / 2, z]) },
    anchor: [x, 0, z],
    yaw,
  };
}

/** Radius of a sphere around `center` that encloses every primitive (conservative). */
export function boundRadius(prims: readonly Primitive[], center: Vec3): number {
  let r = 0;
  const d = (p: Vec3): number => Math.hypot(p[0] - center[0], p[1] - center[1], p[2] - center[2]);
  for (const q of prims) {
    switch (q.type) {
      case 'sphere': r = Math.max(r, d(q.center) + q.radius); break;
      case 'box': r = Math.max(r, d(q.center) + Math.hypot(q.half[0], q.half[1], q.half[2])); break;
      case 'cylinder': r = Math.max(r, d(q.center) + Math.hypot(q.halfLength, q.radius)); break;
      case 'cone': r = Math.max(r, d(q.base) + Math.hypot(q.height, q.radius)); break;
    }
  }
  return r * (1 + 1e-9) + 1e-9;
}
