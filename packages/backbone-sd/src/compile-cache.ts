// Compiled ONNX graphs cached on disk. A model's weights are written once per (component, config, weights
// identity, dtype) into a page-aligned blob `weights-<dtype>.bin`; every graph built from that model (noise
// prediction, feature taps, each latent size) is a small .onnx file beside it whose initializers point into the
// blob as ONNX external data. So no graph is limited by protobuf's 2 GB, the 3.4 GB of SD v1-5's UNet are
// stored once however many graph variants exist, and the weights stream from safetensors to the blob one tensor
// at a time (they are never all in JavaScript memory). Graphs are built with parameters as graph inputs (so
// building needs no weights) and those inputs become external initializers when the model file is written.
//
// Layout: <cacheDir>/<component>-<key>/weights-<dtype>.bin, <variant>-<key>.onnx, info.json. Keys hash the
// config, the weights identity (each weight file's real path, size, mtime and safetensors header), the options
// and BUILDER_VERSION. Every file is written to a temp name and renamed, so a reader never sees a partial file.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { type GraphBuilder, type Module, type Param, encodeModel, modelProto } from '@diff2in1/graph';
import {
  Diff2in1Error, Tensor, float16ArrayToFloat32, float32ArrayToFloat16, writeFileAtomicStreamSync, writeFileAtomicSync,
} from '@diff2in1/tensor';
import type { ComponentWeights } from './folder.js';

/** Bumped whenever a change to the graph builders changes the graphs they emit. */
export const BUILDER_VERSION = 'backbone-sd/1';

const PAGE = 4096;

/** `$DIFF2IN1_CACHE`, else `~/.cache/diff2in1`. */
export function defaultCacheDir(): string {
  return process.env['DIFF2IN1_CACHE'] ?? join(homedir(), '.cache', 'diff2in1');
}

/** Counts (and seconds) of what this process compiled (tests check that a cache hit compiles nothing). */
export const compileStats = { graphs: 0, blobs: 0, graphSeconds: 0, blobSeconds: 0 };

/** SHA-256 of a canonical JSON of `value` (object keys sorted), hex. */
export function hashOf(value: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]));
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canon(value))).digest('hex');
}

function safetensorsHeader(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    readSync(fd, head, 0, 8, 0);
    const n = Number(head.readBigUInt64LE(0));
    if (!(n > 0 && n < 100_000_000)) return head;
    const body = Buffer.alloc(n);
    readSync(fd, body, 0, n, 8);
    return Buffer.concat([head, body]);
  } finally {
    closeSync(fd);
  }
}

/**
 * Identity of a weight file (or sharded index and its shards): real path, size, mtime and, for safetensors, the
 * header (names, dtypes, shapes, offsets). Any re-download, edit or replacement changes it.
 */
export function weightsIdentity(file: string): string {
  const files = [file];
  if (file.endsWith('.index.json')) {
    const idx = JSON.parse(readFileSync(file, 'utf8')) as { weight_map?: Record<string, string> };
    for (const shard of [...new Set(Object.values(idx.weight_map ?? {}))].sort()) files.push(join(dirname(file), shard));
  }
  const h = createHash('sha256');
  for (const f of files) {
    const st = statSync(f);
    h.update(`${realpathSync(f)}\0${st.size}\0${st.mtimeMs}\0`);
    if (f.endsWith('.safetensors')) h.update(safetensorsHeader(f));
  }
  return h.digest('hex');
}

/** Where each parameter lives in a weights blob: state_dict order, each tensor page-aligned. */
export interface BlobLayout {
  entries: Map<string, { offset: number; length: number; param: Param }>;
  size: number;
}

const BYTES: Readonly<Record<string, number>> = { float32: 4, float16: 2 };

export function blobLayout(model: Module): BlobLayout {
  const entries = new Map<string, { offset: number; length: number; param: Param }>();
  let at = 0;
  for (const [name, p] of model.stateEntries()) {
    const per = BYTES[p.dtype];
    if (per === undefined) throw new Diff2in1Error('graph', `parameter '${name}' has dtype ${p.dtype}; weight blobs hold float32 / float16`);
    const length = p.shape.reduce((a, b) => a * b, 1) * per;
    at = Math.ceil(at / PAGE) * PAGE;
    entries.set(name, { offset: at, length, param: p });
    at += length;
  }
  return { entries, size: at };
}

/** A checkpoint tensor in the parameter's dtype (float32 ↔ float16 converted, round to nearest even). */
function asParamDtype(t: Tensor, p: Param, file: string): Tensor {
  if (t.dtype === p.dtype) return t;
  if (p.dtype === 'float16' && t.dtype === 'float32') return new Tensor('float16', t.shape, float32ArrayToFloat16(t.data as Float32Array));
  if (p.dtype === 'float32' && t.dtype === 'float16') return new Tensor('float32', t.shape, float16ArrayToFloat32(t.data as Uint16Array));
  throw new Diff2in1Error('weights', `tensor for '${p.name}' is ${t.dtype}; the model needs ${p.dtype}`, { file });
}

/** Streams every parameter of `model` from the checkpoint into a blob laid out by `blobLayout` (atomic). */
export function writeWeightsBlob(model: Module, weights: ComponentWeights, file: string): void {
  const layout = blobLayout(model);
  writeFileAtomicStreamSync(file, (write) => {
    let at = 0;
    for (const [name, e] of layout.entries) {
      const stored = weights.names.get(name);
      if (stored === undefined) throw new Diff2in1Error('weights', `the checkpoint has no tensor for '${name}'`, { file: weights.file });
      const t = asParamDtype(weights.source.get(stored), e.param, weights.file);
      const d = t.data as unknown as ArrayBufferView;
      const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      if (bytes.length !== e.length) throw new Diff2in1Error('weights', `tensor '${stored}' has ${bytes.length} bytes, expected ${e.length}`, { file: weights.file });
      if (e.offset > at) write(new Uint8Array(e.offset - at));
      write(bytes);
      at = e.offset + e.length;
    }
  });
}

/**
 * ONNX bytes of `g` (whose parameters are graph inputs) with every parameter input turned into an initializer
 * stored externally at its blob offset; `location` is the blob's path relative to the model file.
 */
export function modelWithExternalWeights(g: GraphBuilder, layout: BlobLayout, location: string, docString?: string): Uint8Array {
  const proto = modelProto(g, docString ? { docString } : {});
  const graph = proto['graph'] as { input: { name: string }[]; initializer: Record<string, unknown>[]; node: { input: string[] }[] };
  const read = new Set<string>();
  for (const n of graph.node) for (const i of n.input) read.add(i);
  const inputs: { name: string }[] = [];
  for (const vi of graph.input) {
    const e = layout.entries.get(vi.name);
    if (!e) {
      inputs.push(vi);
      continue;
    }
    if (!read.has(vi.name)) continue;
    graph.initializer.push({
      name: vi.name,
      dims: [...e.param.shape],
      dataType: e.param.dtype === 'float16' ? 10 : 1,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(e.offset) },
        { key: 'length', value: String(e.length) },
      ],
    });
  }
  graph.input = inputs;
  return encodeModel(proto);
}

export interface CompileRequest {
  cacheDir: string;
  component: string;
  /** The module tree the graph is built from (fixes the blob layout). */
  model: Module;
  /** Config and anything else that changes the module tree or its weights (hashed into the folder key). */
  modelKey: unknown;
  /** Identity of the weights (weightsIdentity). */
  weightsId: string;
  /** Opens the weights when the blob must be written. */
  weights: () => ComponentWeights;
  /** Short name of the graph (e.g. 'unet-noise'); its options are hashed into the file name. */
  variant: string;
  variantKey: unknown;
  /** Builds the graph (parameters as inputs). */
  build: () => GraphBuilder;
}

/** The cached model file for a request, compiling the blob and/or the graph first when missing. */
export function compiledModel(req: CompileRequest): string {
  const dtypes = [...new Set([...req.model.stateEntries().values()].map((p) => p.dtype))].sort().join('+');
  const dirKey = hashOf({ builder: BUILDER_VERSION, component: req.component, model: req.modelKey, weights: req.weightsId, dtypes }).slice(0, 20);
  const dir = join(resolve(req.cacheDir), `${req.component}-${dirKey}`);
  const blobName = `weights-${dtypes}.bin`;
  const blob = join(dir, blobName);
  const file = join(dir, `${req.variant}-${hashOf({ builder: BUILDER_VERSION, v: req.variantKey }).slice(0, 16)}.onnx`);
  const layout = blobLayout(req.model);
  const blobOk = existsSync(blob) && statSync(blob).size === layout.size;
  if (blobOk && existsSync(file)) return file;
  if (!blobOk) {
    const t0 = performance.now();
    const w = req.weights();
    try {
      writeWeightsBlob(req.model, w, blob);
    } finally {
      w.source.close();
    }
    compileStats.blobs++;
    compileStats.blobSeconds += (performance.now() - t0) / 1000;
    writeFileAtomicSync(join(dir, 'info.json'), `${JSON.stringify({ builder: BUILDER_VERSION, component: req.component, weights: w.file, dtypes, model: req.modelKey }, null, 2)}\n`);
  }
  const t1 = performance.now();
  const g = req.build();
  writeFileAtomicSync(file, modelWithExternalWeights(g, layout, basename(blob), `${req.variant} ${JSON.stringify(req.variantKey)}`));
  compileStats.graphs++;
  compileStats.graphSeconds += (performance.now() - t1) / 1000;
  return file;
}
