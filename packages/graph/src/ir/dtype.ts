// Element types: our Tensor dtypes and their ONNX TensorProto.DataType numbers (onnx/onnx.proto, enum DataType).
import { Diff2in1Error, type DType, DTYPES } from '@diff2in1/tensor';

export const ONNX_ELEM_TYPE: Readonly<Record<DType, number>> = {
  float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11,
};

const FROM_ONNX = new Map<number, DType>(Object.entries(ONNX_ELEM_TYPE).map(([k, v]) => [v, k as DType]));

export function dtypeFromOnnx(elemType: number, where: string): DType {
  const d = FROM_ONNX.get(elemType);
  if (d === undefined) {
    throw new Diff2in1Error('graph', `${where}: ONNX element type ${elemType} is not supported; supported dtypes: ${DTYPES.join(', ')}`);
  }
  return d;
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16';
}

export function isInteger(d: DType): boolean {
  return d === 'int64' || d === 'int32' || d === 'uint8';
}
