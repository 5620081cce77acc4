// Colour maps for visualisations.
//
// PASCAL VOC palette: the bit-shuffle of the VOC devkit (VOCdevkit/VOCcode/VOClabelcolormap.m, Everingham et
// al.): for class i, bit 3k of i goes to bit 7−k of red, bit 3k+1 to green, bit 3k+2 to blue. Class 0 is black,
// 15 (person) is (192, 128, 128), and 255 — the ignore index — is (224, 224, 192), the devkit's "void" colour.
//
// Depth: Turbo (A. Mikhailov, "Turbo, An Improved Rainbow Colormap for Visualization", Google AI Blog, 2019),
// sampled at 33 evenly spaced points (8-bit RGB, from matplotlib's 'turbo' table) and linearly interpolated;
// within 3.3/255 of the full 256-entry table everywhere.

const TURBO_33: readonly (readonly [number, number, number])[] = [
  [48, 18, 59], [57, 42, 115], [64, 64, 162], [68, 86, 199], [70, 107, 227], [70, 128, 246], [66, 148, 255],
  [55, 168, 250], [40, 188, 235], [28, 205, 216], [24, 221, 194], [31, 233, 175], [50, 242, 152], [78, 249, 125],
  [109, 254, 98], [139, 255, 75], [164, 252, 60], [185, 246, 53], [205, 236, 52], [223, 223, 55], [238, 207, 58],
  [248, 190, 57], [253, 172, 52], [254, 150, 43], [251, 126, 33], [244, 102, 23], [235, 80, 14], [223, 63, 8],
  [208, 47, 5], [190, 33, 2], [169, 22, 1], [146, 11, 1], [122, 4, 3],
];

/** Turbo colour of x ∈ [0, 1] (clamped; NaN → 0) as 8-bit RGB. */
export function turbo(x: number): [number, number, number] {
  const t = Number.isNaN(x) ? 0 : Math.min(1, Math.max(0, x));
  const s = t * (TURBO_33.length - 1);
  const i = Math.min(Math.floor(s), TURBO_33.length - 2);
  const f = s - i;
  const a = TURBO_33[i] as readonly number[], b = TURBO_33[i + 1] as readonly number[];
  return [0, 1, 2].map((c) => Math.round((a[c] as number) * (1 - f) + (b[c] as number) * f)) as [number, number, number];
}

/** The PASCAL VOC colour map: `n` entries (default 256) of [r, g, b]. */
export function vocPalette(n = 256): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    let r = 0, g = 0, b = 0, c = i;
    for (let j = 0; j < 8; j++) {
      r |= (c & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    out.push([r, g, b]);
  }
  return out;
}
