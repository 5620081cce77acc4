// Tiling images into one grid image (for visualisations: image | prediction | ground truth rows).
import { Diff2in1Error } from './errors.js';
import type { RawImage } from './image.js';
import { checkRawImage, convertBitDepth, convertChannels } from './image.js';

export interface TileGridOptions {
  /** Cells per row (≥ 1). */
  cols: number;
  /** Pixels of background between cells and around the border (default 0). */
  pad?: number;
  /**
   * Background in the output's integer scale (0..255 or 0..65535): one value for every colour channel, or
   * one per output channel. Alpha, when not given, is opaque. Default black.
   */
  background?: number[];
}

/**
 * Places images row by row in cells of the largest width × height (each image at its cell's top-left).
 * The output has colour if any input has colour, alpha if any has alpha, and 16 bits if any is 16-bit;
 * grey is replicated to RGB, missing alpha is opaque, 8-bit values widen as v·257.
 */
export function tileGrid(images: readonly RawImage[], opts: TileGridOptions): RawImage {
  if (images.length === 0) throw new Diff2in1Error('image', 'tileGrid needs at least one image');
  const cols = opts.cols;
  const pad = opts.pad ?? 0;
  if (!Number.isSafeInteger(cols) || cols < 1) throw new Diff2in1Error('image', `tileGrid: cols must be a positive integer, got ${cols}`);
  if (!Number.isSafeInteger(pad) || pad < 0) throw new Diff2in1Error('image', `tileGrid: pad must be a non-negative integer, got ${pad}`);
  images.forEach((im, i) => checkRawImage(im, `tileGrid image ${i}`));
  const colour = images.some((im) => im.channels >= 3);
  const alpha = images.some((im) => im.channels === 2 || im.channels === 4);
  const channels = ((colour ? 3 : 1) + (alpha ? 1 : 0)) as 1 | 2 | 3 | 4;
  const bitDepth = images.some((im) => im.bitDepth === 16) ? 16 : 8;
  const max = bitDepth === 16 ? 65535 : 255;
  const cw = Math.max(...images.map((im) => im.width));
  const ch = Math.max(...images.map((im) => im.height));
  const rows = Math.ceil(images.length / cols);
  const usedCols = Math.min(cols, images.length);
  const width = usedCols * cw + (usedCols + 1) * pad;
  const height = rows * ch + (rows + 1) * pad;

  const colourN = colour ? 3 : 1;
  const bgIn = opts.background ?? [0];
  let bg: number[];
  if (bgIn.length === 1) bg = [...new Array<number>(colourN).fill(bgIn[0] as number), ...(alpha ? [max] : [])];
  else if (bgIn.length === colourN && alpha) bg = [...bgIn, max];
  else if (bgIn.length === channels) bg = [...bgIn];
  else throw new Diff2in1Error('image', `tileGrid: background has ${bgIn.length} values; the grid has ${channels} channels (give 1, ${colourN}${alpha ? ` or ${channels}` : ''})`);
  if (bg.some((v) => !Number.isInteger(v) || v < 0 || v > max)) {
    throw new Diff2in1Error('image', `tileGrid: background values must be integers in 0..${max}, got [${bg.join(', ')}]`);
  }

  const out = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) for (let k = 0; k < channels; k++) out[p * channels + k] = bg[k] as number;
  images.forEach((im0, i) => {
    const im = convertBitDepth(convertChannels(im0, channels), bitDepth);
    const x0 = pad + (i % cols) * (cw + pad);
    const y0 = pad + Math.floor(i / cols) * (ch + pad);
    const rowLen = im.width * channels;
    for (let y = 0; y < im.height; y++) {
      const s = y * rowLen;
      out.set(im.data.subarray(s, s + rowLen), ((y0 + y) * width + x0) * channels);
    }
  });
  return { width, height, channels, bitDepth, data: out };
}
