// Sessions whose ORT session lives in a worker_threads Worker: `run` no longer blocks the caller's event loop.
// Feeds are copied to the worker by structured clone (or moved with { transferInputs: true }, or shared when they
// sit on a SharedArrayBuffer); outputs are always moved back (transferred), never copied.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Diff2in1Error, type Tensor } from '@diff2in1/tensor';
import type { Device } from './device.js';
import { fromRaw, isShared } from './ort-tensor.js';
import { ioInfo, ortSessionOptions, resolveDevice, resolveModel, type RunOptions, type Session, type SessionOptions } from './session.js';
import { validateFeeds, validateOutputNames, type IOInfo } from './validate.js';
import { WORKER_SOURCE } from './worker-source.js';

interface Reply {
  id: number;
  ok: boolean;
  op?: string;
  error?: { name: string; message: string };
  inputs?: unknown;
  outputs?: unknown;
}

interface RawTensor {
  type: string;
  dims: number[];
  data: unknown;
}

/** Transferable buffer of a typed array, if moving it loses nothing else: not shared, and the view covers it all. */
function ownedBuffer(a: ArrayBufferView): ArrayBuffer | undefined {
  if (isShared(a)) return undefined;
  const b = a.buffer as ArrayBuffer;
  return a.byteOffset === 0 && a.byteLength === b.byteLength ? b : undefined;
}

class WorkerSession implements Session {
  inputNames: readonly string[] = [];
  outputNames: readonly string[] = [];
  inputs: readonly IOInfo[] = [];
  outputs: readonly IOInfo[] = [];
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #dead: Error | undefined;
  #released = false;

  constructor(readonly name: string, readonly device: Device) {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      name: `diff2in1-ort ${name}`,
      workerData: { ortPath: createRequire(import.meta.url).resolve('onnxruntime-node') },
    });
    this.#worker.unref();
    this.#worker.on('message', (r: Reply) => {
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#settle(r.id);
      if (r.ok) p.resolve(r);
      else p.reject(new Diff2in1Error('session', `${this.name}: ${r.op ?? 'request'} failed in onnxruntime (worker thread): ${r.error?.message ?? 'unknown error'}`));
    });
    this.#worker.on('error', (e) => this.#fail(new Diff2in1Error('session', `${this.name}: ORT worker crashed: ${e.message}`, { cause: e })));
    this.#worker.on('exit', (code) => this.#fail(new Diff2in1Error('session', `${this.name}: ORT worker exited (code ${code})`)));
  }

  #settle(id: number): void {
    this.#pending.delete(id);
    // Keep the process alive only while a request is in flight: an idle, forgotten session never blocks exit.
    if (this.#pending.size === 0) this.#worker.unref();
  }

  #fail(e: Error): void {
    this.#dead ??= e;
    for (const [id, p] of this.#pending) {
      this.#settle(id);
      p.reject(e);
    }
  }

  #call(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      try {
        this.#worker.postMessage({ ...msg, id }, transfer);
      } catch (e) {
        this.#settle(id);
        reject(new Diff2in1Error('session', `${this.name}: could not send to the ORT worker: ${(e as Error).message}`, { cause: e }));
      }
    });
  }

  async load(msg: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<void> {
    let r: Reply;
    try {
      r = await this.#call({ op: 'load', ...msg }, transfer);
    } catch (e) {
      await this.#worker.terminate();
      throw new Diff2in1Error('model', `${this.name}: onnxruntime could not load the model on ${this.device}: ${(e as Error).message}`, { cause: e });
    }
    this.inputs = Object.freeze(ioInfo(r.inputs as never));
    this.outputs = Object.freeze(ioInfo(r.outputs as never));
    this.inputNames = Object.freeze(this.inputs.map((i) => i.name));
    this.outputNames = Object.freeze(this.outputs.map((o) => o.name));
  }

  async run(feeds: Record<string, Tensor>, outputNames?: readonly string[], options: RunOptions = {}): Promise<Record<string, Tensor>> {
    if (this.#released) throw new Diff2in1Error('session', `${this.name}: run() after release()`);
    validateFeeds(this.name, this.inputs, feeds);
    if (outputNames) validateOutputNames(this.name, this.outputs, outputNames);
    const raw: Record<string, { dtype: string; dims: number[]; data: unknown }> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [k, t] of Object.entries(feeds)) {
      raw[k] = { dtype: t.dtype, dims: [...t.shape], data: t.data };
      const move = options.transferInputs === true || (Array.isArray(options.transferInputs) && options.transferInputs.includes(k));
      const b = move ? ownedBuffer(t.data) : undefined;
      if (b && !transfer.includes(b)) transfer.push(b);
    }
    const r = await this.#call({ op: 'run', feeds: raw, fetches: outputNames ? [...outputNames] : undefined }, transfer);
    const result: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(r.outputs as Record<string, RawTensor>)) {
      if (!['float32', 'float64', 'float16', 'int64', 'int32', 'uint8', 'bool'].includes(v.type)) {
        throw new Diff2in1Error('tensor', `output '${k}' of ${this.name} has element type '${v.type}', which @diff2in1/tensor does not support`);
      }
      result[k] = fromRaw(v.type as Tensor['dtype'], v.dims, v.data, `output '${k}' of ${this.name}`);
    }
    return result;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    if (!this.#dead) await this.#call({ op: 'release' }).catch(() => undefined);
    await this.#worker.terminate();
  }
}

/**
 * Like createSession, but the ORT session lives in its own worker thread, so the event loop stays free while a
 * model runs (timers, progress output, other sessions). A model given as bytes is copied to the worker once;
 * pass a path to avoid that copy. Call release() to stop the worker (an idle worker never keeps the process alive).
 */
export async function createWorkerSession(model: Uint8Array | string, options: SessionOptions = {}): Promise<Session> {
  const resolved = resolveModel(model, options);
  const choice = await resolveDevice(options);
  const ortOptions = ortSessionOptions(options, choice, resolved);
  const session = new WorkerSession(resolved.name, choice.device);
  const transfer: ArrayBuffer[] = [];
  // Bytes we read ourselves (externalDataDir case) can be moved; the caller's bytes are copied, never detached.
  if (resolved.bytes !== undefined && typeof model === 'string') {
    const b = ownedBuffer(resolved.bytes);
    if (b) transfer.push(b);
  }
  await session.load(resolved.path !== undefined ? { path: resolved.path, options: ortOptions } : { bytes: resolved.bytes, options: ortOptions }, transfer);
  return session;
}
