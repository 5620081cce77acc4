// Device choice: a pure function over a table, so every (request × availability) case is testable without ORT.
// `probeDevices()` (probe.ts) fills the DeviceProbe; `createSession` uses the choice to pick ORT execution providers.
import { Diff2in1Error, choices } from '@diff2in1/tensor';

/** What the user asks for on the command line or in a config. */
export type DeviceRequest = 'auto' | 'cpu' | 'cuda' | 'webgpu';
/** What a session actually runs on. */
export type Device = 'cpu' | 'cuda' | 'webgpu';

/** Every DeviceRequest, for validation and help text. */
export const DEVICE_REQUESTS: readonly DeviceRequest[] = ['auto', 'cpu', 'cuda', 'webgpu'];

/** Result of probing this machine (see probeDevices); `reason` says why a device is unavailable. */
export interface DeviceProbe {
  cuda: { available: boolean; reason?: string };
  webgpu: { available: boolean; reason?: string };
  platform: string;
  arch: string;
}

/** The device to use, the ORT execution providers to pass (in order), and a one-line note when `auto` fell back. */
export interface DeviceChoice {
  device: Device;
  executionProviders: string[];
  note?: string;
}

/** How to get the CUDA execution provider for onnxruntime-node (its binaries come from NuGet at install time). */
export const CUDA_INSTALL_ADVICE =
  'to enable CUDA, run `ONNXRUNTIME_NODE_INSTALL=cuda12 pnpm install` on a linux/x64 machine with ' +
  'internet access and CUDA 12 + cuDNN 9 installed';

/** How to get the WebGPU execution provider. */
export const WEBGPU_INSTALL_ADVICE =
  'WebGPU needs an onnxruntime-node build with the WebGPU execution provider and a GPU adapter; use --device cpu or cuda';

/** True if `x` is one of DEVICE_REQUESTS. */
export function isDeviceRequest(x: unknown): x is DeviceRequest {
  return typeof x === 'string' && (DEVICE_REQUESTS as readonly string[]).includes(x);
}

/** Parses a user-supplied device string (e.g. a CLI flag), naming `field` and the valid choices on error. */
export function parseDeviceRequest(x: unknown, field = 'device'): DeviceRequest {
  if (isDeviceRequest(x)) return x;
  throw new Diff2in1Error('device', `${field}: unknown device '${String(x)}'; ${choices(DEVICE_REQUESTS)}`);
}

function unavailable(device: 'cuda' | 'webgpu', probe: DeviceProbe): string {
  const why = probe[device].reason ?? 'not available';
  const advice = device === 'cuda' ? CUDA_INSTALL_ADVICE : WEBGPU_INSTALL_ADVICE;
  return `device '${device}' was requested but is not available on ${probe.platform}/${probe.arch} (${why}); ${advice}`;
}

/**
 * Picks the device and execution providers for a request, given a probe. Pure: the whole behaviour is this table.
 *
 * | request | cuda ok | webgpu ok | result                                  |
 * |---------|---------|-----------|-----------------------------------------|
 * | cpu     | any     | any       | cpu, ['cpu']                            |
 * | cuda    | yes     | any       | cuda, ['cuda', 'cpu']                   |
 * | cuda    | no      | any       | throws Diff2in1Error('device') + advice |
 * | webgpu  | any     | yes       | webgpu, ['webgpu', 'cpu']               |
 * | webgpu  | any     | no        | throws Diff2in1Error('device') + advice |
 * | auto    | yes     | any       | cuda, ['cuda', 'cpu']                   |
 * | auto    | no      | any       | cpu, ['cpu'] + note (why, how to enable)|
 *
 * `auto` never picks WebGPU: ORT's WebGPU provider for Node is still experimental and slower than CPU for our
 * fp32 training graphs; ask for it explicitly. CPU is always listed last so ops a GPU provider lacks still run.
 */
export function chooseDevice(request: DeviceRequest, probe: DeviceProbe): DeviceChoice {
  switch (request) {
    case 'cpu':
      return { device: 'cpu', executionProviders: ['cpu'] };
    case 'cuda':
      if (probe.cuda.available) return { device: 'cuda', executionProviders: ['cuda', 'cpu'] };
      throw new Diff2in1Error('device', unavailable('cuda', probe));
    case 'webgpu':
      if (probe.webgpu.available) return { device: 'webgpu', executionProviders: ['webgpu', 'cpu'] };
      throw new Diff2in1Error('device', unavailable('webgpu', probe));
    case 'auto':
      if (probe.cuda.available) return { device: 'cuda', executionProviders: ['cuda', 'cpu'] };
      return {
        device: 'cpu',
        executionProviders: ['cpu'],
        note: `device auto: using cpu (CUDA unavailable: ${probe.cuda.reason ?? 'not available'}); ${CUDA_INSTALL_ADVICE}`,
      };
    default:
      throw new Diff2in1Error('device', `unknown device '${String(request)}'; ${choices(DEVICE_REQUESTS)}`);
  }
}

/**
 * One line for CLIs and logs describing a probe, e.g.
 * "cpu (CUDA unavailable: CUDA provider not installed: ...; WebGPU unavailable: ...)" or "cuda (webgpu also available)".
 */
export function describeDevice(probe: DeviceProbe, request: DeviceRequest = 'auto'): string {
  let choice: DeviceChoice;
  try {
    choice = chooseDevice(request, probe);
  } catch (e) {
    return `unavailable: ${(e as Error).message}`;
  }
  const extra: string[] = [];
  if (choice.device !== 'cuda') {
    extra.push(probe.cuda.available ? 'cuda also available' : `CUDA unavailable: ${probe.cuda.reason ?? 'not available'}`);
  }
  if (choice.device !== 'webgpu') {
    extra.push(probe.webgpu.available ? 'webgpu also available' : `WebGPU unavailable: ${probe.webgpu.reason ?? 'not available'}`);
  }
  return `${choice.device} on ${probe.platform}/${probe.arch}${extra.length ? ` (${extra.join('; ')})` : ''}`;
}
