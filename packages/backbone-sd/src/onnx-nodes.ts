// A minimal reader of an ONNX model's graph structure (protobuf wire format, onnx.proto field numbers):
// node names, op types, inputs and outputs in graph order, and the graph's input / output names. Enough to find
// feature taps in an existing export (optimum / diffusers `unet/model.onnx`) without a runtime; weights (inline or
// external) are skipped, never decoded.

import { Diff2in1Error } from '@diff2in1/tensor';

export interface OnnxNodeInfo {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
}

export interface OnnxGraphInfo {
  nodes: OnnxNodeInfo[];
  /** Names of the graph inputs (initializers listed as inputs by old exporters included). */
  inputs: string[];
  outputs: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start: number, readonly end: number, readonly file: string) {
    this.pos = start;
  }
  fail(msg: string): never {
    throw new Diff2in1Error('onnx', `not a readable ONNX model (${msg} at byte ${this.pos})`, { file: this.file });
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    return this.fail('varint too long');
  }
  /** Reads a field key; returns [field number, wire type]. */
  key(): [number, number] {
    const k = this.varint();
    return [Math.floor(k / 8), k % 8];
  }
  /** Bounds of a length-delimited field's payload. */
  bytes(): [number, number] {
    const n = this.varint();
    const start = this.pos;
    if (start + n > this.end) this.fail('length beyond its message');
    this.pos = start + n;
    return [start, start + n];
  }
  string(): string {
    const [a, b] = this.bytes();
    return utf8.decode(this.buf.subarray(a, b));
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else this.fail(`unsupported wire type ${wire}`);
    if (this.pos > this.end) this.fail('field beyond its message');
  }
}

function readNode(buf: Uint8Array, start: number, end: number, file: string): OnnxNodeInfo {
  const r = new Reader(buf, start, end, file);
  const node: OnnxNodeInfo = { name: '', opType: '', inputs: [], outputs: [] };
  while (r.pos < end) {
    const [field, wire] = r.key();
    if (wire === 2 && field === 1) node.inputs.push(r.string());
    else if (wire === 2 && field === 2) node.outputs.push(r.string());
    else if (wire === 2 && field === 3) node.name = r.string();
    else if (wire === 2 && field === 4) node.opType = r.string();
    else r.skip(wire);
  }
  return node;
}

/** ValueInfoProto.name (field 1). */
function readValueInfoName(buf: Uint8Array, start: number, end: number, file: string): string {
  const r = new Reader(buf, start, end, file);
  while (r.pos < end) {
    const [field, wire] = r.key();
    if (wire === 2 && field === 1) return r.string();
    r.skip(wire);
  }
  return '';
}

/** Lists the main graph of a serialized ModelProto. */
export function readOnnxGraph(bytes: Uint8Array, file = 'model.onnx'): OnnxGraphInfo {
  const top = new Reader(bytes, 0, bytes.length, file);
  let graph: [number, number] | undefined;
  while (top.pos < bytes.length) {
    const [field, wire] = top.key();
    if (field === 7 && wire === 2) graph = top.bytes(); // ModelProto.graph
    else top.skip(wire);
  }
  if (!graph) throw new Diff2in1Error('onnx', 'not a readable ONNX model (no graph)', { file });
  const g = new Reader(bytes, graph[0], graph[1], file);
  const info: OnnxGraphInfo = { nodes: [], inputs: [], outputs: [] };
  while (g.pos < graph[1]) {
    const [field, wire] = g.key();
    if (wire !== 2) {
      g.skip(wire);
      continue;
    }
    const [a, b] = g.bytes();
    if (field === 1) info.nodes.push(readNode(bytes, a, b, file)); // GraphProto.node
    else if (field === 11) info.inputs.push(readValueInfoName(bytes, a, b, file));
    else if (field === 12) info.outputs.push(readValueInfoName(bytes, a, b, file));
  }
  return info;
}
