// One-line device report for CLIs ("--device auto" banner, `diff2in1 doctor`).
import { describeDevice, type DeviceRequest } from './device.js';
import { probeDevices } from './probe.js';

/** Probes (once per process) and describes the device `request` resolves to, with why others are unavailable. */
export async function deviceReport(request: DeviceRequest = 'auto'): Promise<string> {
  return describeDevice(await probeDevices(), request);
}
