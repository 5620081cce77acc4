// Inference sessions on onnxruntime-node in the calling thread. Feeds are validated before ORT sees them and
// outputs come back as @diff2in1/tensor Tensors sharing ORT's buffers.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Diff2in1Error, type Tensor } from '@diff2in1/tensor';
import { chooseDevice, parseDeviceRequest, type Device, type DeviceChoice, type DeviceRequest } from './device.js';
import { probeDevices } from './probe.js';
import { fromOrtTensor, toOrtTensor } from './ort-tensor.js';
import { validateFeeds, validateOutputNames, type IODType, type IOInfo } from './validate.js';

export type LogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionOptions {
  /** Device request (default 'auto': CUDA when installed and usable, else CPU with one warning line). */
  device?: DeviceRequest;
  /** ORT intra-op threads (default: ORT's choice, one per core). */
  intraOpThreads?: number;
  /** ORT inter-op threads (only used by parallel execution; default ORT's choice). */
  interOpThreads?: number;
  /** Graph optimisation level (default ORT's 'all'). */
  graphOptimization?: GraphOptimization;
  /** ORT log severity (default 'warning', ORT's own default). */
  logLevel?: LogLevel;
  /**
   * Folder holding the model's external data files. Only needed for a model given as bytes (or a path whose data
   * lives elsewhere): ORT resolves external data of a model loaded from a path relative to that path by itself,
   * and refuses external data of a model loaded from bytes unless this folder is given.
   */
  externalDataDir?: string;
  /** Name used in error messages (default: the path, or "<model bytes>"). */
  name?: string;
  /** Where the single 'auto fell back to cpu' line goes (default console.warn; printed once per process). */
  warn?: (line: string) => void;
}

/** Options for one `run` call. */
export interface RunOptions {
  /**
   * Worker sessions only: move (transfer) feed buffers to the worker instead of copying them — `true` for all feeds,
   * or the names of the feeds to move. A moved tensor's typed array is detached (length 0) afterwards. Only arrays
   * that cover their whole ArrayBuffer are moved (others are copied, so neighbouring views stay intact), and
   * SharedArrayBuffer data is never moved. Ignored by in-thread sessions, which never copy feeds.
   */
  transferInputs?: boolean | readonly string[];
}

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly IOInfo[];
  readonly outputs: readonly IOInfo[];
  readonly device: Device;
  /** The name used in error messages (model path or options.name). */
  readonly name: string;
  /** Runs the model; feeds are checked first. Returns the requested outputs (default: all). */
  run(feeds: Record<string, Tensor>, outputNames?: readonly string[], options?: RunOptions): Promise<Record<string, Tensor>>;
  /** Frees the native session. Later `run` calls throw. Idempotent. */
  release(): Promise<void>;
}

const LOG_LEVELS: Record<LogLevel, 0 | 1 | 2 | 3 | 4> = { verbose: 0, info: 1, warning: 2, error: 3, fatal: 4 };

/** A model source resolved for ORT: a path it opens itself, or bytes plus the external-data folder. */
export interface ResolvedModel {
  name: string;
  path?: string;
  bytes?: Uint8Array;
  externalDataDir?: string;
}

/** Checks the model source and decides how ORT loads it (path vs bytes). */
export function resolveModel(model: Uint8Array | string, options: SessionOptions): ResolvedModel {
  if (typeof model === 'string') {
    const path = resolve(model);
    const name = options.name ?? model;
    if (!existsSync(path)) throw new Diff2in1Error('model', `model file not found (resolved to ${path})`, { file: name });
    const ext = options.externalDataDir === undefined ? undefined : resolve(options.externalDataDir);
    // Data next to the model: let ORT open the path (it resolves external data relative to it, and never holds
    // the whole file in a JS buffer). Data elsewhere: ORT only takes a folder for models given as bytes.
    if (ext === undefined || ext === dirname(path)) return { name, path };
    return { name, bytes: readFileSync(path), externalDataDir: ext };
  }
  if (!(model instanceof Uint8Array)) {
    throw new Diff2in1Error('model', `${options.name ?? 'model'}: expected a file path or a Uint8Array of ONNX bytes, got ${typeof model}`);
  }
  const name = options.name ?? `<model bytes, ${model.byteLength} bytes>`;
  return options.externalDataDir === undefined ? { name, bytes: model } : { name, bytes: model, externalDataDir: resolve(options.externalDataDir) };
}

/** ORT session options for our options and a chosen device. Plain data (structured-cloneable for workers). */
export function ortSessionOptions(options: SessionOptions, choice: DeviceChoice, model: ResolvedModel): ort.InferenceSession.SessionOptions {
  const o: ort.InferenceSession.SessionOptions = { executionProviders: choice.executionProviders };
  for (const [k, v] of [['intraOpThreads', options.intraOpThreads], ['interOpThreads', options.interOpThreads]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      throw new Diff2in1Error('session', `${model.name}: ${k} must be a non-negative integer (0 = ORT default), got ${v}`);
    }
  }
  if (options.intraOpThreads !== undefined) o.intraOpNumThreads = options.intraOpThreads;
  if (options.interOpThreads !== undefined) o.interOpNumThreads = options.interOpThreads;
  if (options.graphOptimization !== undefined) {
    if (!['disabled', 'basic', 'extended', 'all'].includes(options.graphOptimization)) {
      throw new Diff2in1Error('session', `${model.name}: graphOptimization '${options.graphOptimization}' is not one of: disabled, basic, extended, all`);
    }
    o.graphOptimizationLevel = options.graphOptimization;
  }
  if (options.logLevel !== undefined) {
    const level = LOG_LEVELS[options.logLevel];
    if (level === undefined) throw new Diff2in1Error('session', `${model.name}: logLevel '${options.logLevel}' is not one of: ${Object.keys(LOG_LEVELS).join(', ')}`);
    o.logSeverityLevel = level;
  }
  if (model.externalDataDir !== undefined) {
    // ORT session config key kOrtSessionOptionsModelExternalInitializersFileFolderPath; the Node binding turns
    // `extra` into session config entries.
    o.extra = { session: { model_external_initializers_file_folder_path: model.externalDataDir } };
  }
  return o;
}

let warned = false;

/** Resolves the device for a session: probes only when needed, prints the auto fallback note once per process. */
export async function resolveDevice(options: SessionOptions): Promise<DeviceChoice> {
  const request = parseDeviceRequest(options.device ?? 'auto', 'device');
  if (request === 'cpu') return chooseDevice('cpu', { cuda: { available: false }, webgpu: { available: false }, platform: process.platform, arch: process.arch });
  const choice = chooseDevice(request, await probeDevices());
  if (choice.note !== undefined && (!warned || options.warn)) {
    if (!options.warn) warned = true;
    (options.warn ?? console.warn)(choice.note);
  }
  return choice;
}

/** Converts ORT's value metadata to IOInfo. */
export function ioInfo(meta: readonly ort.InferenceSession.ValueMetadata[]): IOInfo[] {
  return meta.map((m) =>
    m.isTensor
      ? { name: m.name, dtype: m.type as IODType, shape: Object.freeze([...m.shape]), isTensor: true }
      : { name: m.name, dtype: 'non-tensor', shape: Object.freeze([]), isTensor: false },
  );
}

function wrapOrtError(name: string, what: string, e: unknown): Diff2in1Error {
  return new Diff2in1Error('session', `${name}: ${what} failed in onnxruntime: ${(e as Error).message ?? String(e)}`, { cause: e });
}

class OrtSession implements Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  #session: ort.InferenceSession | undefined;

  constructor(
    session: ort.InferenceSession,
    readonly name: string,
    readonly device: Device,
    readonly inputs: readonly IOInfo[],
    readonly outputs: readonly IOInfo[],
  ) {
    this.#session = session;
    this.inputNames = Object.freeze(inputs.map((i) => i.name));
    this.outputNames = Object.freeze(outputs.map((o) => o.name));
  }

  async run(feeds: Record<string, Tensor>, outputNames?: readonly string[]): Promise<Record<string, Tensor>> {
    const s = this.#session;
    if (!s) throw new Diff2in1Error('session', `${this.name}: run() after release()`);
    validateFeeds(this.name, this.inputs, feeds);
    if (outputNames) validateOutputNames(this.name, this.outputs, outputNames);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = toOrtTensor(t);
    let out: ort.InferenceSession.ReturnType;
    try {
      out = outputNames ? await s.run(ortFeeds, [...outputNames]) : await s.run(ortFeeds);
    } catch (e) {
      throw wrapOrtError(this.name, 'run', e);
    }
    const result: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(out)) result[k] = fromOrtTensor(v, `output '${k}' of ${this.name}`);
    return result;
  }

  async release(): Promise<void> {
    const s = this.#session;
    this.#session = undefined;
    if (s) await s.release();
  }
}

/** Loads an ONNX model (bytes or a file path) into an ORT session in this thread. */
export async function createSession(model: Uint8Array | string, options: SessionOptions = {}): Promise<Session> {
  const resolved = resolveModel(model, options);
  const choice = await resolveDevice(options);
  const ortOptions = ortSessionOptions(options, choice, resolved);
  let s: ort.InferenceSession;
  try {
    s = resolved.path !== undefined
      ? await ort.InferenceSession.create(resolved.path, ortOptions)
      : await ort.InferenceSession.create(resolved.bytes as Uint8Array, ortOptions);
  } catch (e) {
    throw new Diff2in1Error('model', `${resolved.name}: onnxruntime could not load the model on ${choice.device}: ${(e as Error).message ?? String(e)}`, { cause: e });
  }
  return new OrtSession(s, resolved.name, choice.device, ioInfo(s.inputMetadata), ioInfo(s.outputMetadata));
}
