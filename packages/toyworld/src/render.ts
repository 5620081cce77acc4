// renderScene: one ray per pixel centre gives every label exactly (depth, normal, semantic, part, saliency,
// instance of the surface hit by the ray through that pixel's centre — never a blend); RGB averages an n×n
// stratified (jittered) set of rays per pixel, each shaded with ambient + one light and a hard shadow ray.
import { Diff2in1Error } from '@diff2in1/tensor';
import type { CameraPose, Intrinsics } from './camera.js';
import { scaleIntrinsics } from './camera.js';
import { IGNORE_INDEX, SEM, srgbToLinear } from './classes.js';
import { fmix32 } from './hash.js';
import { FACE_CEILING, FACE_FLOOR, NO_HIT, OS, PS, T_BOX, T_CONE, T_CYLINDER, Tracer } from './tracer.js';
import { PAT_CHECKER, PAT_NOISE, PAT_PLAIN, PAT_STRIPES, patternWeight } from './texture.js';
import type { Scene } from './types.js';

export interface RenderOptions {
  width: number;
  height: number;
  /** RGB rays per pixel along each axis (n×n stratified jittered samples); 1 shades the centre ray only. Default 2. */
  samples?: number;
  /** Depth (z, metres) beyond which depth and normals are invalid (0), like a depth sensor's range. Default 10. */
  maxDepth?: number;
  /**
   * Supersample only pixels on an edge (their centre ray's surface / pattern cell / shadow state differs from a
   * 4-neighbour's); other pixels keep their centre-ray colour. Default true; false supersamples every pixel.
   */
  adaptive?: boolean;
}

export interface RenderResult {
  width: number;
  height: number;
  /** 8-bit sRGB, HWC. */
  rgb: Uint8Array;
  /** z-depth in the camera frame, metres; 0 where invalid. */
  depth: Float32Array;
  /** Unit normals, HWC xyz in Bae et al.'s NYUv2 frame (see opencvNormalToBae); 0 where invalid. */
  normals: Float32Array;
  /** 1 where depth and normals are valid. */
  valid: Uint8Array;
  /** Semantic class ids (SEMANTIC_CLASSES); 255 where no surface was hit. */
  semantic: Uint8Array;
  /** Person part ids (PART_CLASSES); 0 elsewhere. */
  parts: Uint8Array;
  /** 1 on objects, 0 on the room. */
  saliency: Uint8Array;
  /** Object instance: k+1 for scene.objects[k], 0 for the room / nothing. */
  instance: Uint8Array;
  /** Primitive hit: index into the objects' primitives concatenated in order; −1 for the room / nothing. */
  primitive: Int16Array;
  /** Intrinsics at this size. */
  intrinsics: Intrinsics;
}

const PAT_CODES = { plain: PAT_PLAIN, checker: PAT_CHECKER, stripes: PAT_STRIPES, noise: PAT_NOISE } as const;
/** Floats per material: linear rgb, linear rgb2, pattern, scale, axis, emission. */
const MS = 10;

// sRGB encoding (IEC 61966-2-1) through a lookup table over linear [0, 1].
const LUT_N = 8192;
const SRGB_LUT = new Uint8Array(LUT_N + 1);
for (let i = 0; i <= LUT_N; i++) {
  const c = i / LUT_N;
  const s = c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
  SRGB_LUT[i] = Math.round(s * 255);
}

/** Soft shoulder above 0.8 so bright sun patches do not clip hard. */
function toneMap(x: number): number {
  if (x <= 0.8) return x < 0 ? 0 : x;
  return 0.8 + 0.2 * (1 - Math.exp(-(x - 0.8) / 0.2));
}

function encode(x: number): number {
  return SRGB_LUT[(toneMap(x) * LUT_N + 0.5) | 0] as number;
}

/** Shading state for one scene: tracer, materials, light, and scratch fields filled by `surface`. */
class Shader {
  readonly tr: Tracer;
  readonly mats: Float64Array;
  readonly wallMat: number;
  readonly floorMat: number;
  readonly ceilMat: number;
  readonly winMat: number;
  readonly sun: boolean;
  readonly lx: number; readonly ly: number; readonly lz: number;
  readonly lr: number; readonly lg: number; readonly lb: number;
  readonly ambient: number;

  // surface() outputs
  nx = 0; ny = 0; nz = 0;
  mat = 0; sem = 0; part = 0; obj = -1;
  u = 0; v = 0; w = 0;
  // shade() outputs: radiance, and a signature of what produced it (surface, pattern cell, light/shadow) —
  // neighbouring pixels with different signatures straddle an edge and get supersampled.
  r = 0; g = 0; b = 0;
  sig = 0;

  constructor(scene: Scene) {
    this.tr = new Tracer(scene);
    this.mats = new Float64Array(scene.materials.length * MS);
    scene.materials.forEach((m, i) => {
      const b = i * MS;
      for (let c = 0; c < 3; c++) {
        this.mats[b + c] = srgbToLinear(m.color[c] as number);
        this.mats[b + 3 + c] = srgbToLinear(m.color2[c] as number);
      }
      this.mats[b + 6] = PAT_CODES[m.pattern];
      this.mats[b + 7] = m.scale;
      this.mats[b + 8] = m.axis;
      this.mats[b + 9] = m.emission;
    });
    const room = scene.room;
    this.wallMat = room.wallMaterial;
    this.floorMat = room.floorMaterial;
    this.ceilMat = room.ceilingMaterial;
    this.winMat = room.window ? room.window.material : room.wallMaterial;
    const L = scene.light;
    this.sun = L.kind === 'sun';
    const v = L.kind === 'sun' ? L.direction : L.position;
    [this.lx, this.ly, this.lz] = v;
    this.lr = L.color[0] * L.intensity;
    this.lg = L.color[1] * L.intensity;
    this.lb = L.color[2] * L.intensity;
    this.ambient = L.ambient;
  }

  /** Geometric normal (outward), material, labels and texture coordinates at point p of hit (hit, face). */
  surface(hit: number, face: number, px: number, py: number, pz: number): void {
    const tr = this.tr;
    if (hit < 0) {
      const f = -hit - 1;
      this.obj = -1;
      this.part = 0;
      this.w = 0;
      if (f === FACE_FLOOR || f === FACE_CEILING) {
        this.nx = 0; this.ny = f === FACE_FLOOR ? 1 : -1; this.nz = 0;
        this.u = px; this.v = pz;
        this.mat = f === FACE_FLOOR ? this.floorMat : this.ceilMat;
        this.sem = f === FACE_FLOOR ? SEM.floor : SEM.ceiling;
        return;
      }
      const xWall = f <= 1;
      this.nx = f === 0 ? 1 : f === 1 ? -1 : 0;
      this.ny = 0;
      this.nz = f === 4 ? 1 : f === 5 ? -1 : 0;
      this.u = xWall ? pz : px;
      this.v = py;
      if (f === tr.winWall && this.u >= tr.winU0 && this.u <= tr.winU1 && py >= tr.winV0 && py <= tr.winV1) {
        this.mat = this.winMat;
        this.sem = SEM.window;
      } else {
        this.mat = this.wallMat;
        this.sem = SEM.wall;
      }
      return;
    }
    const a = tr.prims;
    const b = hit * PS;
    const type = a[b] as number;
    const o = a[b + 1] as number;
    this.obj = o;
    this.sem = a[b + 2] as number;
    this.part = a[b + 3] as number;
    this.mat = a[b + 4] as number;
    const cx = a[b + 5] as number, cy = a[b + 6] as number, cz = a[b + 7] as number;
    if (type === T_BOX) {
      const c = a[b + 11] as number, s = a[b + 12] as number;
      const axis = face >> 1;
      const sign = face & 1 ? -1 : 1;
      // local normal e_axis·sign → world: x = c·x' + s·z', z = −s·x' + c·z'
      const nlx = axis === 0 ? sign : 0, nlz = axis === 2 ? sign : 0;
      this.nx = c * nlx + s * nlz;
      this.ny = axis === 1 ? sign : 0;
      this.nz = -s * nlx + c * nlz;
      const X = px - cx, Y = py - cy, Z = pz - cz;
      const lx = c * X - s * Z, lz = s * X + c * Z;
      if (axis === 0) { this.u = lz; this.v = Y; } else if (axis === 1) { this.u = lx; this.v = lz; } else { this.u = lx; this.v = Y; }
      this.w = 0;
      return;
    }
    if (type === T_CYLINDER) {
      const ax = a[b + 8] as number, ay = a[b + 9] as number, az = a[b + 10] as number;
      if (face === 0) {
        const X = px - cx, Y = py - cy, Z = pz - cz;
        const k = X * ax + Y * ay + Z * az;
        let nx = X - k * ax, ny = Y - k * ay, nz = Z - k * az;
        const l = 1 / Math.sqrt(nx * nx + ny * ny + nz * nz);
        nx *= l; ny *= l; nz *= l;
        this.nx = nx; this.ny = ny; this.nz = nz;
      } else {
        const s = face === 1 ? 1 : -1;
        this.nx = s * ax; this.ny = s * ay; this.nz = s * az;
      }
    } else if (type === T_CONE) {
      if (face === 0) {
        const X = px - cx, Z = pz - cz;
        const yb = (a[b + 11] as number) - py;
        let nx = X, ny = (a[b + 10] as number) * yb, nz = Z;
        const l = 1 / Math.sqrt(nx * nx + ny * ny + nz * nz);
        nx *= l; ny *= l; nz *= l;
        this.nx = nx; this.ny = ny; this.nz = nz;
      } else {
        this.nx = 0; this.ny = -1; this.nz = 0;
      }
    } else {
      const r = 1 / (a[b + 8] as number);
      this.nx = (px - cx) * r; this.ny = (py - cy) * r; this.nz = (pz - cz) * r;
    }
    // Solid texture in the object's frame.
    const ob = o * OS;
    const objs = tr.objs;
    const X = px - (objs[ob + 6] as number), Y = py - (objs[ob + 7] as number), Z = pz - (objs[ob + 8] as number);
    const c = objs[ob + 9] as number, s = objs[ob + 10] as number;
    this.u = c * X - s * Z;
    this.v = Y;
    this.w = s * X + c * Z;
  }

  /** Radiance along a camera ray (linear RGB in r, g, b); `hit`/`t` from tr.nearest must be current. */
  shade(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number): void {
    const tr = this.tr;
    const hit = tr.hit;
    if (hit === NO_HIT) { this.r = 0.012; this.g = 0.012; this.b = 0.015; this.sig = -1; return; }
    const t = tr.t;
    const px = ox + t * dx, py = oy + t * dy, pz = oz + t * dz;
    this.surface(hit, tr.face, px, py, pz);
    const m = this.mats;
    const mb = this.mat * MS;
    const em = m[mb + 9] as number;
    const sig0 = Math.imul(Math.imul(hit + 7, 31) + tr.face, 131) + this.mat;
    if (em > 0) { this.r = (m[mb] as number) * em; this.g = (m[mb + 1] as number) * em; this.b = (m[mb + 2] as number) * em; this.sig = sig0; return; }
    let nx = this.nx, ny = this.ny, nz = this.nz;
    if (nx * dx + ny * dy + nz * dz > 0) { nx = -nx; ny = -ny; nz = -nz; }
    const pat = m[mb + 6] as number;
    const wgt = patternWeight(pat, m[mb + 7] as number, m[mb + 8] as number, this.u, this.v, this.w);
    const ar = (m[mb] as number) + ((m[mb + 3] as number) - (m[mb] as number)) * wgt;
    const ag = (m[mb + 1] as number) + ((m[mb + 4] as number) - (m[mb + 1] as number)) * wgt;
    const ab = (m[mb + 2] as number) + ((m[mb + 5] as number) - (m[mb + 2] as number)) * wgt;
    // Hemispherical ambient: surfaces facing up see more sky/ceiling bounce.
    const amb = this.ambient * (0.72 + 0.28 * ny);
    let direct = 0;
    const qx = px + nx * 1e-6, qy = py + ny * 1e-6, qz = pz + nz * 1e-6;
    if (this.sun) {
      const cos = nx * this.lx + ny * this.ly + nz * this.lz;
      if (cos > 0) {
        // Lit only if the ray towards the sun leaves the room through the window pane, unblocked.
        tr.roomExit(qx, qy, qz, this.lx, this.ly, this.lz);
        const f = -tr.hit - 1;
        if (tr.hit !== NO_HIT && f === tr.winWall) {
          const tExit = tr.t;
          const ex = qx + tExit * this.lx, ey = qy + tExit * this.ly, ez = qz + tExit * this.lz;
          const u = f <= 1 ? ez : ex;
          if (u >= tr.winU0 && u <= tr.winU1 && ey >= tr.winV0 && ey <= tr.winV1 && !tr.occluded(qx, qy, qz, this.lx, this.ly, this.lz, tExit)) direct = cos;
        }
      }
    } else {
      const vx = this.lx - qx, vy = this.ly - qy, vz = this.lz - qz;
      const d2 = vx * vx + vy * vy + vz * vz;
      const cosd = nx * vx + ny * vy + nz * vz;
      if (cosd > 0 && !tr.occluded(qx, qy, qz, vx, vy, vz, 1)) direct = cosd / (d2 * Math.sqrt(d2));
    }
    // Pattern cell (checker / stripes have hard edges; noise is smooth) and lit/shadowed state.
    this.sig = Math.imul(sig0, 17) + (pat === PAT_CHECKER || pat === PAT_STRIPES ? ((wgt * 64) | 0) * 2 : 0) + (direct > 0 ? 1 : 0);
    this.r = ar * (amb + direct * this.lr);
    this.g = ag * (amb + direct * this.lg);
    this.b = ab * (amb + direct * this.lb);
  }
}

// Compiling a scene costs microseconds (≤ 6 objects), so it is redone per call: no cache to go stale.
function shaderFor(scene: Scene): Shader {
  return new Shader(scene);
}

/** What both render passes need: the compiled scene, intrinsics at the output size and the camera frame. */
interface View {
  sh: Shader;
  K: Intrinsics;
  camera: CameraPose;
  width: number;
  height: number;
}

/** The per-pixel label arrays of a RenderResult. */
type LabelArrays = Omit<RenderResult, 'width' | 'height' | 'rgb' | 'intrinsics'>;

/**
 * Pass 1: the centre ray of every pixel gives every label, a first linear RGB estimate and the pixel's
 * signature (surface, texture cell, lit state) that decides where pass 2 supersamples.
 */
function labelPass(v: View, maxDepth: number): { labels: LabelArrays; lin: Float32Array; sig: Int32Array } {
  const { sh, K, width, height } = v;
  const tr = sh.tr;
  const { right: R, down: Dn, forward: F, position: [ox, oy, oz] } = v.camera;
  const np = width * height;
  const depth = new Float32Array(np);
  const normals = new Float32Array(np * 3);
  const valid = new Uint8Array(np);
  const semantic = new Uint8Array(np);
  const parts = new Uint8Array(np);
  const saliency = new Uint8Array(np);
  const instance = new Uint8Array(np);
  const primitive = new Int16Array(np).fill(-1);
  const lin = new Float32Array(np * 3);
  const sig = new Int32Array(np);
  const ifx = 1 / K.fx, ify = 1 / K.fy;
  for (let j = 0; j < height; j++) {
    const cyv = (j - K.cy) * ify;
    for (let i = 0; i < width; i++) {
      const p = j * width + i;
      const cxv = (i - K.cx) * ifx;
      const dx = R[0] * cxv + Dn[0] * cyv + F[0];
      const dy = R[1] * cxv + Dn[1] * cyv + F[1];
      const dz = R[2] * cxv + Dn[2] * cyv + F[2];
      tr.nearest(ox, oy, oz, dx, dy, dz);
      // shade() evaluates the surface too: its outward normal, material and labels are left in sh's fields
      // (its shadow rays reuse the tracer, so read the hit first).
      const hit = tr.hit, t = tr.t;
      sh.shade(ox, oy, oz, dx, dy, dz);
      if (hit === NO_HIT) {
        semantic[p] = IGNORE_INDEX;
      } else {
        semantic[p] = sh.sem;
        parts[p] = sh.part;
        saliency[p] = sh.obj >= 0 ? 1 : 0;
        instance[p] = sh.obj + 1;
        if (hit >= 0) primitive[p] = hit;
        if (t <= maxDepth) {
          let nx = sh.nx, ny = sh.ny, nz = sh.nz;
          if (nx * dx + ny * dy + nz * dz > 0) { nx = -nx; ny = -ny; nz = -nz; }
          depth[p] = t;
          valid[p] = 1;
          // Camera-facing normal in the OpenCV frame, negated: Bae et al.'s frame (see opencvNormalToBae).
          // (0 − x, not −x: no −0 for x = 0.)
          normals[3 * p] = 0 - (R[0] * nx + R[1] * ny + R[2] * nz);
          normals[3 * p + 1] = 0 - (Dn[0] * nx + Dn[1] * ny + Dn[2] * nz);
          normals[3 * p + 2] = 0 - (F[0] * nx + F[1] * ny + F[2] * nz);
        }
      }
      lin[3 * p] = sh.r;
      lin[3 * p + 1] = sh.g;
      lin[3 * p + 2] = sh.b;
      sig[p] = sh.sig;
    }
  }
  return { labels: { depth, normals, valid, semantic, parts, saliency, instance, primitive }, lin, sig };
}

/**
 * Pass 2: n×n stratified jittered rays for every pixel (adaptive: false) or only for pixels whose signature
 * differs from a 4-neighbour's (adaptive) — silhouettes, creases, texture and shadow edges — then sRGB encoding.
 * The jitter of pixel p is a hash of (salt, p), so it does not depend on which other pixels are supersampled.
 */
function antialiasPass(v: View, lin: Float32Array, sig: Int32Array, n: number, adaptive: boolean, salt: number): Uint8Array {
  const { sh, K, width, height } = v;
  const tr = sh.tr;
  const { right: R, down: Dn, forward: F, position: [ox, oy, oz] } = v.camera;
  const rgb = new Uint8Array(width * height * 3);
  const ifx = 1 / K.fx, ify = 1 / K.fy;
  const inv = 1 / (n * n);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const p = j * width + i;
      let r = lin[3 * p] as number, g = lin[3 * p + 1] as number, b = lin[3 * p + 2] as number;
      const s0 = sig[p] as number;
      const edge = n > 1 && (!adaptive ||
        (i > 0 && sig[p - 1] !== s0) || (i + 1 < width && sig[p + 1] !== s0) ||
        (j > 0 && sig[p - width] !== s0) || (j + 1 < height && sig[p + width] !== s0));
      if (edge) {
        r = 0; g = 0; b = 0;
        let h = fmix32((Math.imul(p, 0x2c1b3c6d) ^ salt) >>> 0);
        for (let sy = 0; sy < n; sy++) {
          for (let sx = 0; sx < n; sx++) {
            h = fmix32((h + 0x6d2b79f5) >>> 0);
            const jx = (h & 0xffff) / 65536, jy = (h >>> 16) / 65536;
            const ux = (i - 0.5 + (sx + jx) / n - K.cx) * ifx;
            const uy = (j - 0.5 + (sy + jy) / n - K.cy) * ify;
            const ex = R[0] * ux + Dn[0] * uy + F[0];
            const ey = R[1] * ux + Dn[1] * uy + F[1];
            const ez = R[2] * ux + Dn[2] * uy + F[2];
            tr.nearest(ox, oy, oz, ex, ey, ez);
            sh.shade(ox, oy, oz, ex, ey, ez);
            r += sh.r; g += sh.g; b += sh.b;
          }
        }
        r *= inv; g *= inv; b *= inv;
      }
      rgb[3 * p] = encode(r);
      rgb[3 * p + 1] = encode(g);
      rgb[3 * p + 2] = encode(b);
    }
  }
  return rgb;
}

/** Renders RGB and exact labels of a scene at any size (see the README: labels from centre rays, RGB anti-aliased). */
export function renderScene(scene: Scene, opts: RenderOptions): RenderResult {
  const { width, height } = opts;
  const n = opts.samples ?? 2;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Diff2in1Error('toyworld', `renderScene: width and height must be positive integers, got ${width}×${height}`);
  }
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new Diff2in1Error('toyworld', `renderScene: samples must be an integer in 1..16, got ${n}`);
  const view: View = { sh: shaderFor(scene), K: scaleIntrinsics(scene.intrinsics, width, height), camera: scene.camera, width, height };
  const { labels, lin, sig } = labelPass(view, opts.maxDepth ?? 10);
  const salt = fmix32((scene.seed ^ Math.imul(scene.index, 0x9e3779b1)) >>> 0);
  const rgb = antialiasPass(view, lin, sig, n, opts.adaptive ?? true, salt);
  return { width, height, rgb, ...labels, intrinsics: view.K };
}

/** Size of the fixed probe image used to decide which objects are visible (resolution-independent captions). */
export const PROBE_WIDTH = 80;
/** Height of the visibility probe image (see PROBE_WIDTH). */
export const PROBE_HEIGHT = 60;

/** Pixels each object covers in a centre-ray probe render of `width`×`height` (labels only, no shading). */
export function objectPixelCounts(scene: Scene, width = PROBE_WIDTH, height = PROBE_HEIGHT): number[] {
  const tr = shaderFor(scene).tr;
  const K = scaleIntrinsics(scene.intrinsics, width, height);
  const { right: R, down: Dn, forward: F, position: O } = scene.camera;
  const counts = new Array<number>(scene.objects.length).fill(0);
  for (let j = 0; j < height; j++) {
    const cyv = (j - K.cy) / K.fy;
    for (let i = 0; i < width; i++) {
      const cxv = (i - K.cx) / K.fx;
      tr.nearest(O[0], O[1], O[2], R[0] * cxv + Dn[0] * cyv + F[0], R[1] * cxv + Dn[1] * cyv + F[1], R[2] * cxv + Dn[2] * cyv + F[2]);
      if (tr.hit >= 0) {
        const o = tr.prims[tr.hit * PS + 1] as number;
        counts[o] = (counts[o] as number) + 1;
      }
    }
  }
  return counts;
}
