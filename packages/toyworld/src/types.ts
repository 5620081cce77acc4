// The scene description: plain JSON-serialisable data (it crosses worker-thread boundaries as is).
// World frame: metres, y up; the room is the box [0, W] × [0, H] × [0, D] with the floor at y = 0.
import type { CameraPose, Intrinsics } from './camera.js';
import type { ObjectKind } from './classes.js';

export type Vec3 = [number, number, number];

export type Pattern = 'plain' | 'checker' | 'stripes' | 'noise';

export interface Material {
  /** Base colour, sRGB 0..255 (the caption's colour word names an object's base colour). */
  color: Vec3;
  /** Second colour of the pattern, sRGB 0..255. */
  color2: Vec3;
  pattern: Pattern;
  /** Pattern cells (or noise features) per metre. */
  scale: number;
  /** Stripe direction for 'stripes' (0 = x, 1 = y, 2 = z of the texture coordinates). */
  axis: 0 | 1 | 2;
  /** Emitted radiance (linear, multiplies `color`); > 0 only for the window pane. */
  emission: number;
}

/**
 * Geometric primitives. `part` is the person-part id (0 for non-person objects); `partName` is the PASCAL-Part
 * part name of a person primitive ('head', 'hair', 'neck', 'torso', 'luarm', 'llarm', 'ruarm', 'rlarm', 'luleg',
 * 'llleg', 'ruleg', 'rlleg', 'lfoot', 'rfoot'; l/r = the person's own left/right).
 */
export type Primitive = (
  | { type: 'sphere'; center: Vec3; radius: number }
  /** Box rotated by `yaw` about the vertical axis: world = center + Ry(yaw)·local, local ∈ [−half, half]. */
  | { type: 'box'; center: Vec3; half: Vec3; yaw: number }
  /** Capped cylinder around the segment center ± axis·halfLength (axis is a unit vector). */
  | { type: 'cylinder'; center: Vec3; axis: Vec3; halfLength: number; radius: number }
  /** Upright cone: base disc of `radius` centred at `base`, apex at base + (0, height, 0). */
  | { type: 'cone'; base: Vec3; height: number; radius: number }
) & { material: number; part: number; partName?: string };

export interface SceneObject {
  kind: ObjectKind;
  /** Colour word of the caption (shirt colour for a person). */
  colorName: string;
  primitives: Primitive[];
  /** A sphere enclosing every primitive (ray culling). */
  bound: { center: Vec3; radius: number };
  /** Origin and yaw of the object's texture frame (solid textures follow the object). */
  anchor: Vec3;
  yaw: number;
}

export type WallId = 0 | 1 | 4 | 5;

export interface Room {
  /** [W, H, D]: x extent, height, z extent. */
  size: Vec3;
  ceiling: boolean;
  wallMaterial: number;
  floorMaterial: number;
  ceilingMaterial: number;
  /**
   * Window pane on one wall (face ids: 0 x=0, 1 x=W, 4 z=0, 5 z=D). u runs along the wall (z for x-walls,
   * x for z-walls), v is the height; the pane is coplanar with the wall.
   */
  window: { wall: WallId; u0: number; u1: number; v0: number; v1: number; material: number } | null;
}

export type Light =
  /** Sunlight entering through the window: `direction` points from the scene towards the sun (unit). */
  | { kind: 'sun'; direction: Vec3; intensity: number; color: Vec3; ambient: number }
  /** A point lamp inside the room. */
  | { kind: 'lamp'; position: Vec3; intensity: number; color: Vec3; ambient: number };

export interface Scene {
  /** Stable id "<seed>-<index>". */
  id: string;
  seed: number;
  index: number;
  room: Room;
  materials: Material[];
  objects: SceneObject[];
  light: Light;
  camera: CameraPose;
  /** Intrinsics at the reference size; renderScene scales them to the requested size. */
  intrinsics: Intrinsics;
}
