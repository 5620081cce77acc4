import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Diff2in1Error } from '@diff2in1/tensor';
import { diff2in1OfficialDdimConfig, fromConfig, fromConfigFile, sd15SchedulerConfig } from './from-config.js';
import { DDIMScheduler } from './scheduling-ddim.js';
import { PNDMScheduler } from './scheduling-pndm.js';
import { DDPMScheduler } from './scheduling-ddpm.js';
import { fixture } from './fixtures/load.js';

describe('fromConfig', () => {
  it("SD v1-5's config builds its PNDM scheduler (the same dict the golden script fed diffusers)", () => {
    const golden = fixture<{ sd15: Record<string, unknown> }>('img2img.json').sd15;
    expect({ ...sd15SchedulerConfig }).toEqual(golden);
    const s = fromConfig(sd15SchedulerConfig);
    expect(s).toBeInstanceOf(PNDMScheduler);
    const c = (s as PNDMScheduler).config;
    expect([c.skip_prk_steps, c.steps_offset, c.set_alpha_to_one, c.beta_schedule, c.beta_start, c.beta_end]).toEqual([true, 1, false, 'scaled_linear', 0.00085, 0.012]);
  });

  it('className loads a config into another class, ignoring keys that class does not read', () => {
    const s = fromConfig(sd15SchedulerConfig, { className: 'DDIMScheduler' });
    expect(s).toBeInstanceOf(DDIMScheduler);
    const c = (s as DDIMScheduler).config;
    expect(c.clip_sample).toBe(false);
    expect('skip_prk_steps' in c).toBe(false);
    expect(c.prediction_type).toBe('epsilon'); // DDIM default fills the key the PNDM file lacks
    expect(fromConfig({ _class_name: 'DDPMScheduler', num_train_timesteps: 10 })).toBeInstanceOf(DDPMScheduler);
  });

  it('the official DDIM config equals SD v1-5 loaded as DDIM', () => {
    const a = (fromConfig(diff2in1OfficialDdimConfig) as DDIMScheduler).config;
    const b = (fromConfig(sd15SchedulerConfig, { className: 'DDIMScheduler' }) as DDIMScheduler).config;
    expect(a).toEqual(b);
  });

  it('unknown keys are ignored; overrides win; _use_default_values falls back to defaults', () => {
    const s = fromConfig({ ...sd15SchedulerConfig, whatever: 3, _private: 'x', steps_offset: 0 }, { overrides: { steps_offset: 2 } }) as PNDMScheduler;
    expect(s.config.steps_offset).toBe(2);
    const d = fromConfig({ _class_name: 'DDIMScheduler', clip_sample: false, _use_default_values: ['clip_sample'] }) as DDIMScheduler;
    expect(d.config.clip_sample).toBe(true);
  });

  it('an unknown or missing class lists the supported ones', () => {
    expect(() => fromConfig({ _class_name: 'EulerDiscreteScheduler' })).toThrow(/"_class_name": "EulerDiscreteScheduler".*one of: DDIMScheduler, PNDMScheduler, DDPMScheduler/);
    expect(() => fromConfig({ beta_start: 0.1 })).toThrow(/has no "_class_name"/);
    expect(() => fromConfig([1, 2])).toThrow(/must be a JSON object/);
  });

  it('a wrongly typed field is an error that names the field and what it must be', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ steps_offset: '1' }, /config field "steps_offset" must be an integer ≥ 0, got "1"/],
      [{ num_train_timesteps: 10.5 }, /"num_train_timesteps" must be an integer ≥ 1/],
      [{ clip_sample: 0 }, /"clip_sample" must be true or false, got number 0/],
      [{ beta_schedule: 'sigmoid' }, /"beta_schedule" must be one of: "linear", "scaled_linear", "squaredcos_cap_v2"/],
      [{ timestep_spacing: 'Leading' }, /"timestep_spacing" must be one of: "leading", "trailing", "linspace"/],
      [{ trained_betas: [0.1, 'x'] }, /"trained_betas" must be null or an array of finite numbers/],
      [{ beta_end: null }, /"beta_end" must be a finite number, got null/],
    ];
    for (const [patch, re] of cases) {
      let err: unknown;
      try { fromConfig({ _class_name: 'DDIMScheduler', ...patch }, { file: 'scheduler/scheduler_config.json' }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(Diff2in1Error);
      expect((err as Diff2in1Error).message).toMatch(re);
      expect((err as Diff2in1Error).file).toBe('scheduler/scheduler_config.json');
    }
  });

  it('fromConfigFile reads a file and names it in JSON errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'd2i-sched-'));
    const good = join(dir, 'scheduler_config.json');
    writeFileSync(good, JSON.stringify(sd15SchedulerConfig));
    expect(fromConfigFile(good)).toBeInstanceOf(PNDMScheduler);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"_class_name": ');
    expect(() => fromConfigFile(bad)).toThrow(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
    expect(() => fromConfigFile(join(dir, 'missing.json'))).toThrow(/cannot read the scheduler config/);
  });
});
