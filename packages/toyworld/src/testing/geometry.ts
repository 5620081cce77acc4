// Test-only geometry (not built into dist): distance-to-surface and outward normals of each primitive, written
// from the primitives' definitions and independent of the ray intersection code they check.
import type { Primitive, Vec3 } from '../types.js';

const sub = (a: Vec3, b: readonly number[]): Vec3 => [a[0] - (b[0] as number), a[1] - (b[1] as number), a[2] - (b[2] as number)];
const dot = (a: readonly number[], b: readonly number[]): number => (a[0] as number) * (b[0] as number) + (a[1] as number) * (b[1] as number) + (a[2] as number) * (b[2] as number);
const norm = (a: Vec3): Vec3 => { const l = Math.hypot(...a); return [a[0] / l, a[1] / l, a[2] / l]; };

/** World → box-local coordinates (world = center + Ry(yaw)·local, x = c·x' + s·z', z = −s·x' + c·z'). */
function boxLocal(q: Extract<Primitive, { type: 'box' }>, p: Vec3): Vec3 {
  const d = sub(p, q.center);
  const c = Math.cos(q.yaw), s = Math.sin(q.yaw);
  return [c * d[0] - s * d[2], d[1], s * d[0] + c * d[2]];
}

/** Signed distance-like value: 0 on the surface, < 0 inside (exact on faces, a bound elsewhere). */
export function surfaceDistance(q: Primitive, p: Vec3): number {
  switch (q.type) {
    case 'sphere': return Math.hypot(...sub(p, q.center)) - q.radius;
    case 'box': {
      const l = boxLocal(q, p);
      return Math.max(Math.abs(l[0]) - q.half[0], Math.abs(l[1]) - q.half[1], Math.abs(l[2]) - q.half[2]);
    }
    case 'cylinder': {
      const d = sub(p, q.center);
      const a = dot(d, q.axis);
      const radial = Math.hypot(d[0] - a * q.axis[0], d[1] - a * q.axis[1], d[2] - a * q.axis[2]);
      return Math.max(radial - q.radius, Math.abs(a) - q.halfLength);
    }
    case 'cone': {
      const below = q.base[1] + q.height - p[1];
      const radial = Math.hypot(p[0] - q.base[0], p[2] - q.base[2]);
      // Distance to the slanted side measured perpendicular to it, and to the base plane.
      const side = (radial * q.height - below * q.radius) / Math.hypot(q.height, q.radius);
      return Math.max(side, q.base[1] - p[1], p[1] - (q.base[1] + q.height));
    }
  }
}

/** Outward unit normal at a surface point (the face whose constraint is active). */
export function surfaceNormal(q: Primitive, p: Vec3): Vec3 {
  switch (q.type) {
    case 'sphere': return norm(sub(p, q.center));
    case 'box': {
      const l = boxLocal(q, p);
      const g = [Math.abs(l[0]) - q.half[0], Math.abs(l[1]) - q.half[1], Math.abs(l[2]) - q.half[2]];
      const k = g.indexOf(Math.max(...g));
      const nl: Vec3 = [0, 0, 0];
      nl[k] = Math.sign(l[k] as number);
      const c = Math.cos(q.yaw), s = Math.sin(q.yaw);
      return [c * nl[0] + s * nl[2], nl[1], -s * nl[0] + c * nl[2]];
    }
    case 'cylinder': {
      const d = sub(p, q.center);
      const a = dot(d, q.axis);
      const r: Vec3 = [d[0] - a * q.axis[0], d[1] - a * q.axis[1], d[2] - a * q.axis[2]];
      if (Math.hypot(...r) - q.radius >= Math.abs(a) - q.halfLength) return norm(r);
      const sg = Math.sign(a);
      return [sg * q.axis[0], sg * q.axis[1], sg * q.axis[2]];
    }
    case 'cone': {
      const radial = Math.hypot(p[0] - q.base[0], p[2] - q.base[2]);
      const below = q.base[1] + q.height - p[1];
      const side = (radial * q.height - below * q.radius) / Math.hypot(q.height, q.radius);
      if (side >= q.base[1] - p[1]) {
        // Gradient of x² + z² − (r/h)²·below²: (x, (r/h)²·below, z).
        const k2 = (q.radius / q.height) ** 2;
        return norm([p[0] - q.base[0], k2 * below, p[2] - q.base[2]]);
      }
      return [0, -1, 0];
    }
  }
}

/** Outward normals of every face of q whose surface passes within `tol` of p (two or three at an edge or corner). */
export function activeNormals(q: Primitive, p: Vec3, tol: number): Vec3[] {
  switch (q.type) {
    case 'sphere': return [surfaceNormal(q, p)];
    case 'box': {
      const l = boxLocal(q, p);
      const c = Math.cos(q.yaw), s = Math.sin(q.yaw);
      const out: Vec3[] = [];
      for (let k = 0; k < 3; k++) {
        if (Math.abs(Math.abs(l[k] as number) - (q.half[k] as number)) > tol) continue;
        const nl: Vec3 = [0, 0, 0];
        nl[k] = Math.sign(l[k] as number);
        out.push([c * nl[0] + s * nl[2], nl[1], -s * nl[0] + c * nl[2]]);
      }
      return out;
    }
    case 'cylinder': {
      const d = sub(p, q.center);
      const a = dot(d, q.axis);
      const r: Vec3 = [d[0] - a * q.axis[0], d[1] - a * q.axis[1], d[2] - a * q.axis[2]];
      const out: Vec3[] = [];
      if (Math.abs(Math.hypot(...r) - q.radius) <= tol) out.push(norm(r));
      if (Math.abs(Math.abs(a) - q.halfLength) <= tol) { const sg = Math.sign(a); out.push([sg * q.axis[0], sg * q.axis[1], sg * q.axis[2]]); }
      return out;
    }
    case 'cone': {
      const out: Vec3[] = [];
      const radial = Math.hypot(p[0] - q.base[0], p[2] - q.base[2]);
      const below = q.base[1] + q.height - p[1];
      if (Math.abs((radial * q.height - below * q.radius) / Math.hypot(q.height, q.radius)) <= tol) {
        const k2 = (q.radius / q.height) ** 2;
        out.push(norm([p[0] - q.base[0], k2 * below, p[2] - q.base[2]]));
      }
      if (Math.abs(p[1] - q.base[1]) <= tol) out.push([0, -1, 0]);
      return out;
    }
  }
}
