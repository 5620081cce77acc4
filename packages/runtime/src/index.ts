// @diff2in1/runtime — the only package that imports onnxruntime-node: device choice, sessions (in-thread and in a
// worker thread), a session cache, and Tensor <-> ORT tensor conversion.
export {
  chooseDevice,
  describeDevice,
  isDeviceRequest,
  parseDeviceRequest,
  CUDA_INSTALL_ADVICE,
  WEBGPU_INSTALL_ADVICE,
  DEVICE_REQUESTS,
  type Device,
  type DeviceChoice,
  type DeviceProbe,
  type DeviceRequest,
} from './device.js';
export { probeDevices, probeCuda, ortBinaryDir, CUDA_RUNTIME_LIBS, type CudaProbeInput } from './probe.js';
export {
  createSession,
  type GraphOptimization,
  type LogLevel,
  type RunOptions,
  type Session,
  type SessionOptions,
} from './session.js';
export { createWorkerSession } from './worker-session.js';
export { SessionCache } from './session-cache.js';
export { toOrtTensor, fromOrtTensor, type OrtTensor } from './ort-tensor.js';
export { feedProblems, type IODType, type IOInfo } from './validate.js';
export { deviceReport } from './report.js';
export {
  TrainStepSession,
  TRAIN_STEP_COUNTER,
  TRAIN_STATE_FORMAT,
  type TrainStepProgram,
  type TrainStepSessionOptions,
  type TrainStateSpec,
  type TrainStateKind,
  type StepResult,
} from './train-step.js';
export { profileTrainStep, type StepProfile } from './train-step-profile.js';
