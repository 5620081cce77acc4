import { describe, expect, it } from 'vitest';
import { DDIMScheduler } from './scheduling-ddim.js';
import { DDPMScheduler } from './scheduling-ddpm.js';
import { PNDMScheduler } from './scheduling-pndm.js';
import { fixture } from './fixtures/load.js';
import type { Scheduler, TimestepSpacing } from './scheduling-utils.js';
import { npArange, npLinspace, roundHalfEven } from './numpy-numerics.js';

interface TsCase { class: string; config: { timestep_spacing: TimestepSpacing; steps_offset: number; num_train_timesteps: number }; n: number; timesteps: number[] }
const golden = fixture<{ cases: TsCase[] }>('timesteps.json').cases;

function make(cls: string, config: TsCase['config']): Scheduler {
  switch (cls) {
    case 'DDIMScheduler': return new DDIMScheduler(config);
    case 'DDPMScheduler': return new DDPMScheduler(config);
    case 'PNDMScheduler': return new PNDMScheduler({ ...config, skip_prk_steps: true });
    case 'PNDMScheduler/prk': return new PNDMScheduler({ ...config, skip_prk_steps: false });
    default: throw new Error(cls);
  }
}

describe('timesteps vs diffusers v0.25.0 set_timesteps', () => {
  it(`covers ${golden.length} configurations`, () => {
    expect(golden.length).toBeGreaterThan(80);
  });
  for (const c of golden) {
    const { timestep_spacing: sp, steps_offset: off, num_train_timesteps: T } = c.config;
    it(`${c.class} ${sp} offset=${off} T=${T} n=${c.n}`, () => {
      const s = make(c.class, c.config);
      s.setTimesteps(c.n);
      expect([...s.timesteps]).toEqual(c.timesteps);
    });
  }
});

describe('timesteps: closed forms', () => {
  it('SD v1-5 DDIM, 50 steps, leading + offset 1: 981, 961, …, 1', () => {
    const s = new DDIMScheduler({ steps_offset: 1 });
    s.setTimesteps(50);
    expect([...s.timesteps]).toEqual(Array.from({ length: 50 }, (_, i) => 981 - 20 * i));
  });

  it('PLMS visits the second timestep twice: 981, 961, 961, 941, …', () => {
    const s = new PNDMScheduler({ skip_prk_steps: true, steps_offset: 1 });
    s.setTimesteps(50);
    expect(s.timesteps.slice(0, 4)).toEqual([981, 961, 961, 941]);
    expect(s.timesteps.length).toBe(51);
  });

  it('trailing 10 of 1000 ends at 999 and steps by 100; linspace spans 999 → 0', () => {
    const tr = new DDIMScheduler({ timestep_spacing: 'trailing' });
    tr.setTimesteps(10);
    expect([...tr.timesteps]).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
    const ls = new DDIMScheduler({ timestep_spacing: 'linspace' });
    ls.setTimesteps(4);
    expect([...ls.timesteps]).toEqual([999, 666, 333, 0]);
  });

  it('timestepRange spreads the schedule over [0, range): 50 steps below 600 step by 12', () => {
    const s = new DDIMScheduler({ steps_offset: 1 });
    s.setTimesteps(50, { timestepRange: 600 });
    expect(s.timesteps[0]).toBe(589);
    expect(s.timesteps[49]).toBe(1);
    expect(s.prevTimestep(589)).toBe(577);
  });

  it('rejects more steps than the range and non-integers', () => {
    const s = new DDIMScheduler();
    expect(() => s.setTimesteps(1001)).toThrow(/numInferenceSteps must be an integer in \[1, 1000\]/);
    expect(() => s.setTimesteps(2.5)).toThrow(/numInferenceSteps/);
    expect(() => s.setTimesteps(10, { timestepRange: 1200 })).toThrow(/timestepRange must be an integer in \[1, 1000\]/);
    expect(() => new PNDMScheduler({ skip_prk_steps: false }).setTimesteps(3)).toThrow(/numInferenceSteps must be ≥ 4/);
  });
});

describe('numpy helpers', () => {
  it('round half to even like np.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, 2, 3]);
  });
  it('np.arange fills start + i·((start + step) − start); np.linspace pins the endpoint', () => {
    expect(npArange(10, 0, -2.5)).toEqual([10, 7.5, 5, 2.5]);
    expect(npArange(0, 1, 0.4)).toEqual([0, 0.4, 0.8]);
    expect(npLinspace(0, 999, 3)).toEqual([0, 499.5, 999]);
    expect(npLinspace(0, 9, 1)).toEqual([0]);
  });
});
