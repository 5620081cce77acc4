// Random scenes: determinism, and every label of every pixel checked against the scene's geometry.
import { describe, expect, it } from 'vitest';
import { Diff2in1Error } from '@diff2in1/tensor';
import { scaleIntrinsics } from './camera.js';
import { PART, SEM } from './classes.js';
import { makeScene } from './scene.js';
import { renderScene } from './render.js';
import { toyImage } from './toy-image.js';
import type { Primitive, Scene, Vec3 } from './types.js';
import { activeNormals, surfaceDistance } from './testing/geometry.js';

// PASCAL-Part names → the 6-part ids (InvPT data/pascal_context.py HUMAN_PART[6]).
const PASCAL6: Record<string, number> = {
  hair: 1, head: 1, lear: 1, lebrow: 1, leye: 1, lfoot: 6, lhand: 4, llarm: 4, llleg: 6, luarm: 3, luleg: 5, mouth: 1,
  neck: 2, nose: 1, rear: 1, rebrow: 1, reye: 1, rfoot: 6, rhand: 4, rlarm: 4, rlleg: 6, ruarm: 3, ruleg: 5, torso: 2,
};

function hashBytes(a: ArrayBufferView): number {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 2166136261;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ (b[i] as number), 16777619);
  return h >>> 0;
}

describe('determinism', () => {
  it('same (seed, index) → byte-identical images and labels; another index or seed → another scene', () => {
    const a = toyImage(11, 4, { width: 96, height: 72 });
    const b = toyImage(11, 4, { width: 96, height: 72 });
    for (const k of ['rgb', 'depth', 'normals', 'valid', 'semantic', 'parts', 'saliency', 'instance', 'primitive'] as const) {
      expect(hashBytes(a[k])).toBe(hashBytes(b[k]));
    }
    expect(a.caption).toBe(b.caption);
    expect(JSON.stringify(makeScene(11, 4))).toBe(JSON.stringify(makeScene(11, 4)));
    const c = toyImage(11, 5, { width: 96, height: 72 });
    const d = toyImage(12, 4, { width: 96, height: 72 });
    expect(hashBytes(c.rgb)).not.toBe(hashBytes(a.rgb));
    expect(hashBytes(d.rgb)).not.toBe(hashBytes(a.rgb));
    expect(JSON.stringify(makeScene(11, 5))).not.toBe(JSON.stringify(makeScene(11, 4)));
  });

  it('bad options are errors naming the option', () => {
    expect(() => makeScene(1, 0, { minObjects: 0 })).toThrow(Diff2in1Error);
    expect(() => makeScene(1, 0, { kindWeights: { box: 0, sphere: 0, cylinder: 0, cone: 0, person: 0 } })).toThrow(/kindWeights must be ≥ 0 and not all 0 \(kinds: box, sphere/);
    expect(() => renderScene(makeScene(1, 0), { width: 8, height: 8, samples: 17 })).toThrow(/samples must be an integer in 1\.\.16, got 17/);
    expect(() => makeScene(1.5, 0)).toThrow(/seed must be an integer/);
  });

  it('the caption does not depend on the output size', () => {
    for (let i = 0; i < 5; i++) expect(toyImage(2, i, { width: 40, height: 30 }).caption).toBe(toyImage(2, i, { width: 200, height: 150, samples: 1 }).caption);
  });

  it('scenes vary: object counts 1–6, every kind, persons, windows, both light kinds, open ceilings', () => {
    const kinds = new Set<string>(), counts = new Set<number>();
    let windows = 0, suns = 0, lamps = 0, open = 0;
    for (let i = 0; i < 120; i++) {
      const s = makeScene(9, i);
      counts.add(s.objects.length);
      for (const o of s.objects) kinds.add(o.kind);
      if (s.room.window) windows++;
      if (s.light.kind === 'sun') suns++; else lamps++;
      if (!s.room.ceiling) open++;
    }
    expect([...counts].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...kinds].sort()).toEqual(['box', 'cone', 'cylinder', 'person', 'sphere']);
    expect(windows).toBeGreaterThan(50);
    expect(suns).toBeGreaterThan(30);
    expect(lamps).toBeGreaterThan(20);
    expect(open).toBeGreaterThan(5);
  });
});

/** All primitives of a scene, in the order `primitive` indexes them, with their object index. */
function flatPrims(s: Scene): { q: Primitive; obj: number }[] {
  return s.objects.flatMap((o, k) => o.primitives.map((q) => ({ q, obj: k })));
}

describe('labels of random scenes match the geometry', () => {
  const W = 80, H = 60;
  for (const [seed, index] of [[1, 0], [1, 3], [4, 17], [7, 2], [7, 9], [21, 40]] as const) {
    it(`scene ${seed}-${index}`, () => {
      const s = makeScene(seed, index);
      const r = renderScene(s, { width: W, height: H, samples: 1 });
      const K = scaleIntrinsics(s.intrinsics, W, H);
      const cam = s.camera;
      const prims = flatPrims(s);
      const [RW, RH, RD] = s.room.size;
      for (let j = 0; j < H; j++) {
        for (let i = 0; i < W; i++) {
          const p = j * W + i;
          const sem = r.semantic[p] as number;
          if (!r.valid[p]) { expect(sem).toBe(255); continue; }
          const c: Vec3 = [(i - K.cx) / K.fx, (j - K.cy) / K.fy, 1];
          const w = [0, 1, 2].map((a) => cam.right[a]! * c[0] + cam.down[a]! * c[1] + cam.forward[a]! * c[2]);
          const d = r.depth[p]!;
          const pw = [0, 1, 2].map((a) => cam.position[a]! + d * w[a]!) as Vec3;
          const nb = [r.normals[3 * p]!, r.normals[3 * p + 1]!, r.normals[3 * p + 2]!];
          const nw = [0, 1, 2].map((a) => -(cam.right[a]! * nb[0]! + cam.down[a]! * nb[1]! + cam.forward[a]! * nb[2]!));
          expect(Math.hypot(...nb)).toBeCloseTo(1, 5);
          expect(nw[0]! * w[0]! + nw[1]! * w[1]! + nw[2]! * w[2]!).toBeLessThan(0); // faces the camera
          const tol = 3e-6 * d + 1e-9;
          if (sem === SEM.floor || sem === SEM.ceiling) {
            expect(Math.abs(pw[1] - (sem === SEM.floor ? 0 : RH))).toBeLessThan(tol);
            expect(nw[1]).toBeCloseTo(sem === SEM.floor ? 1 : -1, 6);
            expect(r.instance[p]).toBe(0);
          } else if (sem === SEM.wall || sem === SEM.window) {
            const dist = Math.min(Math.abs(pw[0]), Math.abs(pw[0] - RW), Math.abs(pw[2]), Math.abs(pw[2] - RD));
            expect(dist).toBeLessThan(tol);
            expect(Math.abs(nw[1]!)).toBeLessThan(1e-6);
            if (sem === SEM.window) {
              const win = s.room.window!;
              const onWall = [Math.abs(pw[0]), Math.abs(pw[0] - RW), -1, -1, Math.abs(pw[2]), Math.abs(pw[2] - RD)][win.wall]!;
              expect(onWall).toBeLessThan(tol);
              const u = win.wall <= 1 ? pw[2] : pw[0];
              expect(u).toBeGreaterThanOrEqual(win.u0 - tol);
              expect(u).toBeLessThanOrEqual(win.u1 + tol);
              expect(pw[1]).toBeGreaterThanOrEqual(win.v0 - tol);
              expect(pw[1]).toBeLessThanOrEqual(win.v1 + tol);
            }
          } else {
            // An object: the reported primitive belongs to the reported instance, has the class, the part, and
            // the back-projected point lies on its surface with its normal.
            const k = r.instance[p]! - 1;
            const { q, obj } = prims[r.primitive[p]!]!;
            expect(obj).toBe(k);
            expect(sem).toBe(SEM[s.objects[k]!.kind]);
            expect(r.saliency[p]).toBe(1);
            expect(r.parts[p]).toBe(q.part);
            if (s.objects[k]!.kind === 'person') expect(r.parts[p]).toBe(PASCAL6[q.partName!]);
            else expect(r.parts[p]).toBe(PART.background);
            expect(Math.abs(surfaceDistance(q, pw))).toBeLessThan(tol);
            // The normal is that of a face through the point (at an edge or rim either adjacent face is right).
            const best = Math.max(...activeNormals(q, pw, tol).map((n) => n[0] * nw[0]! + n[1] * nw[1]! + n[2] * nw[2]!));
            expect(best).toBeGreaterThan(1 - 1e-6);
          }
          if (sem < SEM.box) expect(r.saliency[p]).toBe(0);
        }
      }
    });
  }
});

describe('person parts', () => {
  it('a person’s pixels carry parts 1..6, non-person pixels 0; heads are above legs', () => {
    let checked = 0;
    for (let i = 0; i < 60 && checked < 3; i++) {
      const s = makeScene(5, i, { kindWeights: { person: 1, box: 1, sphere: 0, cylinder: 0, cone: 0 } });
      const r = renderScene(s, { width: 96, height: 72, samples: 1 });
      const person = [...r.semantic].filter((v) => v === SEM.person).length;
      if (person < 200) continue;
      checked++;
      const rowsOf = (part: number): number[] => [...r.parts].flatMap((v, p) => (v === part ? [Math.floor(p / 96)] : []));
      for (let p = 0; p < r.parts.length; p++) {
        if (r.semantic[p] === SEM.person) expect(r.parts[p]).toBeGreaterThanOrEqual(1);
        else expect(r.parts[p]).toBe(0);
      }
      const head = rowsOf(PART.head), lower = rowsOf(PART.lowerLeg);
      if (head.length && lower.length) expect(Math.min(...head)).toBeLessThan(Math.max(...lower));
    }
    expect(checked).toBe(3);
  });
});
