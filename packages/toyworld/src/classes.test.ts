// Label-space maps: hand-computed ids from the tables' sources (InvPT context_classes.json, objectInfo150).
import { describe, expect, it } from 'vitest';
import { ADE150_OF_SEM, CONTEXT459_OF_SEM, IGNORE_INDEX, NYU40_OF_SEM, SEM, mapLabels } from './classes.js';

describe('mapLabels', () => {
  const semantic = Uint8Array.of(SEM.wall, SEM.person, IGNORE_INDEX, SEM.window);

  it('keeps PASCAL-Context ids above 255 (wall 440, person 284, window 454) in a Uint16Array', () => {
    const m = mapLabels(semantic, CONTEXT459_OF_SEM, 0);
    expect(m).toBeInstanceOf(Uint16Array);
    expect([...m]).toEqual([440, 284, 0, 454]);
  });

  it('uses a Uint8Array when every id fits 8 bits (ADE20K, NYU-40)', () => {
    const ade = mapLabels(semantic, ADE150_OF_SEM, 0);
    expect(ade).toBeInstanceOf(Uint8Array);
    expect([...ade]).toEqual([1, 13, 0, 9]);
    expect([...mapLabels(semantic, NYU40_OF_SEM, 0)]).toEqual([1, 31, 0, 9]);
  });

  it('refuses an 8-bit out for 16-bit ids, and semantic ids the table does not cover', () => {
    expect(() => mapLabels(semantic, CONTEXT459_OF_SEM, 0, new Uint8Array(4))).toThrow(/ids up to 454 do not fit the Uint8Array/);
    expect(() => mapLabels(Uint8Array.of(9), NYU40_OF_SEM, 0)).toThrow(/semantic id 9 has no entry in a table of 9 classes/);
  });
});
