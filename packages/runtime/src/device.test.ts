import { describe, expect, it } from 'vitest';
import { Diff2in1Error } from '@diff2in1/tensor';
import { chooseDevice, describeDevice, parseDeviceRequest, DEVICE_REQUESTS, type DeviceProbe, type DeviceRequest } from './device.js';

function probe(cuda: boolean, webgpu: boolean): DeviceProbe {
  return {
    cuda: cuda ? { available: true } : { available: false, reason: 'CUDA provider not installed: X is missing' },
    webgpu: webgpu ? { available: true } : { available: false, reason: 'No supported adapters' },
    platform: 'linux',
    arch: 'x64',
  };
}

// The spec from the issue, written out case by case: [request, cuda ok, webgpu ok] -> device | 'throws'.
const TABLE: [DeviceRequest, boolean, boolean, 'cpu' | 'cuda' | 'webgpu' | 'throws'][] = [
  ['cpu', false, false, 'cpu'], ['cpu', true, false, 'cpu'], ['cpu', false, true, 'cpu'], ['cpu', true, true, 'cpu'],
  ['cuda', false, false, 'throws'], ['cuda', true, false, 'cuda'], ['cuda', false, true, 'throws'], ['cuda', true, true, 'cuda'],
  ['webgpu', false, false, 'throws'], ['webgpu', true, false, 'throws'], ['webgpu', false, true, 'webgpu'], ['webgpu', true, true, 'webgpu'],
  ['auto', false, false, 'cpu'], ['auto', true, false, 'cuda'], ['auto', false, true, 'cpu'], ['auto', true, true, 'cuda'],
];

describe('chooseDevice', () => {
  it('the table covers every request × availability combination exactly once', () => {
    const keys = new Set(TABLE.map(([r, c, w]) => `${r}/${c}/${w}`));
    expect(keys.size).toBe(DEVICE_REQUESTS.length * 4);
  });

  it.each(TABLE)('%s with cuda=%s webgpu=%s -> %s', (request, cuda, webgpu, expected) => {
    const p = probe(cuda, webgpu);
    if (expected === 'throws') {
      let err: unknown;
      try {
        chooseDevice(request, p);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Diff2in1Error);
      expect((err as Diff2in1Error).code).toBe('device');
      const msg = (err as Error).message;
      expect(msg).toContain(`'${request}'`);
      expect(msg).toContain(p[request as 'cuda' | 'webgpu'].reason);
      if (request === 'cuda') expect(msg).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 pnpm install');
      return;
    }
    const choice = chooseDevice(request, p);
    expect(choice.device).toBe(expected);
    // GPU providers always keep CPU as the fallback for ops they lack; CPU alone otherwise.
    expect(choice.executionProviders).toEqual(expected === 'cpu' ? ['cpu'] : [expected, 'cpu']);
    if (request === 'auto' && !cuda) {
      expect(choice.note).toBeDefined();
      expect(choice.note?.split('\n')).toHaveLength(1);
      expect(choice.note).toContain('CUDA provider not installed: X is missing');
      expect(choice.note).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 pnpm install');
    } else {
      expect(choice.note).toBeUndefined();
    }
  });

  it('rejects unknown requests with the valid choices', () => {
    expect(() => chooseDevice('tpu' as DeviceRequest, probe(true, true))).toThrow(/one of: auto, cpu, cuda, webgpu/);
    expect(() => parseDeviceRequest('gpu', '--device')).toThrow(/--device: unknown device 'gpu'; one of: auto, cpu, cuda, webgpu/);
    expect(parseDeviceRequest('cuda')).toBe('cuda');
  });
});

describe('describeDevice', () => {
  it('names the chosen device and why the others are unavailable', () => {
    expect(describeDevice(probe(false, false))).toBe(
      'cpu on linux/x64 (CUDA unavailable: CUDA provider not installed: X is missing; WebGPU unavailable: No supported adapters)',
    );
    expect(describeDevice(probe(true, true))).toBe('cuda on linux/x64 (webgpu also available)');
    expect(describeDevice(probe(true, false), 'webgpu')).toMatch(/^unavailable: device 'webgpu' was requested/);
  });
});
