import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CUDA_RUNTIME_LIBS, PROBE_MODEL_BASE64, ortBinaryDir, probeCuda, probeDevices, type CudaProbeInput } from './probe.js';
import { identityModel } from './testing/onnx-test-models.js';

const root = mkdtempSync(join(tmpdir(), 'd2i-probe-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeMachine(name: string): CudaProbeInput & { bin: string; lib: string } {
  const bin = join(root, name, 'bin');
  const lib = join(root, name, 'lib');
  mkdirSync(bin, { recursive: true });
  mkdirSync(lib, { recursive: true });
  return { platform: 'linux', arch: 'x64', ortBinDir: bin, libDirs: [lib], ldCache: '', exists: existsSync, bin, lib };
}

describe('probeCuda over a fake filesystem', () => {
  it('reports the missing provider library by path', () => {
    const m = fakeMachine('empty');
    const r = probeCuda(m);
    expect(r.available).toBe(false);
    expect(r.reason).toContain(`CUDA provider not installed: ${join(m.bin, 'libonnxruntime_providers_cuda.so')} is missing`);
  });

  it('with the provider installed, lists every missing CUDA library, then none once they exist', () => {
    const m = fakeMachine('provider');
    writeFileSync(join(m.bin, 'libonnxruntime_providers_cuda.so'), '');
    writeFileSync(join(m.bin, 'libonnxruntime_providers_shared.so'), '');
    const r = probeCuda(m);
    expect(r.available).toBe(false);
    for (const [soname] of CUDA_RUNTIME_LIBS) expect(r.reason).toContain(soname);
    // Half the libraries in a lib dir, the other half known to the ld.so cache.
    const half = Math.floor(CUDA_RUNTIME_LIBS.length / 2);
    CUDA_RUNTIME_LIBS.slice(0, half).forEach(([soname]) => writeFileSync(join(m.lib, soname), ''));
    const partial = probeCuda(m);
    expect(partial.reason).not.toContain(CUDA_RUNTIME_LIBS[0]?.[0]);
    expect(partial.reason).toContain(CUDA_RUNTIME_LIBS[half]?.[0]);
    const ldCache = CUDA_RUNTIME_LIBS.slice(half).map(([s]) => `\u0000/usr/lib/x86_64-linux-gnu/${s}\u0000`).join('');
    expect(probeCuda({ ...m, ldCache })).toEqual({ available: true });
  });

  it('knows onnxruntime-node has no CUDA provider off linux/x64', () => {
    const m = fakeMachine('mac');
    const r = probeCuda({ ...m, platform: 'darwin', arch: 'arm64' });
    expect(r).toEqual({ available: false, reason: expect.stringContaining('only for linux/x64, not darwin/arm64') });
  });
});

describe('probeDevices on this machine', () => {
  it('finds the real onnxruntime-node binary dir', () => {
    expect(existsSync(join(ortBinaryDir(), 'onnxruntime_binding.node'))).toBe(true);
  });

  it('reports CUDA unavailable exactly when the provider library is absent', async () => {
    const p = await probeDevices();
    expect(p.platform).toBe(process.platform);
    expect(p.arch).toBe(process.arch);
    const providerPresent = existsSync(join(ortBinaryDir(), 'libonnxruntime_providers_cuda.so'));
    if (!providerPresent) {
      expect(p.cuda.available).toBe(false);
      expect(p.cuda.reason).toMatch(/CUDA provider not installed|only for linux\/x64/);
    }
    if (!p.webgpu.available) expect(p.webgpu.reason).toBeTruthy();
    expect(await probeDevices()).toBe(p); // cached per process
  });

  it('embeds the same probe model our encoder produces', () => {
    expect(Buffer.from(PROBE_MODEL_BASE64, 'base64').equals(Buffer.from(identityModel('float32', [1])))).toBe(true);
  });
});
