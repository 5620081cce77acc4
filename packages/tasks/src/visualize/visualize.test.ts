import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readRawImage, tensor } from '@diff2in1/tensor';
import { turbo, vocPalette } from './colormaps.js';
import { classesToRgb, depthToRgb, normalsToRgb, saliencyToGrey, writeVisualization } from './visualize.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/metrics-golden.json', import.meta.url), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'd2i-vis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('colour maps', () => {
  it('VOC palette has the devkit colours', () => {
    const p = vocPalette();
    expect(p[0]).toEqual([0, 0, 0]);
    expect(p[1]).toEqual([128, 0, 0]); // aeroplane
    expect(p[2]).toEqual([0, 128, 0]);
    expect(p[15]).toEqual([192, 128, 128]); // person
    expect(p[20]).toEqual([0, 64, 128]); // tvmonitor
    expect(p[255]).toEqual([224, 224, 192]); // void
  });

  it('turbo stays within 3.5/255 of matplotlib\'s table (golden)', () => {
    const { x, rgb255 } = golden.constants.turbo17 as { x: number[]; rgb255: number[][] };
    x.forEach((v, i) => {
      const c = turbo(v);
      for (let k = 0; k < 3; k++) expect(Math.abs((c[k] as number) - ((rgb255[i] as number[])[k] as number))).toBeLessThanOrEqual(3.5);
    });
  });
});

describe('visualisations', () => {
  it('normals → (n+1)/2·255, invalid black', () => {
    const img = normalsToRgb(tensor('float32', [3, 1, 2], [0, 1, 1, 1, -1, 1]), tensor('bool', [1, 2], [1, 0]));
    expect(Array.from(img.data)).toEqual([128, 255, 0, 0, 0, 0]);
  });

  it('depth uses a fixed range; classes use the palette with ignore colour; saliency is grey', () => {
    const d = depthToRgb(tensor('float32', [1, 1, 3], [0, 10, 20]), undefined, { min: 0, max: 10 });
    expect(Array.from(d.data.slice(0, 3))).toEqual(turbo(0));
    expect(Array.from(d.data.slice(3, 6))).toEqual(turbo(1));
    expect(Array.from(d.data.slice(6, 9))).toEqual(turbo(1)); // clamped
    const c = classesToRgb(tensor('int32', [1, 2], [15, 3]), tensor('bool', [1, 2], [1, 0]));
    expect(Array.from(c.data)).toEqual([192, 128, 128, 224, 224, 192]);
    expect(() => classesToRgb(tensor('int32', [1, 1], [300]))).toThrow(/no colour/);
    expect(Array.from(saliencyToGrey(tensor('float32', [1, 2], [0.5, 1])).data)).toEqual([128, 255]);
  });

  it('writes a PNG that reads back identically', async () => {
    const img = classesToRgb(tensor('int32', [2, 2], [0, 1, 2, 15]));
    const path = join(dir, 'seg.png');
    await writeVisualization(path, img);
    const back = await readRawImage(path);
    expect(back.channels).toBe(3);
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
  });
});
