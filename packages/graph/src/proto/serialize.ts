// GraphBuilder → ONNX ModelProto bytes (opset 21, IR version 10). Only nodes that reach an output are written,
// and only the initializers they read. The bytes depend only on the graph, so they can key a cache.
// Initializers can go to an external data file (required above protobuf's 2 GB message limit).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { Diff2in1Error, type Tensor } from '@diff2in1/tensor';
import { ONNX_ELEM_TYPE } from '../ir/dtype.js';
import type { Attr, GraphBuilder, Node, Value } from '../ir/graph.js';
import { AttributeType, ModelProto } from './onnx-proto.js';

export const OPSET = 21;
export const IR_VERSION = 10;
const PROTOBUF_LIMIT = 2 ** 31 - 1;

export interface SerializeOptions {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Versions of non-default operator domains (default: com.microsoft 1, others 1). */
  opsets?: Readonly<Record<string, number>>;
  /**
   * Write initializers of at least `threshold` bytes (default 1024) into `file` instead of the model.
   * `location` (default: the file's base name) is what the model records, relative to the model's folder.
   */
  externalData?: { file: string; location?: string; threshold?: number };
}

type Obj = Record<string, unknown>;

function tensorBytes(t: Tensor): Uint8Array {
  const d = t.data as unknown as ArrayBufferView;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

class ExternalWriter {
  private fd: number;
  private offset = 0;
  readonly tmp: string;
  constructor(readonly file: string, readonly location: string, readonly threshold: number) {
    this.tmp = `${file}.tmp-${process.pid}`;
    this.fd = openSync(this.tmp, 'w');
  }
  write(bytes: Uint8Array): { offset: number; length: number } {
    const pad = (4096 - (this.offset % 4096)) % 4096; // page-aligned so ORT can mmap (onnx.proto, external_data)
    if (pad) writeSync(this.fd, new Uint8Array(pad));
    const offset = this.offset + pad;
    for (let done = 0; done < bytes.length;) done += writeSync(this.fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
    this.offset = offset + bytes.length;
    return { offset, length: bytes.length };
  }
  finish(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tmp, this.file);
  }
  abort(): void {
    closeSync(this.fd);
    rmSync(this.tmp, { force: true });
  }
}

function tensorProto(name: string, t: Tensor, ext: ExternalWriter | undefined): Obj {
  const bytes = tensorBytes(t);
  const base: Obj = { dims: [...t.shape], dataType: ONNX_ELEM_TYPE[t.dtype], name };
  if (ext && bytes.length >= ext.threshold) {
    const { offset, length } = ext.write(bytes);
    return {
      ...base,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: ext.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    };
  }
  return { ...base, rawData: bytes };
}

function valueInfo(v: Value, name = v.name): Obj {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_ELEM_TYPE[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attributeProto(name: string, a: Attr, ext: ExternalWriter | undefined): Obj {
  switch (a.kind) {
    case 'int': return { name, type: AttributeType.INT, i: a.value };
    case 'float': return { name, type: AttributeType.FLOAT, f: a.value };
    case 'string': return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) };
    case 'ints': return { name, type: AttributeType.INTS, ints: [...a.value] };
    case 'floats': return { name, type: AttributeType.FLOATS, floats: [...a.value] };
    case 'tensor': return { name, type: AttributeType.TENSOR, t: tensorProto('', a.value, undefined) };
    case 'graph': return { name, type: AttributeType.GRAPH, g: graphProto(a.value, ext) };
  }
}

/** Nodes (in order) that contribute to the graph's outputs, including reads made by nested graphs. */
export function liveNodes(g: GraphBuilder): Node[] {
  const live = new Set<Node>();
  const stack: Value[] = [...g.outputs];
  const pushReads = (n: Node): void => {
    for (const v of n.inputs) if (v) stack.push(v);
    for (const a of Object.values(n.attrs)) if (a.kind === 'graph') for (const v of [...a.value.outputs, ...a.value.outerReads()]) stack.push(v);
  };
  while (stack.length) {
    const v = stack.pop()!;
    const n = v.producer;
    if (!n || n.graph !== g || live.has(n)) continue;
    live.add(n);
    pushReads(n);
  }
  return g.nodes.filter((n) => live.has(n));
}

function graphProto(g: GraphBuilder, ext: ExternalWriter | undefined): Obj {
  if (g.outputs.length === 0) throw new Diff2in1Error('graph', `graph '${g.name}' has no outputs; declare them with g.output(name, value)`);
  const nodes = liveNodes(g);
  const read = new Set<Value>(g.outputs);
  for (const n of nodes) {
    for (const v of n.inputs) if (v) read.add(v);
    for (const a of Object.values(n.attrs)) if (a.kind === 'graph') for (const v of a.value.outerReads()) read.add(v);
  }
  return {
    name: g.name,
    node: nodes.map((n) => ({
      input: n.inputs.map((v) => (v ? v.name : '')),
      output: n.outputs.map((v) => v.name),
      name: n.name,
      opType: n.opType,
      ...(n.domain ? { domain: n.domain } : {}),
      attribute: Object.keys(n.attrs).sort().map((k) => attributeProto(k, n.attrs[k]!, ext)),
    })),
    initializer: g.initializers.filter((v) => read.has(v)).map((v) => tensorProto(v.name, v.constant!, ext)),
    input: g.inputs.map((v) => valueInfo(v)),
    output: g.outputs.map((v) => valueInfo(v)),
  };
}

/** Operator-set versions of the non-default domains nodes may use (ORT's contrib ops are version 1). */
const DOMAIN_VERSIONS: Readonly<Record<string, number>> = { 'com.microsoft': 1 };

/** Every domain used by the graph's live nodes, nested graphs included. */
function domainsOf(g: GraphBuilder, out = new Set<string>()): Set<string> {
  for (const n of liveNodes(g)) {
    if (n.domain) out.add(n.domain);
    for (const a of Object.values(n.attrs)) if (a.kind === 'graph') domainsOf(a.value, out);
  }
  return out;
}

/** The ModelProto of a graph as a plain object (protobufjs field names). */
export function modelProto(g: GraphBuilder, opts: SerializeOptions = {}, ext?: ExternalWriter): Obj {
  const extra = [...domainsOf(g)].sort().map((domain) => ({ domain, version: opts.opsets?.[domain] ?? DOMAIN_VERSIONS[domain] ?? 1 }));
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }, ...extra],
    producerName: opts.producerName ?? 'diff2in1-graph',
    producerVersion: opts.producerVersion ?? '0.1.0',
    ...(opts.docString ? { docString: opts.docString } : {}),
    graph: graphProto(g, ext),
    metadataProps: [...g.metadata.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value })),
  };
}

/** Serialises `g` as an ONNX model. Deterministic: the same graph gives the same bytes. */
export function serialize(g: GraphBuilder, opts: SerializeOptions = {}): Uint8Array {
  if (g.parent) throw new Diff2in1Error('graph', `graph '${g.name}' is a subgraph; serialise its top-level graph`);
  const e = opts.externalData;
  if (!e) {
    let bytes = 0;
    for (const v of g.initializers) bytes += (v.constant!.data as unknown as ArrayBufferView).byteLength;
    if (bytes > PROTOBUF_LIMIT) {
      throw new Diff2in1Error('graph', `graph '${g.name}' holds ${bytes} bytes of initializers, over protobuf's 2 GB limit; pass externalData: { file } to serialize()`);
    }
  }
  const ext = e ? new ExternalWriter(e.file, e.location ?? basename(e.file), e.threshold ?? 1024) : undefined;
  let bytes: Uint8Array;
  try {
    const obj = modelProto(g, opts, ext);
    bytes = ModelProto.encode(obj).finish();
  } catch (err) {
    ext?.abort();
    if (err instanceof RangeError && !ext) {
      throw new Diff2in1Error('graph', `graph '${g.name}' is too large for one protobuf message (limit 2 GB); pass externalData: { file } to serialize()`, { cause: err });
    }
    throw err;
  }
  if (bytes.length > PROTOBUF_LIMIT) {
    ext?.abort();
    throw new Diff2in1Error('graph', `graph '${g.name}' serialises to ${bytes.length} bytes, over protobuf's 2 GB limit; pass externalData: { file } to serialize()`);
  }
  ext?.finish();
  return bytes;
}

/** Decodes ONNX model bytes into a plain object (int64 as numbers, bytes as Uint8Array); for tests and tools. */
export function decodeModel(bytes: Uint8Array): Obj {
  const msg = ModelProto.decode(bytes);
  return ModelProto.toObject(msg, { longs: Number, bytes: Uint8Array as unknown as typeof String, defaults: false, arrays: true }) as Obj;
}
