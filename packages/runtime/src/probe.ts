// Probing what this machine can run. The file checks are a pure function over a small "filesystem view"
// (probeCuda), so tests can build fake installs in a temp dir; probeDevices() feeds it the real machine.
//
// Facts used (onnxruntime-node 1.30.0, script/install-metadata.js): the CUDA execution provider is not in the npm
// tarball; `ONNXRUNTIME_NODE_INSTALL=cuda12` downloads libonnxruntime_providers_{cuda,shared}.so from NuGet into
// bin/napi-v6/linux/x64 next to onnxruntime_binding.node, and only linux/x64 has that manifest. The provider then
// dlopens CUDA 12 runtime libraries and cuDNN 9. The WebGPU provider (Dawn) is compiled into the binding; on Linux
// it needs Vulkan (libvulkan.so.1) and a GPU adapter — otherwise session creation fails with "No supported adapters".
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DeviceProbe } from './device.js';

/** Where onnxruntime-node keeps its native binaries for this platform. */
export function ortBinaryDir(platform: string = process.platform, arch: string = process.arch): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node'); // .../onnxruntime-node/dist/index.js
  return join(dirname(entry), '..', 'bin', 'napi-v6', platform, arch);
}

/** CUDA 12 / cuDNN 9 shared libraries the ORT CUDA provider loads (soname, what it is). */
export const CUDA_RUNTIME_LIBS: readonly (readonly [string, string])[] = [
  ['libcuda.so.1', 'NVIDIA driver'],
  ['libcudart.so.12', 'CUDA 12 runtime'],
  ['libcublas.so.12', 'cuBLAS 12'],
  ['libcublasLt.so.12', 'cuBLASLt 12'],
  ['libcufft.so.11', 'cuFFT (CUDA 12)'],
  ['libcudnn.so.9', 'cuDNN 9'],
];

/** What probeCuda looks at; every field is plain data so tests can fake a machine. */
export interface CudaProbeInput {
  platform: string;
  arch: string;
  /** onnxruntime-node's bin/napi-v6/<platform>/<arch> directory. */
  ortBinDir: string;
  /** Directories searched for the CUDA runtime libraries (LD_LIBRARY_PATH, CUDA install dirs, system lib dirs). */
  libDirs: readonly string[];
  /** Text of /etc/ld.so.cache (library paths appear in it as strings), or '' when absent. */
  ldCache: string;
  exists(path: string): boolean;
}

/** Decides CUDA availability from files alone. `reason` names the first missing piece and where it was looked for. */
export function probeCuda(input: CudaProbeInput): { available: boolean; reason?: string } {
  if (input.platform !== 'linux' || input.arch !== 'x64') {
    return { available: false, reason: `onnxruntime-node ships a CUDA provider only for linux/x64, not ${input.platform}/${input.arch}` };
  }
  for (const lib of ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']) {
    const p = join(input.ortBinDir, lib);
    if (!input.exists(p)) {
      return {
        available: false,
        reason: `CUDA provider not installed: ${p} is missing (onnxruntime-node was installed with ONNXRUNTIME_NODE_INSTALL=skip or without access to NuGet)`,
      };
    }
  }
  const missing: string[] = [];
  for (const [soname, what] of CUDA_RUNTIME_LIBS) {
    const found = input.libDirs.some((d) => input.exists(join(d, soname))) || input.ldCache.includes(`/${soname}`);
    if (!found) missing.push(`${soname} (${what})`);
  }
  if (missing.length) {
    return {
      available: false,
      reason: `CUDA provider installed but its libraries were not found: ${missing.join(', ')}; searched LD_LIBRARY_PATH, the ld.so cache and ${input.libDirs.length} lib dirs`,
    };
  }
  return { available: true };
}

/** Default library search dirs: LD_LIBRARY_PATH, CUDA toolkit dirs, and the usual system lib dirs. */
export function defaultLibDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (env.CUDA_HOME) dirs.push(join(env.CUDA_HOME, 'lib64'));
  if (env.CUDA_PATH) dirs.push(join(env.CUDA_PATH, 'lib64'));
  dirs.push('/usr/local/cuda/lib64', '/usr/local/cuda/targets/x86_64-linux/lib');
  try {
    for (const d of readdirSync('/usr/local')) if (d.startsWith('cuda-12')) dirs.push(`/usr/local/${d}/lib64`);
  } catch {
    // no /usr/local: nothing to add
  }
  dirs.push('/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/lib/wsl/lib');
  return dirs;
}

function readLdCache(): string {
  try {
    return readFileSync('/etc/ld.so.cache', 'latin1');
  } catch {
    return '';
  }
}

// A 1-element float32 Identity model (ModelProto, opset 17) used to try a provider for real; the test suite checks
// these bytes equal the ones its ONNX encoder produces for the same graph.
export const PROBE_MODEL_BASE64 =
  'CAgSFmRpZmYyaW4xLXJ1bnRpbWUtdGVzdHM6RgocCgF4EgF5GgpJZGVudGl0eV8wIghJZGVudGl0eRIEdGVzdFoPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEBE=';

/** Tries to create a session on `provider`; resolves to undefined on success or ORT's error message. */
async function trySession(provider: string): Promise<string | undefined> {
  try {
    const s = await ort.InferenceSession.create(Buffer.from(PROBE_MODEL_BASE64, 'base64'), {
      executionProviders: [provider],
      logSeverityLevel: 3,
    });
    await s.release();
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0]?.slice(0, 300) ?? String(e);
  }
}

async function probeWebGpu(platform: string, lib: { libDirs: readonly string[]; ldCache: string }): Promise<{ available: boolean; reason?: string }> {
  const backends = ort.listSupportedBackends?.() ?? [];
  if (!backends.some((b) => b.name === 'webgpu')) {
    return { available: false, reason: `this onnxruntime-node build has no WebGPU provider (backends: ${backends.map((b) => b.name).join(', ')})` };
  }
  if (platform === 'linux') {
    const vk = 'libvulkan.so.1';
    if (!lib.libDirs.some((d) => existsSync(join(d, vk))) && !lib.ldCache.includes(`/${vk}`)) {
      return { available: false, reason: `${vk} not found (ORT's WebGPU provider uses Vulkan on Linux)` };
    }
  }
  const err = await trySession('webgpu');
  return err === undefined ? { available: true } : { available: false, reason: `WebGPU session failed: ${err}` };
}

let cached: Promise<DeviceProbe> | undefined;

/**
 * Probes CUDA and WebGPU once per process (pass `{ refresh: true }` to probe again). CUDA: provider libraries next to
 * the binding, then CUDA/cuDNN libraries, then a real one-node session. WebGPU: provider compiled in, Vulkan on
 * Linux, then a real one-node session. Never throws; unavailable devices carry a `reason`.
 */
export function probeDevices(options: { refresh?: boolean } = {}): Promise<DeviceProbe> {
  if (!cached || options.refresh) cached = probeNow();
  return cached;
}

async function probeNow(): Promise<DeviceProbe> {
  const { platform, arch } = process;
  const libDirs = defaultLibDirs();
  const ldCache = readLdCache();
  let cuda = probeCuda({ platform, arch, ortBinDir: ortBinaryDir(platform, arch), libDirs, ldCache, exists: existsSync });
  if (cuda.available) {
    const err = await trySession('cuda');
    if (err !== undefined) cuda = { available: false, reason: `CUDA session failed: ${err}` };
  }
  const webgpu = await probeWebGpu(platform, { libDirs, ldCache });
  return { cuda, webgpu, platform, arch };
}
