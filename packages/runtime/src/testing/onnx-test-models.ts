// Test-only: hand-encodes tiny ONNX ModelProtos with protobufjs so the runtime tests need no graph package.
// Not exported from index.ts and excluded from the build. The message/field numbers below are written from the
// ONNX spec (onnx/onnx.proto, IR version 8); only the fields these tests use are declared.
import protobuf from 'protobufjs';

const ONNX_DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            type: { type: 'int32', id: 20 },
          },
        },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            externalData: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
            dataLocation: { type: 'int32', id: 14 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: {
          fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } },
        },
        TypeProtoTensor: {
          fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
        },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: {
          oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
          fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(ONNX_DESCRIPTOR);
const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX TensorProto.DataType codes (onnx.proto). */
export const ONNX_TYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 } as const;
export type OnnxElem = keyof typeof ONNX_TYPE;

/** A dimension: a fixed size or a symbolic name. */
export type Dim = number | string;

export interface ValueInfo { name: string; elem: OnnxElem; shape: readonly Dim[] }
export interface NodeSpec { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, number | number[]> }
export interface Initializer {
  name: string;
  elem: OnnxElem;
  dims: number[];
  /** Little-endian bytes of the values, or an external file reference. */
  raw?: Uint8Array;
  external?: { location: string; offset: number; length: number };
}

function valueInfo(v: ValueInfo): object {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ONNX_TYPE[v.elem],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: number | number[]): object {
  if (Array.isArray(v)) return { name, ints: v, type: 7 }; // INTS
  return Number.isInteger(v) ? { name, i: v, type: 2 } /* INT */ : { name, f: v, type: 1 } /* FLOAT */;
}

/** Encodes a single-graph model (default opset 17, IR version 8) to ModelProto bytes. */
export function encodeModel(spec: {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: NodeSpec[];
  initializers?: Initializer[];
  opset?: number;
  name?: string;
}): Uint8Array {
  const message = ModelProto.fromObject({
    irVersion: 8,
    producerName: 'diff2in1-runtime-tests',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: spec.name ?? 'test',
      node: spec.nodes.map((n, k) => ({
        name: `${n.op}_${k}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([a, v]) => attribute(a, v)),
      })),
      initializer: (spec.initializers ?? []).map((t) => ({
        name: t.name,
        dataType: ONNX_TYPE[t.elem],
        dims: t.dims,
        ...(t.raw ? { rawData: t.raw } : {}),
        ...(t.external
          ? {
              dataLocation: 1, // EXTERNAL
              externalData: [
                { key: 'location', value: t.external.location },
                { key: 'offset', value: String(t.external.offset) },
                { key: 'length', value: String(t.external.length) },
              ],
            }
          : {}),
      })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  });
  return ModelProto.encode(message).finish();
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** C = A + B, elementwise, with the given (possibly symbolic) shape for all three. */
export function addModel(elem: OnnxElem = 'float32', shape: readonly Dim[] = ['batch', 3]): Uint8Array {
  return encodeModel({
    inputs: [{ name: 'a', elem, shape }, { name: 'b', elem, shape }],
    outputs: [{ name: 'c', elem, shape }],
    nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['c'] }],
  });
}

/** y = x · W with W a [k, n] float32 initializer (row-major values given); x is [batch, k]. */
export function matMulModel(w: Float32Array, k: number, n: number): Uint8Array {
  return encodeModel({
    inputs: [{ name: 'x', elem: 'float32', shape: ['batch', k] }],
    outputs: [{ name: 'y', elem: 'float32', shape: ['batch', n] }],
    nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    initializers: [{ name: 'w', elem: 'float32', dims: [k, n], raw: bytesOf(w) }],
  });
}

/**
 * Same as matMulModel but W lives in an external data file `location` (relative to the model file), at offset 0.
 * Returns the model bytes and the bytes to write to that file.
 */
export function externalMatMulModel(w: Float32Array, k: number, n: number, location: string): { model: Uint8Array; data: Uint8Array } {
  const data = bytesOf(w);
  const model = encodeModel({
    inputs: [{ name: 'x', elem: 'float32', shape: ['batch', k] }],
    outputs: [{ name: 'y', elem: 'float32', shape: ['batch', n] }],
    nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    initializers: [{ name: 'w', elem: 'float32', dims: [k, n], external: { location, offset: 0, length: data.byteLength } }],
  });
  return { model, data };
}

/** y = Identity(x) for one element type: round-trips a tensor through ORT untouched. */
export function identityModel(elem: OnnxElem, shape: readonly Dim[] = ['n']): Uint8Array {
  return encodeModel({
    inputs: [{ name: 'x', elem, shape }],
    outputs: [{ name: 'y', elem, shape }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });
}

/** y = Cast(x, to=elem) from float32: lets a test check ORT's fp16 / int bit patterns against hand-computed ones. */
export function castModel(to: OnnxElem, shape: readonly Dim[] = ['n']): Uint8Array {
  return encodeModel({
    inputs: [{ name: 'x', elem: 'float32', shape }],
    outputs: [{ name: 'y', elem: to, shape }],
    nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: ONNX_TYPE[to] } }],
  });
}

/**
 * A deliberately slow model: `depth` chained [size, size] MatMuls against one initializer W = I / 1 (identity),
 * so y equals x exactly and the run time is depth · 2·size³ flops (≈ 50 GFLOP/s per core on the CI machine).
 */
export function longModel(size: number, depth: number): Uint8Array {
  const w = new Float32Array(size * size);
  for (let i = 0; i < size; i++) w[i * size + i] = 1;
  const nodes: NodeSpec[] = [];
  for (let d = 0; d < depth; d++) {
    nodes.push({ op: 'MatMul', inputs: [d === 0 ? 'x' : `h${d}`, 'w'], outputs: [d === depth - 1 ? 'y' : `h${d + 1}`] });
  }
  return encodeModel({
    inputs: [{ name: 'x', elem: 'float32', shape: [size, size] }],
    outputs: [{ name: 'y', elem: 'float32', shape: [size, size] }],
    nodes,
    initializers: [{ name: 'w', elem: 'float32', dims: [size, size], raw: bytesOf(w) }],
  });
}
