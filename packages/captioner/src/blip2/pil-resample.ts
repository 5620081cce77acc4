// Pillow's Image.resize for 8-bit images (libImaging/Resample.c, Pillow 9.x): a separable convolution, horizontal
// pass first, whose filter support widens by the scale when shrinking (so downsampling antialiases); weights are
// normalised per output pixel, turned into fixed-point integers with 22 fractional bits, and each pass rounds and
// clips to 0..255 — the intermediate image is 8-bit too. Reproducing that integer arithmetic gives Pillow's bytes
// exactly, which is what transformers' image processors feed the model (they resize through PIL).
// sharp/libvips's bicubic is a different kernel and rounding (and transformers.js uses it): close, not equal.
import { Diff2in1Error, checkRawImage, choices } from '@diff2in1/tensor';
import type { RawImage } from '@diff2in1/tensor';

/** PIL resampling filters by name, with the integer codes transformers' configs use (`"resample": 3`). */
export const PIL_RESAMPLE = { nearest: 0, lanczos: 1, bilinear: 2, bicubic: 3, box: 4, hamming: 5 } as const;
export type PilFilter = Exclude<keyof typeof PIL_RESAMPLE, 'nearest'>;

interface Filter {
  support: number;
  f: (x: number) => number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const FILTERS: Record<PilFilter, Filter> = {
  box: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, f: (x) => { const a = Math.abs(x); return a < 1 ? 1 - a : 0; } },
  hamming: {
    support: 1,
    f: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      const px = a * Math.PI;
      return (Math.sin(px) / px) * (0.54 + 0.46 * Math.cos(px));
    },
  },
  bicubic: {
    // Keys' cubic convolution with a = -0.5
    support: 2,
    f: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, f: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 32 - 8 - 2;

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // per output index: xmin, count
  kk: Int32Array; // fixed-point weights, ksize per output index
}

/** precompute_coeffs + normalize_coeffs_8bpc for one axis (box = whole input). */
function coefficients(inSize: number, outSize: number, filter: Filter): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0); // C (int) cast truncates
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.f((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      let w = x < xmax ? (k[x] as number) : 0;
      if (x < xmax && ww !== 0) w /= ww;
      kk[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS; // arithmetic shift (floor), as the C code's int >> PRECISION_BITS
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resizes 8-bit pixels exactly as Pillow's `Image.resize((width, height), resample)` (no box, no reducing_gap).
 * `filter` is a name or PIL's integer code (2 bilinear, 3 bicubic, 1 lanczos, 4 box, 5 hamming).
 */
export function pilResize(img: RawImage, width: number, height: number, filter: PilFilter | number = 'bicubic'): RawImage {
  checkRawImage(img, 'pilResize input');
  if (img.bitDepth !== 8 || (img.channels !== 1 && img.channels !== 3)) {
    // Pillow premultiplies alpha for LA/RGBA before resampling; that path is not reproduced here.
    throw new Diff2in1Error('image', `pilResize handles 8-bit grey or RGB images (Pillow modes L, RGB), got ${img.channels} channels at ${img.bitDepth} bits; convert first`);
  }
  const name = typeof filter === 'number'
    ? (Object.entries(PIL_RESAMPLE).find(([, v]) => v === filter)?.[0] as PilFilter | 'nearest' | undefined)
    : filter;
  if (name === undefined || name === 'nearest' || !(name in FILTERS)) {
    throw new Diff2in1Error('image', `resample filter ${JSON.stringify(filter)} is not supported; ${choices(Object.keys(FILTERS).map((n) => `${n} (${PIL_RESAMPLE[n as PilFilter]})`))}`);
  }
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1) {
    throw new Diff2in1Error('image', `pilResize: target size must be positive integers, got ${width}×${height}`);
  }
  const f = FILTERS[name];
  const c = img.channels;
  if (width === img.width && height === img.height) return { ...img, data: (img.data as Uint8Array).slice() };
  const needH = width !== img.width;
  const needV = height !== img.height;
  const horiz = coefficients(img.width, width, f);
  const vert = coefficients(img.height, height, f);
  // Rows of the source the vertical pass reads (the horizontal pass only computes those).
  const yFirst = vert.bounds[0] as number;
  const yLast = (vert.bounds[height * 2 - 2] as number) + (vert.bounds[height * 2 - 1] as number);
  let src = img.data as Uint8Array;
  let srcW = img.width;
  let rowOffset = 0;
  if (needH) {
    const rows = yLast - yFirst;
    const tmp = new Uint8Array(rows * width * c);
    const { ksize, bounds, kk } = horiz;
    for (let yy = 0; yy < rows; yy++) {
      const rowBase = (yy + yFirst) * img.width * c;
      for (let xx = 0; xx < width; xx++) {
        const xmin = bounds[xx * 2] as number;
        const xmax = bounds[xx * 2 + 1] as number;
        for (let ch = 0; ch < c; ch++) {
          let ss = 1 << (PRECISION_BITS - 1);
          for (let x = 0; x < xmax; x++) ss += (src[rowBase + (x + xmin) * c + ch] as number) * (kk[xx * ksize + x] as number);
          tmp[(yy * width + xx) * c + ch] = clip8(ss);
        }
      }
    }
    src = tmp;
    srcW = width;
    rowOffset = yFirst;
  }
  if (!needV) return { width, height, channels: c, bitDepth: 8, data: src };
  const out = new Uint8Array(width * height * c);
  const { ksize, bounds, kk } = vert;
  for (let yy = 0; yy < height; yy++) {
    const ymin = (bounds[yy * 2] as number) - rowOffset;
    const ymax = bounds[yy * 2 + 1] as number;
    for (let xx = 0; xx < width; xx++) {
      for (let ch = 0; ch < c; ch++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let y = 0; y < ymax; y++) ss += (src[((y + ymin) * srcW + xx) * c + ch] as number) * (kk[yy * ksize + y] as number);
        out[(yy * width + xx) * c + ch] = clip8(ss);
      }
    }
  }
  return { width, height, channels: c, bitDepth: 8, data: out };
}
