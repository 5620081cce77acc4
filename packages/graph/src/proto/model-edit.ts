// Editing existing ONNX models. `addModelOutputs` exposes intermediate tensors of a model made elsewhere (e.g. a
// torch.onnx export) as extra graph outputs. It edits the protobuf wire format directly, so every field of the
// model is kept byte for byte — including fields the descriptor in onnx-proto.ts leaves out (functions, sparse
// initializers, training info), which a decode → encode round trip would drop. `encodeModel` turns a ModelProto
// plain object (from `modelProto` or `decodeModel`) back into bytes.
// Added by the backbone-sd engineer (feature taps of exported UNets; weights as external initializers).
import { Diff2in1Error } from '@diff2in1/tensor';
import { ModelProto } from './onnx-proto.js';

const PROTOBUF_LIMIT = 2 ** 31 - 1;

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  const head = [...varint(field * 8 + 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function readVarint(buf: Uint8Array, pos: number, file: string): [number, number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10 && pos < buf.length; i++) {
    const b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) return [result, pos];
    mul *= 128;
  }
  throw new Diff2in1Error('onnx', `not a readable ONNX model (bad varint at byte ${pos})`, { file });
}

/** Byte ranges [keyStart, payloadStart, end) of every top-level field of a message. */
function fields(buf: Uint8Array, file: string): { field: number; wire: number; start: number; payload: number; end: number }[] {
  const out = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [key, p] = readVarint(buf, pos, file);
    pos = p;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let payload = pos;
    if (wire === 0) pos = readVarint(buf, pos, file)[1];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, q] = readVarint(buf, pos, file);
      payload = q;
      pos = q + len;
    } else throw new Diff2in1Error('onnx', `not a readable ONNX model (wire type ${wire} at byte ${start})`, { file });
    if (pos > buf.length) throw new Diff2in1Error('onnx', `not a readable ONNX model (field ${field} runs past the end)`, { file });
    out.push({ field, wire, start, payload, end: pos });
  }
  return out;
}

/**
 * An extra graph output: a tensor name of the model and, optionally, its ONNX element type (1 = float,
 * 10 = float16, ...). Without one the output carries no type and ONNX Runtime infers it from the producing node.
 */
export interface ModelOutputSpec {
  name: string;
  elemType?: number;
}

/**
 * Returns `model` (ModelProto bytes) with `outputs` appended to its main graph's outputs. Their shapes are left
 * open (ORT infers them, and their types too when `elemType` is not given). Names already listed as outputs are
 * skipped. Nothing else in the model changes.
 */
export function addModelOutputs(model: Uint8Array, outputs: readonly ModelOutputSpec[], file = '<model bytes>'): Uint8Array {
  const top = fields(model, file);
  const graphs = top.filter((f) => f.field === 7 && f.wire === 2);
  if (graphs.length !== 1) throw new Diff2in1Error('onnx', `expected one graph in the model, found ${graphs.length}`, { file });
  const g = graphs[0]!;
  const graph = model.subarray(g.payload, g.end);
  const existing = new Set<string>();
  for (const f of fields(graph, file)) {
    if (f.field !== 12 || f.wire !== 2) continue;
    for (const v of fields(graph.subarray(f.payload, f.end), file)) {
      if (v.field === 1 && v.wire === 2) existing.add(new TextDecoder().decode(graph.subarray(f.payload + v.payload, f.payload + v.end)));
    }
  }
  const extra: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const o of outputs) {
    if (existing.has(o.name)) continue;
    existing.add(o.name);
    // ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1 } } }
    const parts = [lengthDelimited(1, enc.encode(o.name))];
    if (o.elemType !== undefined) parts.push(lengthDelimited(2, lengthDelimited(1, new Uint8Array([...varint(1 * 8 + 0), ...varint(o.elemType)]))));
    const info = concatBytes(parts);
    extra.push(lengthDelimited(12, info));
  }
  const newGraph = lengthDelimited(7, concatBytes([graph, ...extra]));
  const out = concatBytes([model.subarray(0, g.start), newGraph, model.subarray(g.end)]);
  if (out.length > PROTOBUF_LIMIT) throw new Diff2in1Error('onnx', `model grows past protobuf's 2 GB limit`, { file });
  return out;
}

/** Encodes a ModelProto plain object (protobufjs field names, as `modelProto` and `decodeModel` give) to bytes. */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  const err = ModelProto.verify(model);
  if (err) throw new Diff2in1Error('graph', `encodeModel: not a ModelProto: ${err}`);
  const bytes = ModelProto.encode(model).finish();
  if (bytes.length > PROTOBUF_LIMIT) {
    throw new Diff2in1Error('graph', `model serialises to ${bytes.length} bytes, over protobuf's 2 GB limit; move initializers to external data`);
  }
  return bytes;
}
