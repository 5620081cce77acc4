import { describe, expect, it } from 'vitest';
import { tensor } from '@diff2in1/tensor';
import { DepthAccumulator } from './metrics/depth.js';
import { NormalsAccumulator } from './metrics/normals.js';
import { SaliencyAccumulator } from './metrics/saliency.js';
import { SegmentationAccumulator } from './metrics/segmentation.js';
import { TASK_NAMES, getTask, tasks } from './registry.js';

describe('task registry', () => {
  it('lists five tasks with their metrics', () => {
    expect([...TASK_NAMES].sort()).toEqual(Object.keys(tasks).sort());
    expect(getTask('normals').metric()).toBeInstanceOf(NormalsAccumulator);
    expect(getTask('depth').metric({ averaging: 'images' })).toBeInstanceOf(DepthAccumulator);
    expect(getTask('saliency').metric()).toBeInstanceOf(SaliencyAccumulator);
    expect(getTask('parts').metric().numClasses).toBe(7);
    expect(getTask('semseg').metric({ numClasses: 40 })).toBeInstanceOf(SegmentationAccumulator);
  });

  it('explains what is missing or unknown', () => {
    expect(() => getTask('semseg').metric()).toThrow(/needs numClasses/);
    expect(() => getTask('edges')).toThrow(/unknown task 'edges'; one of: normals, depth, semseg, parts, saliency/);
  });

  it('parts codec ignores images without any part pixel (InvPT)', () => {
    const parts = getTask('parts');
    const raw = { width: 2, height: 1, channels: 1 as const, bitDepth: 8 as const, data: Uint8Array.from([0, 0]) };
    expect(Array.from(parts.codec.decodePng(raw, { numClasses: 7 }).valid.data)).toEqual([0, 0]);
    expect(Array.from(getTask('semseg').codec.decodePng(raw, { numClasses: 7 }).valid.data)).toEqual([1, 1]);
    expect(getTask('normals').visualize(tensor('float32', [3, 1, 1], [1, 1, 1])).data[0]).toBe(255);
  });
});
