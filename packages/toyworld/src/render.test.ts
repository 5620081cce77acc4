// Labels against geometry: planes, a sphere, boxes, cylinders and cones with closed-form truths.
import { describe, expect, it } from 'vitest';
import { lookAt, NYU_INTRINSICS, scaleIntrinsics } from './camera.js';
import type { CameraPose, Intrinsics } from './camera.js';
import { IGNORE_INDEX, SEM } from './classes.js';
import { renderScene } from './render.js';
import type { Material, Primitive, Scene, SceneObject, Vec3 } from './types.js';
import { activeNormals, surfaceDistance } from './testing/geometry.js';

const GREY: Material = { color: [128, 128, 128], color2: [128, 128, 128], pattern: 'plain', scale: 1, axis: 0, emission: 0 };

function object(kind: SceneObject['kind'], prims: Primitive[]): SceneObject {
  return { kind, colorName: 'gray', primitives: prims, bound: { center: [2, 1.5, 3], radius: 10 }, anchor: [0, 0, 0], yaw: 0 };
}

function scene(camera: CameraPose, objects: SceneObject[] = [], intrinsics: Intrinsics = NYU_INTRINSICS, ceiling = true): Scene {
  return {
    id: 'test', seed: 0, index: 0,
    room: { size: [4, 3, 6], ceiling, wallMaterial: 0, floorMaterial: 0, ceilingMaterial: 0, window: null },
    materials: [GREY],
    objects,
    light: { kind: 'lamp', position: [2, 2.7, 3], intensity: 4, color: [1, 1, 1], ambient: 0.3 },
    camera,
    intrinsics,
  };
}

/** Camera-frame ray of pixel (i, j) and its world direction (truth written from the pinhole model). */
function ray(k: Intrinsics, cam: CameraPose, i: number, j: number): { c: Vec3; w: Vec3 } {
  const c: Vec3 = [(i - k.cx) / k.fx, (j - k.cy) / k.fy, 1];
  const w: Vec3 = [0, 1, 2].map((a) => cam.right[a]! * c[0] + cam.down[a]! * c[1] + cam.forward[a]! * c[2]) as Vec3;
  return { c, w };
}

/** Bae-frame normal stored at pixel p → world normal: n_cv = −n_bae, n_world = R·n_cv. */
function worldNormal(cam: CameraPose, n: Float32Array, p: number): Vec3 {
  const x = -n[3 * p]!, y = -n[3 * p + 1]!, z = -n[3 * p + 2]!;
  return [0, 1, 2].map((a) => cam.right[a]! * x + cam.down[a]! * y + cam.forward[a]! * z) as Vec3;
}

describe('room planes', () => {
  const cam = lookAt([2, 1.5, 1], [2, 1.5, 6]);

  it('a fronto-parallel wall has constant z-depth (the plane distance) and normal (0, 0, 1) in Bae’s frame', () => {
    const r = renderScene(scene(cam), { width: 80, height: 60, samples: 1 });
    const k = scaleIntrinsics(NYU_INTRINSICS, 80, 60);
    let wallPixels = 0;
    for (let j = 0; j < 60; j++) {
      for (let i = 0; i < 80; i++) {
        const p = j * 80 + i;
        // The back wall (z = 6, 5 m ahead) spans x_c ∈ [−2, 2], y_c ∈ [−1.5, 1.5]: rays with |x/z| < 0.4, |y/z| < 0.3.
        const onWall = Math.abs((i - k.cx) / k.fx) < 0.4 && Math.abs((j - k.cy) / k.fy) < 0.3;
        expect(r.normals[3 * p + 2] === 1).toBe(onWall);
        if (!onWall) continue;
        wallPixels++;
        expect(r.depth[p]).toBe(5);
        expect([r.normals[3 * p], r.normals[3 * p + 1]]).toEqual([0, 0]);
        expect(r.semantic[p]).toBe(SEM.wall);
      }
    }
    expect(wallPixels).toBeGreaterThan(1500);
  });

  it('every pixel hits the nearest of the six planes, with the plane’s inward normal', () => {
    const cam2 = lookAt([1.3, 1.2, 1.1], [3.1, 0.4, 4.7], 0.03);
    const k = scaleIntrinsics(NYU_INTRINSICS, 64, 48);
    const r = renderScene(scene(cam2), { width: 64, height: 48, samples: 1 });
    const planes: { axis: number; value: number; n: Vec3; sem: number }[] = [
      { axis: 0, value: 0, n: [1, 0, 0], sem: SEM.wall }, { axis: 0, value: 4, n: [-1, 0, 0], sem: SEM.wall },
      { axis: 1, value: 0, n: [0, 1, 0], sem: SEM.floor }, { axis: 1, value: 3, n: [0, -1, 0], sem: SEM.ceiling },
      { axis: 2, value: 0, n: [0, 0, 1], sem: SEM.wall }, { axis: 2, value: 6, n: [0, 0, -1], sem: SEM.wall },
    ];
    for (let j = 0; j < 48; j++) {
      for (let i = 0; i < 64; i++) {
        const p = j * 64 + i;
        const { w } = ray(k, cam2, i, j);
        let best = Infinity, hit = planes[0]!;
        for (const pl of planes) {
          const t = (pl.value - cam2.position[pl.axis]!) / w[pl.axis]!;
          if (t > 0 && t < best) { best = t; hit = pl; }
        }
        // The ray's camera z-component is 1, so the ray parameter is the z-depth.
        expect(r.depth[p]).toBeCloseTo(best, 5);
        expect(r.semantic[p]).toBe(hit.sem);
        const n = worldNormal(cam2, r.normals, p);
        for (let a = 0; a < 3; a++) expect(n[a]).toBeCloseTo(hit.n[a]!, 6);
        expect(r.valid[p]).toBe(1);
        expect(r.saliency[p]).toBe(0);
      }
    }
  });

  it('Bae’s NYUv2 convention: floor (0, 1, 0) (green), a wall on the image’s left has x < 0, facing walls z > 0', () => {
    // Level camera looking along +z near the x = 4 wall: that wall is on the image's left (right = −x world).
    const level = lookAt([3.2, 1.5, 1], [3.2, 1.5, 6]);
    const r = renderScene(scene(level), { width: 64, height: 48, samples: 1 });
    const at = (i: number, j: number): number[] => { const p = j * 64 + i; return [r.normals[3 * p]!, r.normals[3 * p + 1]!, r.normals[3 * p + 2]!]; };
    expect(at(32, 47)).toEqual([0, 1, 0]); // floor, bottom centre
    expect(r.semantic[47 * 64 + 32]).toBe(SEM.floor);
    expect(at(0, 24)[0]).toBe(-1); // x = 4 wall, left edge: faces image-right → x = −1
    expect(r.semantic[24 * 64]).toBe(SEM.wall);
    expect(at(32, 24)).toEqual([0, 0, 1]);
    expect(at(32, 0)[1]).toBe(-1); // ceiling faces down → y = −1
  });

  it('without a ceiling, upward rays hit nothing: void label, invalid depth and normal', () => {
    const up = lookAt([2, 1.5, 1], [2, 4, 3]);
    const r = renderScene(scene(up, [], NYU_INTRINSICS, false), { width: 32, height: 24, samples: 1 });
    const p = 0; // top-left looks up most
    expect(r.semantic[p]).toBe(IGNORE_INDEX);
    expect(r.valid[p]).toBe(0);
    expect(r.depth[p]).toBe(0);
    expect([...r.normals.subarray(0, 3)]).toEqual([0, 0, 0]);
  });
});

describe('sphere', () => {
  // Principal point on a pixel centre, so pixel (32, 24) looks exactly along the optical axis.
  const K: Intrinsics = { fx: 200, fy: 200, cx: 32, cy: 24, width: 64, height: 48 };
  const cam = lookAt([2, 1.5, 1], [2, 1.5, 4]);
  const c: Vec3 = [2, 1.5, 4];
  const r0 = 0.5;
  const sph: Primitive = { type: 'sphere', center: c, radius: r0, material: 0, part: 0 };
  const img = renderScene(scene(cam, [object('sphere', [sph])], K), { width: 64, height: 48, samples: 1 });

  it('centre pixel: depth = distance − radius, normal faces the camera', () => {
    const p = 24 * 64 + 32;
    expect(img.depth[p]).toBe(2.5);
    expect([...img.normals.subarray(3 * p, 3 * p + 3)]).toEqual([0, 0, 1]);
    expect(img.semantic[p]).toBe(SEM.sphere);
    expect(img.instance[p]).toBe(1);
    expect(img.saliency[p]).toBe(1);
  });

  it('silhouette = pixels whose ray passes within r of the centre; every normal is (p − c)/r of the back-projected p', () => {
    let n = 0;
    for (let j = 0; j < 48; j++) {
      for (let i = 0; i < 64; i++) {
        const p = j * 64 + i;
        const { c: rc, w } = ray(K, cam, i, j);
        // Distance from the centre to the ray line.
        const o = cam.position;
        const oc: Vec3 = [c[0] - o[0], c[1] - o[1], c[2] - o[2]];
        const t = (oc[0] * w[0] + oc[1] * w[1] + oc[2] * w[2]) / (w[0] ** 2 + w[1] ** 2 + w[2] ** 2);
        const miss = Math.hypot(oc[0] - t * w[0], oc[1] - t * w[1], oc[2] - t * w[2]);
        if (Math.abs(miss - r0) < 1e-6) continue;
        expect(img.semantic[p] === SEM.sphere).toBe(miss < r0);
        if (miss >= r0) continue;
        n++;
        const d = img.depth[p]!;
        const pw: Vec3 = [0, 1, 2].map((a) => o[a]! + d * w[a]!) as Vec3;
        expect(Math.hypot(pw[0] - c[0], pw[1] - c[1], pw[2] - c[2])).toBeCloseTo(r0, 5);
        const nw = worldNormal(cam, img.normals, p);
        for (let a = 0; a < 3; a++) expect(nw[a]).toBeCloseTo((pw[a]! - c[a]!) / r0, 5);
        // The camera-frame point is depth × the pixel's ray (z-depth, not ray length).
        expect(d * rc[2]).toBe(d);
      }
    }
    // Projected radius ≈ f·r/√(D² − r²) = 200·0.5/2.96 ≈ 34 px → π·34² ≈ 3600 pixels, clipped by the 64×48 frame.
    expect(n).toBeGreaterThan(2000);
  });
});

describe('boxes, cylinders and cones', () => {
  const prims: [SceneObject['kind'], Primitive][] = [
    ['box', { type: 'box', center: [1.2, 0.4, 3.4], half: [0.3, 0.4, 0.2], yaw: 0.7, material: 0, part: 0 }],
    ['cylinder', { type: 'cylinder', center: [2.6, 0.5, 3.0], axis: [0, 1, 0], halfLength: 0.5, radius: 0.25, material: 0, part: 0 }],
    ['cylinder', { type: 'cylinder', center: [2.0, 1.6, 4.2], axis: [0.48, 0.6, -0.64], halfLength: 0.35, radius: 0.12, material: 0, part: 0 }],
    ['cone', { type: 'cone', base: [3.1, 0, 4.4], height: 0.9, radius: 0.35, material: 0, part: 0 }],
  ];
  const objs = prims.map(([k, q]) => object(k, [q]));
  const cam = lookAt([2.2, 1.7, 0.6], [2.1, 0.6, 3.8], -0.02);
  const K = scaleIntrinsics(NYU_INTRINSICS, 128, 96);
  const img = renderScene(scene(cam, objs), { width: 128, height: 96, samples: 1 });

  it('each object pixel back-projects onto its primitive, with that primitive’s analytic normal and class', () => {
    const seen = new Set<number>();
    for (let j = 0; j < 96; j++) {
      for (let i = 0; i < 128; i++) {
        const p = j * 128 + i;
        const k = img.instance[p]!;
        if (k === 0) continue;
        seen.add(k);
        const [kind, q] = prims[k - 1]!;
        expect(img.semantic[p]).toBe(SEM[kind]);
        expect(img.primitive[p]).toBe(k - 1);
        const { w } = ray(K, cam, i, j);
        const d = img.depth[p]!;
        const pw: Vec3 = [0, 1, 2].map((a) => cam.position[a]! + d * w[a]!) as Vec3;
        expect(Math.abs(surfaceDistance(q, pw))).toBeLessThan(2e-6 * d + 1e-9);
        const nw = worldNormal(cam, img.normals, p);
        // The normal of a face through the point (at an edge either adjacent face is right).
        const best = Math.max(...activeNormals(q, pw, 2e-6 * d).map((n) => n[0] * nw[0] + n[1] * nw[1] + n[2] * nw[2]));
        expect(best).toBeGreaterThan(1 - 1e-6); // float32 storage
        // The normal faces the camera.
        expect(nw[0] * w[0] + nw[1] * w[1] + nw[2] * w[2]).toBeLessThan(0);
      }
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
  });

  it('no primitive lies between the camera and the surface a pixel reports (points along the ray are outside all)', () => {
    for (let j = 0; j < 96; j += 3) {
      for (let i = 0; i < 128; i += 3) {
        const p = j * 128 + i;
        const { w } = ray(K, cam, i, j);
        const d = img.depth[p]!;
        for (let s = 1; s < 40; s++) {
          const t = (d * s) / 40;
          const pt: Vec3 = [0, 1, 2].map((a) => cam.position[a]! + t * w[a]!) as Vec3;
          for (const [, q] of prims) expect(surfaceDistance(q, pt)).toBeGreaterThan(-1e-9);
        }
      }
    }
  });
});
