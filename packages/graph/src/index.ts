// @diff2in1/graph — ONNX graph builder, modules with upstream state_dict names, reverse-mode autodiff in standard
// ONNX ops, losses and optimizers. See README.md for the API tour.
export { GraphBuilder, Value, attr, spec, graphOf, type Attr, type Attrs, type Node, type VjpRule, type ValueSource, type GraphBuilderOptions, type OutputSpec, type ParamBinding } from './ir/graph.js';
export { type Dim, type Shape, fmtShape, broadcastShapes, broadcastAxes, isStatic, staticShape } from './ir/shape.js';
export { Param, type ParamKind, type ParamOwner } from './ir/param.js';
export { ONNX_ELEM_TYPE, dtypeFromOnnx, isFloat } from './ir/dtype.js';
export { serialize, decodeModel, modelProto, liveNodes, OPSET, IR_VERSION, type SerializeOptions } from './proto/serialize.js';
export * from './ops/elementwise.js';
export * from './ops/activations.js';
export * from './ops/reduce.js';
export * from './ops/shape.js';
export * from './ops/indexing.js';
export * from './ops/linalg.js';
export * from './ops/conv.js';
export * from './ops/resize.js';
export * from './ops/norm.js';
export * from './ops/attention.js';
export * from './ops/im2col.js';
export * from './grad/index.js';
