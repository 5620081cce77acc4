import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { oneCycleLr } from './lr-schedule.js';

// Golden: torch 1.13's OneCycleLR (tools/golden/self-improver/one_cycle.py).
const golden = JSON.parse(readFileSync(new URL('./fixtures/one-cycle-golden.json', import.meta.url), 'utf8')) as {
  cases: { total: number; max_lr: number; div_factor: number; final_div_factor: number; pct_start: number; lr: number[] }[];
};

describe('oneCycleLr', () => {
  test.each(golden.cases.map((c) => [`${c.total} steps, max ${c.max_lr}, pct ${c.pct_start}`, c] as const))('equals torch OneCycleLR: %s', (_, c) => {
    const f = oneCycleLr({ total: c.total, maxLr: c.max_lr, divFactor: c.div_factor, finalDivFactor: c.final_div_factor, pctStart: c.pct_start });
    c.lr.forEach((want, i) => expect(Math.abs(f(i) - want)).toBeLessThanOrEqual(1e-12 * c.max_lr));
  });

  test('starts at max/div, peaks at max, ends at max/(div·final_div); bad settings are errors', () => {
    const f = oneCycleLr({ total: 101, maxLr: 1 });
    expect(f(0)).toBeCloseTo(1 / 25, 15);
    expect(f(100)).toBeCloseTo(1 / 25e4, 15);
    expect(Math.max(...Array.from({ length: 101 }, (_, i) => f(i)))).toBeCloseTo(1, 3);
    expect(() => f(101)).toThrow(/outside the schedule of 101/);
    expect(() => oneCycleLr({ total: 1, maxLr: 1 })).toThrow(/total must be an integer ≥ 2/);
    expect(() => oneCycleLr({ total: 10, maxLr: 1, pctStart: 1 })).toThrow(/pctStart must lie in \(0, 1\)/);
  });
});
