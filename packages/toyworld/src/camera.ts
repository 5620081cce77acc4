// Pinhole camera with NYUv2's Kinect RGB intrinsics, scaled to any output size.
//
// Reference intrinsics (640×480): fx = 518.8579, fy = 519.4696, cx = 325.5824, cy = 253.7362 — the RGB camera
// calibration shipped with the NYU Depth v2 toolbox (camera_params.m: fx_rgb = 5.1885790117450188e+02,
// fy_rgb = 5.1946961112127485e+02, cx_rgb = 3.2558244941119034e+02, cy_rgb = 2.5373616633400465e+02).
//
// Pixel convention (OpenCV's): pixel (i, j) — column i, row j, both 0-based — has its centre at image point
// (x, y) = (i, j). Its centre ray in the camera frame is ((i − cx)/fx, (j − cy)/fy, 1). Camera frame: x right,
// y down, z forward (into the scene). Depth is z in that frame (NOT the ray length), as in NYUv2.
//
// Resizing 640×480 → W×H maps image point x to (x + 0.5)·W/640 − 0.5 (pixel edges to pixel edges, as a plain
// image resize does), so fx' = fx·W/640 and cx' = (cx + 0.5)·W/640 − 0.5 (same for y with H/480). A non-4:3
// size therefore gets non-square pixels: exactly what resizing an NYU frame to e.g. 512×512 produces.

export interface Intrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
}

/** NYUv2 Kinect RGB intrinsics at the native 640×480 (NYU Depth v2 toolbox, camera_params.m). */
export const NYU_INTRINSICS: Intrinsics = {
  fx: 5.1885790117450188e2,
  fy: 5.1946961112127485e2,
  cx: 3.2558244941119034e2,
  cy: 2.5373616633400465e2,
  width: 640,
  height: 480,
};

/** Scales intrinsics to a new image size (see the header comment for the pixel-centre convention). */
export function scaleIntrinsics(k: Intrinsics, width: number, height: number): Intrinsics {
  const sx = width / k.width;
  const sy = height / k.height;
  return {
    fx: k.fx * sx,
    fy: k.fy * sy,
    cx: (k.cx + 0.5) * sx - 0.5,
    cy: (k.cy + 0.5) * sy - 0.5,
    width,
    height,
  };
}

/** Camera pose: position and the world directions of the camera's x (right), y (down) and z (forward) axes. */
export interface CameraPose {
  position: [number, number, number];
  right: [number, number, number];
  down: [number, number, number];
  forward: [number, number, number];
}

/**
 * A look-at pose in a y-up world: forward points at `target`, `roll` (radians) turns the image clockwise about
 * forward. Right-handed: right × down = forward.
 */
export function lookAt(position: [number, number, number], target: [number, number, number], roll = 0): CameraPose {
  let fx = target[0] - position[0];
  let fy = target[1] - position[1];
  let fz = target[2] - position[2];
  const fl = Math.hypot(fx, fy, fz);
  fx /= fl; fy /= fl; fz /= fl;
  // right = forward × up(0,1,0) = (−fz, 0, fx)
  let rx = -fz;
  let rz = fx;
  const rl = Math.hypot(rx, rz);
  if (rl < 1e-9) throw new Error('lookAt: forward is vertical; the camera roll is undefined');
  rx /= rl; rz /= rl;
  // down = forward × right
  const dx = fy * rz;
  const dy = fz * rx - fx * rz;
  const dz = -fy * rx;
  const c = Math.cos(roll);
  const s = Math.sin(roll);
  const r2x = c * rx + s * dx, r2y = s * dy, r2z = c * rz + s * dz;
  const d2x = -s * rx + c * dx, d2y = c * dy, d2z = -s * rz + c * dz;
  return { position: [position[0], position[1], position[2]], right: [r2x, r2y, r2z], down: [d2x, d2y, d2z], forward: [fx, fy, fz] };
}

/** World point → camera frame (x right, y down, z forward). */
export function worldToCamera(pose: CameraPose, p: readonly [number, number, number]): [number, number, number] {
  const x = p[0] - pose.position[0], y = p[1] - pose.position[1], z = p[2] - pose.position[2];
  const { right: r, down: d, forward: f } = pose;
  return [r[0] * x + r[1] * y + r[2] * z, d[0] * x + d[1] * y + d[2] * z, f[0] * x + f[1] * y + f[2] * z];
}

/** Camera-frame point → world. */
export function cameraToWorld(pose: CameraPose, p: readonly [number, number, number]): [number, number, number] {
  const { right: r, down: d, forward: f, position: o } = pose;
  return [
    o[0] + r[0] * p[0] + d[0] * p[1] + f[0] * p[2],
    o[1] + r[1] * p[0] + d[1] * p[1] + f[1] * p[2],
    o[2] + r[2] * p[0] + d[2] * p[1] + f[2] * p[2],
  ];
}

/** Back-projects pixel (i, j) with z-depth `depth` to a camera-frame point. */
export function backProject(k: Intrinsics, i: number, j: number, depth: number): [number, number, number] {
  return [((i - k.cx) / k.fx) * depth, ((j - k.cy) / k.fy) * depth, depth];
}

/** Projects a camera-frame point to image coordinates (x, y) (pixel centres at integers). */
export function project(k: Intrinsics, p: readonly [number, number, number]): [number, number] {
  return [k.fx * (p[0] / p[2]) + k.cx, k.fy * (p[1] / p[2]) + k.cy];
}

/**
 * Our `normals` arrays use the frame of Bae et al.'s NYUv2 normal maps: the vector stored is the NEGATED
 * camera-facing normal in the OpenCV frame, i.e. the camera-facing normal with axes x left, y up, z towards the
 * camera. A wall facing the camera is (0, 0, 1) → PNG (128, 128, 255); the floor seen by a level camera is
 * (0, 1, 0) → green; a wall on the image's left side (facing right) has x < 0. This function converts an
 * OpenCV-frame normal to that frame (it is its own inverse).
 */
export function opencvNormalToBae(n: readonly [number, number, number]): [number, number, number] {
  return [-n[0], -n[1], -n[2]];
}
