import { describe, expect, it } from 'vitest';
import type { RawImage } from './image.js';
import { tileGrid } from './tile-grid.js';

const grey = (w: number, h: number, v: number): RawImage => ({ width: w, height: h, channels: 1, bitDepth: 8, data: new Uint8Array(w * h).fill(v) });

describe('tileGrid', () => {
  it('places different-size grey images in max-size cells with padding (hand-drawn layout)', () => {
    const g = tileGrid([grey(2, 1, 10), grey(1, 2, 20), grey(1, 1, 30)], { cols: 2, pad: 1, background: [99] });
    // cells 2×2, 2 cols, 2 rows: width = 2·2 + 3·1 = 7, height = 2·2 + 3 = 7
    expect([g.width, g.height, g.channels, g.bitDepth]).toEqual([7, 7, 1, 8]);
    const B = 99;
    const rows = [
      [B, B, B, B, B, B, B],
      [B, 10, 10, B, 20, B, B],
      [B, B, B, B, 20, B, B],
      [B, B, B, B, B, B, B],
      [B, 30, B, B, B, B, B],
      [B, B, B, B, B, B, B],
      [B, B, B, B, B, B, B],
    ];
    expect(Array.from(g.data)).toEqual(rows.flat());
  });
  it('promotes to colour, alpha and 16 bits when any input has them', () => {
    const rgba16: RawImage = { width: 1, height: 1, channels: 4, bitDepth: 16, data: new Uint16Array([1, 2, 3, 4]) };
    const g = tileGrid([grey(1, 1, 2), rgba16], { cols: 3 });
    expect([g.width, g.height, g.channels, g.bitDepth]).toEqual([2, 1, 4, 16]);
    expect(Array.from(g.data)).toEqual([514, 514, 514, 65535, 1, 2, 3, 4]);
  });
  it('rejects bad options', () => {
    expect(() => tileGrid([], { cols: 1 })).toThrow(/at least one/);
    expect(() => tileGrid([grey(1, 1, 0)], { cols: 0 })).toThrow(/cols/);
    expect(() => tileGrid([grey(1, 1, 0)], { cols: 1, background: [1, 2] })).toThrow(/background has 2 values/);
  });
});
