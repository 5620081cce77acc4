// Ray casting against a compiled scene: analytic intersections on flat Float64Arrays, no allocation per ray.
// Results land in the tracer's fields (t, hit, face) so the hot loops stay monomorphic and garbage-free.
//
// Ray directions need NOT be unit length: primary rays use d = R·((i−cx)/fx, (j−cy)/fy, 1), so the hit
// parameter t is the camera-frame z-depth itself. Every quadratic below therefore keeps its a = d·d term.
import type { Primitive, Scene, Vec3 } from './types.js';
import { SEM } from './classes.js';
import { boundRadius } from './person.js';

/** Cull group of a person primitive, from its PASCAL-Part name (limbs are consecutive in buildPerson). */
function groupKey(partName: string): string {
  if (partName.endsWith('arm')) return `${partName[0]}arm`;
  if (partName.endsWith('leg') || partName.endsWith('foot')) return `${partName[0]}leg`;
  return 'core';
}

export const T_SPHERE = 0;
export const T_BOX = 1;
export const T_CYLINDER = 2;
export const T_CONE = 3;

/** Floats per primitive: [type, object, semantic, part, material, params...]. */
export const PS = 16;
/** Floats per object: [bound cx, cy, cz, r², primStart, primEnd, anchor x, y, z, cos yaw, sin yaw, semantic]. */
export const OS = 12;
/** Floats per cull group: [bound cx, cy, cz, r², primStart, primEnd]. */
const GS = 6;

/** `hit` value when the ray hit nothing (open ceiling). Room faces are −(face + 1); primitives are ≥ 0. */
export const NO_HIT = -100;

const EPS = 1e-9;

/** Room faces: 0 x=0, 1 x=W, 2 floor y=0, 3 ceiling y=H, 4 z=0, 5 z=D. */
export const FACE_FLOOR = 2;
export const FACE_CEILING = 3;

const SEM_OF_KIND = { box: SEM.box, sphere: SEM.sphere, cylinder: SEM.cylinder, cone: SEM.cone, person: SEM.person } as const;

export class Tracer {
  readonly prims: Float64Array;
  readonly objs: Float64Array;
  readonly nObjs: number;
  /**
   * Cull groups: runs of consecutive primitives with one bounding sphere each. An object is one group, except
   * a person: core (torso, neck, head, hair), each arm and each leg — rays near a person skip most limbs.
   */
  readonly groups: Float64Array;
  readonly nGroups: number;
  readonly W: number;
  readonly H: number;
  readonly D: number;
  readonly ceiling: boolean;
  /** Window: wall face id (−1 when none) and its rectangle in the wall's (u, v). */
  readonly winWall: number;
  readonly winU0: number;
  readonly winU1: number;
  readonly winV0: number;
  readonly winV1: number;

  /** Nearest hit parameter (Infinity when none). */
  t = Infinity;
  /** What was hit: primitive index ≥ 0, room face −(f+1), or NO_HIT. */
  hit = NO_HIT;
  /** Sub-face of the primitive (box face 0..5 = axis·2 + (negative ? 1 : 0); cylinder 0 side, 1 +cap, 2 −cap; cone 0 side, 1 base). */
  face = 0;

  constructor(scene: Scene) {
    const nPrims = scene.objects.reduce((n, o) => n + o.primitives.length, 0);
    this.prims = new Float64Array(nPrims * PS);
    this.objs = new Float64Array(scene.objects.length * OS);
    this.nObjs = scene.objects.length;
    let p = 0;
    scene.objects.forEach((o, oi) => {
      const ob = oi * OS;
      this.objs[ob] = o.bound.center[0];
      this.objs[ob + 1] = o.bound.center[1];
      this.objs[ob + 2] = o.bound.center[2];
      this.objs[ob + 3] = o.bound.radius * o.bound.radius;
      this.objs[ob + 4] = p;
      this.objs[ob + 6] = o.anchor[0];
      this.objs[ob + 7] = o.anchor[1];
      this.objs[ob + 8] = o.anchor[2];
      this.objs[ob + 9] = Math.cos(o.yaw);
      this.objs[ob + 10] = Math.sin(o.yaw);
      this.objs[ob + 11] = SEM_OF_KIND[o.kind];
      for (const q of o.primitives) {
        const b = p * PS;
        const a = this.prims;
        a[b + 1] = oi;
        a[b + 2] = SEM_OF_KIND[o.kind];
        a[b + 3] = q.part;
        a[b + 4] = q.material;
        switch (q.type) {
          case 'sphere':
            a[b] = T_SPHERE;
            a.set(q.center, b + 5);
            a[b + 8] = q.radius;
            break;
          case 'box':
            a[b] = T_BOX;
            a.set(q.center, b + 5);
            a.set(q.half, b + 8);
            a[b + 11] = Math.cos(q.yaw);
            a[b + 12] = Math.sin(q.yaw);
            break;
          case 'cylinder': {
            a[b] = T_CYLINDER;
            a.set(q.center, b + 5);
            const l = Math.hypot(q.axis[0], q.axis[1], q.axis[2]);
            a[b + 8] = q.axis[0] / l;
            a[b + 9] = q.axis[1] / l;
            a[b + 10] = q.axis[2] / l;
            a[b + 11] = q.halfLength;
            a[b + 12] = q.radius;
            break;
          }
          case 'cone':
            a[b] = T_CONE;
            a.set(q.base, b + 5);
            a[b + 8] = q.height;
            a[b + 9] = q.radius;
            a[b + 10] = (q.radius / q.height) ** 2;
            a[b + 11] = q.base[1] + q.height;
            break;
        }
        p++;
      }
      this.objs[ob + 5] = p;
    });
    const groups: number[] = [];
    let q0 = 0;
    for (const o of scene.objects) {
      const runs: Primitive[][] = [];
      let key = '';
      for (const q of o.primitives) {
        const k = o.kind === 'person' ? groupKey(q.partName ?? '') : 'all';
        if (k !== key || runs.length === 0) { runs.push([]); key = k; }
        (runs[runs.length - 1] as Primitive[]).push(q);
      }
      for (const run of runs) {
        const c: Vec3 = [0, 0, 0];
        for (const q of run) { const m = q.type === 'cone' ? [q.base[0], q.base[1] + q.height / 2, q.base[2]] : q.center; for (let a = 0; a < 3; a++) c[a] = (c[a] as number) + (m[a] as number) / run.length; }
        const r = run.length === o.primitives.length ? o.bound.radius : boundRadius(run, c);
        const center = run.length === o.primitives.length ? o.bound.center : c;
        groups.push(center[0], center[1], center[2], r * r, q0, q0 + run.length);
        q0 += run.length;
      }
    }
    this.groups = Float64Array.from(groups);
    this.nGroups = groups.length / GS;
    [this.W, this.H, this.D] = scene.room.size;
    this.ceiling = scene.room.ceiling;
    const w = scene.room.window;
    this.winWall = w ? w.wall : -1;
    this.winU0 = w ? w.u0 : 0;
    this.winU1 = w ? w.u1 : 0;
    this.winV0 = w ? w.v0 : 0;
    this.winV1 = w ? w.v1 : 0;
  }

  /** Where a ray from inside the room leaves it: sets t and hit (−(face+1), or NO_HIT through an open ceiling). */
  roomExit(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number): void {
    let t = Infinity;
    let f = -1;
    if (dx > 0) { t = (this.W - ox) / dx; f = 1; } else if (dx < 0) { t = -ox / dx; f = 0; }
    if (dy > 0) { const ty = (this.H - oy) / dy; if (ty < t) { t = ty; f = FACE_CEILING; } } else if (dy < 0) { const ty = -oy / dy; if (ty < t) { t = ty; f = FACE_FLOOR; } }
    if (dz > 0) { const tz = (this.D - oz) / dz; if (tz < t) { t = tz; f = 5; } } else if (dz < 0) { const tz = -oz / dz; if (tz < t) { t = tz; f = 4; } }
    if (f < 0 || (f === FACE_CEILING && !this.ceiling)) { this.t = Infinity; this.hit = NO_HIT; return; }
    this.t = t;
    this.hit = -(f + 1);
    this.face = 0;
  }

  /** Nearest surface along the ray (room or object). */
  nearest(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number): void {
    this.roomExit(ox, oy, oz, dx, dy, dz);
    const aa = dx * dx + dy * dy + dz * dz;
    const g = this.groups;
    for (let o = 0; o < this.nGroups; o++) {
      const ob = o * GS;
      if (!this.boundHit(g, ob, ox, oy, oz, dx, dy, dz, aa, this.t)) continue;
      const end = g[ob + 5] as number;
      for (let p = g[ob + 4] as number; p < end; p++) {
        const t = this.intersect(p, ox, oy, oz, dx, dy, dz, aa, this.t);
        if (t < this.t) { this.t = t; this.hit = p; this.face = this.tf; }
      }
    }
  }

  /** True when an object blocks the ray before tMax (the room itself never occludes here). */
  occluded(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, tMax: number): boolean {
    const aa = dx * dx + dy * dy + dz * dz;
    const g = this.groups;
    for (let o = 0; o < this.nGroups; o++) {
      const ob = o * GS;
      if (!this.boundHit(g, ob, ox, oy, oz, dx, dy, dz, aa, tMax)) continue;
      const end = g[ob + 5] as number;
      for (let p = g[ob + 4] as number; p < end; p++) {
        if (this.intersect(p, ox, oy, oz, dx, dy, dz, aa, tMax) < tMax) return true;
      }
    }
    return false;
  }

  private boundHit(objs: Float64Array, ob: number, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, aa: number, tMax: number): boolean {
    const wx = ox - (objs[ob] as number), wy = oy - (objs[ob + 1] as number), wz = oz - (objs[ob + 2] as number);
    const c = wx * wx + wy * wy + wz * wz - (objs[ob + 3] as number);
    if (c <= 0) return true;
    const b = wx * dx + wy * dy + wz * dz;
    if (b >= 0) return false;
    const disc = b * b - aa * c;
    if (disc < 0) return false;
    return (-b - Math.sqrt(disc)) / aa < tMax;
  }

  /** Face of the last `intersect` hit. */
  private tf = 0;

  /** Hit parameter of primitive p in (EPS, tMax), or Infinity; sets this.tf. */
  intersect(p: number, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, aa: number, tMax: number): number {
    const a = this.prims;
    const b = p * PS;
    const type = a[b] as number;
    if (type === T_SPHERE) {
      const wx = ox - (a[b + 5] as number), wy = oy - (a[b + 6] as number), wz = oz - (a[b + 7] as number);
      const r = a[b + 8] as number;
      const hb = wx * dx + wy * dy + wz * dz;
      const c = wx * wx + wy * wy + wz * wz - r * r;
      const disc = hb * hb - aa * c;
      if (disc < 0) return Infinity;
      const s = Math.sqrt(disc);
      let t = (-hb - s) / aa;
      if (t <= EPS) t = (-hb + s) / aa;
      if (t <= EPS || t >= tMax) return Infinity;
      this.tf = 0;
      return t;
    }
    if (type === T_BOX) {
      const X = ox - (a[b + 5] as number), Y = oy - (a[b + 6] as number), Z = oz - (a[b + 7] as number);
      const c = a[b + 11] as number, s = a[b + 12] as number;
      const lo0 = c * X - s * Z, lo1 = Y, lo2 = s * X + c * Z;
      const ld0 = c * dx - s * dz, ld1 = dy, ld2 = s * dx + c * dz;
      let tn = -Infinity, tfar = Infinity, fn = 0, ff = 0;
      // axis 0
      {
        const h = a[b + 8] as number;
        if (ld0 === 0) { if (lo0 < -h || lo0 > h) return Infinity; } else {
          const inv = 1 / ld0;
          let t1 = (-h - lo0) * inv, t2 = (h - lo0) * inv, f1 = 1, f2 = 0;
          if (t1 > t2) { const tt = t1; t1 = t2; t2 = tt; f1 = 0; f2 = 1; }
          if (t1 > tn) { tn = t1; fn = f1; }
          if (t2 < tfar) { tfar = t2; ff = f2; }
        }
      }
      {
        const h = a[b + 9] as number;
        if (ld1 === 0) { if (lo1 < -h || lo1 > h) return Infinity; } else {
          const inv = 1 / ld1;
          let t1 = (-h - lo1) * inv, t2 = (h - lo1) * inv, f1 = 3, f2 = 2;
          if (t1 > t2) { const tt = t1; t1 = t2; t2 = tt; f1 = 2; f2 = 3; }
          if (t1 > tn) { tn = t1; fn = f1; }
          if (t2 < tfar) { tfar = t2; ff = f2; }
        }
      }
      {
        const h = a[b + 10] as number;
        if (ld2 === 0) { if (lo2 < -h || lo2 > h) return Infinity; } else {
          const inv = 1 / ld2;
          let t1 = (-h - lo2) * inv, t2 = (h - lo2) * inv, f1 = 5, f2 = 4;
          if (t1 > t2) { const tt = t1; t1 = t2; t2 = tt; f1 = 4; f2 = 5; }
          if (t1 > tn) { tn = t1; fn = f1; }
          if (t2 < tfar) { tfar = t2; ff = f2; }
        }
      }
      if (tn > tfar || tfar <= EPS) return Infinity;
      if (tn > EPS) { if (tn >= tMax) return Infinity; this.tf = fn; return tn; }
      if (tfar >= tMax) return Infinity;
      this.tf = ff;
      return tfar;
    }
    if (type === T_CYLINDER) {
      const wx = ox - (a[b + 5] as number), wy = oy - (a[b + 6] as number), wz = oz - (a[b + 7] as number);
      const ax = a[b + 8] as number, ay = a[b + 9] as number, az = a[b + 10] as number;
      const h = a[b + 11] as number, r = a[b + 12] as number;
      const wa = wx * ax + wy * ay + wz * az;
      const da = dx * ax + dy * ay + dz * az;
      const wpx = wx - wa * ax, wpy = wy - wa * ay, wpz = wz - wa * az;
      const dpx = dx - da * ax, dpy = dy - da * ay, dpz = dz - da * az;
      const A = dpx * dpx + dpy * dpy + dpz * dpz;
      const B = wpx * dpx + wpy * dpy + wpz * dpz;
      const C = wpx * wpx + wpy * wpy + wpz * wpz - r * r;
      let best = tMax, bf = -1;
      if (A > 1e-18) {
        const disc = B * B - A * C;
        if (disc >= 0) {
          const s = Math.sqrt(disc);
          const t0 = (-B - s) / A;
          if (t0 > EPS && t0 < best && Math.abs(wa + t0 * da) <= h) { best = t0; bf = 0; } else {
            const t1 = (-B + s) / A;
            if (t1 > EPS && t1 < best && Math.abs(wa + t1 * da) <= h) { best = t1; bf = 0; }
          }
        }
      }
      if (da !== 0) {
        const tp = (h - wa) / da;
        if (tp > EPS && tp < best) {
          const qx = wpx + tp * dpx, qy = wpy + tp * dpy, qz = wpz + tp * dpz;
          if (qx * qx + qy * qy + qz * qz <= r * r) { best = tp; bf = 1; }
        }
        const tm = (-h - wa) / da;
        if (tm > EPS && tm < best) {
          const qx = wpx + tm * dpx, qy = wpy + tm * dpy, qz = wpz + tm * dpz;
          if (qx * qx + qy * qy + qz * qz <= r * r) { best = tm; bf = 2; }
        }
      }
      if (bf < 0) return Infinity;
      this.tf = bf;
      return best;
    }
    // cone
    const X = ox - (a[b + 5] as number), Z = oz - (a[b + 7] as number);
    const hgt = a[b + 8] as number, r = a[b + 9] as number, k2 = a[b + 10] as number;
    const Y = (a[b + 11] as number) - oy;
    const A = dx * dx + dz * dz - k2 * dy * dy;
    const B = X * dx + Z * dz + k2 * Y * dy;
    const C = X * X + Z * Z - k2 * Y * Y;
    let best = tMax, bf = -1;
    if (Math.abs(A) > 1e-18) {
      const disc = B * B - A * C;
      if (disc >= 0) {
        const s = Math.sqrt(disc);
        let t0 = (-B - s) / A, t1 = (-B + s) / A;
        if (t0 > t1) { const tt = t0; t0 = t1; t1 = tt; }
        const y0 = Y - t0 * dy;
        if (t0 > EPS && t0 < best && y0 >= 0 && y0 <= hgt) { best = t0; bf = 0; } else {
          const y1 = Y - t1 * dy;
          if (t1 > EPS && t1 < best && y1 >= 0 && y1 <= hgt) { best = t1; bf = 0; }
        }
      }
    } else if (B !== 0) {
      const t0 = -C / (2 * B);
      const y0 = Y - t0 * dy;
      if (t0 > EPS && t0 < best && y0 >= 0 && y0 <= hgt) { best = t0; bf = 0; }
    }
    if (dy !== 0) {
      const tb = ((a[b + 6] as number) - oy) / dy;
      if (tb > EPS && tb < best) {
        const qx = X + tb * dx, qz = Z + tb * dz;
        if (qx * qx + qz * qz <= r * r) { best = tb; bf = 1; }
      }
    }
    if (bf < 0) return Infinity;
    this.tf = bf;
    return best;
  }
}
