// PyTorch's default initialisers (torch/nn/init.py), sampling from our seeded Rng. Distributions and bounds
// follow torch; the random streams are ours (seeded per parameter name), not torch's.
import { Tensor, type DType, type Rng, allocate, numel } from '@diff2in1/tensor';
import type { ParamInit } from '../ir/param.js';

/** torch `_calculate_fan_in_and_fan_out`: fan_in = size(1)·receptive field, fan_out = size(0)·receptive field. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fan in/out need at least 2 dimensions, got [${shape.join(', ')}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

function filled(dtype: DType, shape: readonly number[], f: (out: Float32Array | Float64Array) => void): Tensor {
  const data = allocate(dtype, numel(shape));
  if (!(data instanceof Float32Array || data instanceof Float64Array)) throw new Error(`random initialisers need float32/float64, got ${dtype}`);
  f(data);
  return new Tensor(dtype, shape, data);
}

export function uniformInit(lo: number, hi: number, dtype: DType = 'float32'): ParamInit {
  return (shape, rng) => filled(dtype, shape, (d) => rng.fillUniform(d, lo, hi));
}

export function normalInit(mean = 0, std = 1, dtype: DType = 'float32'): ParamInit {
  return (shape, rng) => filled(dtype, shape, (d) => rng.fillNormal(d, mean, std));
}

export function constantInit(value: number, dtype: DType = 'float32'): ParamInit {
  return (shape) => {
    const data = allocate(dtype, numel(shape));
    if (data instanceof BigInt64Array) data.fill(BigInt(value));
    else (data as Float32Array).fill(value);
    return new Tensor(dtype, shape, data);
  };
}

export const zerosInit = (dtype: DType = 'float32'): ParamInit => constantInit(0, dtype);
export const onesInit = (dtype: DType = 'float32'): ParamInit => constantInit(1, dtype);

/** kaiming_uniform_(a, mode='fan_in', nonlinearity='leaky_relu'): bound = √(2/(1+a²))·√(3/fan_in). */
export function kaimingUniformInit(a = Math.sqrt(5), dtype: DType = 'float32'): ParamInit {
  return (shape, rng: Rng) => {
    const bound = Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fans(shape).fanIn);
    return uniformInit(-bound, bound, dtype)(shape, rng);
  };
}

/** xavier_uniform_(gain): bound = gain·√(6/(fan_in + fan_out)). */
export function xavierUniformInit(gain = 1, dtype: DType = 'float32'): ParamInit {
  return (shape, rng) => {
    const { fanIn, fanOut } = fans(shape);
    const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
    return uniformInit(-bound, bound, dtype)(shape, rng);
  };
}

/** The bias initialiser of torch's Linear/Conv: U(−1/√fan_in, 1/√fan_in) with the weight's fan_in (0 → 0). */
export function fanInBiasInit(weightShape: readonly number[], dtype: DType = 'float32'): ParamInit {
  const { fanIn } = fans(weightShape);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniformInit(-bound, bound, dtype);
}
