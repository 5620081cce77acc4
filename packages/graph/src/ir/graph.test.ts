import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './graph.js';

describe('GraphBuilder.scalar', () => {
  it('stores float16 scalars as IEEE half bit patterns', () => {
    const g = new GraphBuilder('s');
    const half = g.scalar(0.5, 'float16');
    const init = g.initializers.find((v) => v === half);
    expect(init).toBeDefined();
    const src = half.source as { kind: string; tensor?: { data: Uint16Array } };
    expect(src.kind).toBe('initializer');
    expect(src.tensor?.data[0]).toBe(0x3800); // 0.5 in binary16
    expect((g.scalar(-2, 'float16').source as { tensor: { data: Uint16Array } }).tensor.data[0]).toBe(0xc000);
  });
});
