import { describe, expect, it } from 'vitest';
import { captionOf, CAPTION_MIN_PIXELS, joinPhrases } from './caption.js';
import { renderScene } from './render.js';
import { toyImage } from './toy-image.js';

describe('caption grammar', () => {
  it('lists, groups and counts as in "a room with a red box, a blue sphere and a green cylinder"', () => {
    expect(captionOf([])).toBe('an empty room');
    expect(captionOf([{ kind: 'box', colorName: 'red' }])).toBe('a room with a red box');
    expect(captionOf([{ kind: 'box', colorName: 'red' }, { kind: 'sphere', colorName: 'blue' }])).toBe('a room with a red box and a blue sphere');
    expect(captionOf([{ kind: 'box', colorName: 'red' }, { kind: 'sphere', colorName: 'blue' }, { kind: 'cylinder', colorName: 'green' }]))
      .toBe('a room with a red box, a blue sphere and a green cylinder');
    expect(captionOf([{ kind: 'box', colorName: 'red' }, { kind: 'sphere', colorName: 'blue' }, { kind: 'box', colorName: 'red' }]))
      .toBe('a room with two red boxes and a blue sphere');
    expect(captionOf([{ kind: 'cone', colorName: 'orange' }, { kind: 'person', colorName: 'teal' }, { kind: 'person', colorName: 'teal' }, { kind: 'box', colorName: 'red' }]))
      .toBe('a room with an orange cone, two people in teal and a red box');
    expect(captionOf([{ kind: 'person', colorName: 'red' }])).toBe('a room with a person in red');
    expect(joinPhrases(['a', 'b', 'c', 'd'])).toBe('a, b, c and d');
  });
});

describe('captions list exactly the visible objects', () => {
  it('the caption names the objects covering ≥ 2 pixels of an 80×60 render, and none other', () => {
    for (let i = 0; i < 12; i++) {
      const img = toyImage(3, i, { width: 80, height: 60, samples: 1 });
      const counts = new Map<number, number>();
      for (const k of img.instance) if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
      const listed = img.objects.filter((o) => o.captioned);
      for (const o of img.objects) expect(o.captioned).toBe((counts.get(o.instance) ?? 0) >= CAPTION_MIN_PIXELS);
      expect(img.caption).toBe(captionOf(listed));
      expect(listed.length).toBeGreaterThan(0);
      // At a larger size, an object covering ≥ 1 % of the image is always captioned.
      const big = renderScene(img.scene, { width: 320, height: 240, samples: 1 });
      const area = new Map<number, number>();
      for (const k of big.instance) if (k) area.set(k, (area.get(k) ?? 0) + 1);
      for (const [k, a] of area) if (a >= 0.01 * 320 * 240) expect(img.objects[k - 1]!.captioned).toBe(true);
    }
  });
});
