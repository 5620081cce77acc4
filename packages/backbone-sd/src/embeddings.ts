// diffusers v0.25.0 models/embeddings.py: Timesteps (get_timestep_embedding) and TimestepEmbedding.
import { Module, type Value, concat, pad, spec } from '@diff2in1/graph';
import { Tensor } from '@diff2in1/tensor';
import { Linear, type SdDType, castTo, silu } from './layers.js';

/**
 * The frequencies of get_timestep_embedding as float32, computed the way torch does in float32:
 * exp((−ln(max_period) · i) / (half − downscale_freq_shift)) for i < half = dim // 2. (torch's vectorised expf may
 * differ from this correctly rounded one by one ulp in a few entries — below 1e-6 in the embedding for t ≤ 1000.)
 */
export function timestepFrequencies(dim: number, downscaleFreqShift: number, maxPeriod = 10000): Float32Array {
  const half = Math.floor(dim / 2);
  const f = Math.fround;
  const c = f(-Math.log(maxPeriod));
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) out[i] = f(Math.exp(f(f(c * i) / f(half - downscaleFreqShift))));
  return out;
}

/**
 * Timesteps: t [B] (float32) → [B, dim] = [sin(t·f), cos(t·f)] ([cos, sin] with flip_sin_to_cos), zero-padded to
 * an odd dim. Always float32, as diffusers computes it before casting to the UNet's dtype.
 */
export class Timesteps extends Module {
  constructor(readonly dim: number, readonly flipSinToCos: boolean, readonly downscaleFreqShift: number) {
    super();
  }

  forward(t: Value): Value {
    return this.scoped(t, () => {
      const g = t.graph;
      const b = t.shape[0]!;
      const half = Math.floor(this.dim / 2);
      const freqs = g.constant(new Tensor('float32', [1, half], timestepFrequencies(this.dim, this.downscaleFreqShift)));
      const col = g.node1('Unsqueeze', [castTo(t, 'float32'), g.int64s([1])], {}, spec('float32', [b, 1]));
      const args = g.node1('Mul', [col, freqs], {}, spec('float32', [b, half]));
      const sin = g.node1('Sin', [args], {}, spec('float32', [b, half]));
      const cos = g.node1('Cos', [args], {}, spec('float32', [b, half]));
      const emb = concat(this.flipSinToCos ? [cos, sin] : [sin, cos], 1);
      return this.dim % 2 === 1 ? pad(emb, [0, 0, 0, 1]) : emb;
    });
  }
}

/** TimestepEmbedding: linear_1 → SiLU → linear_2 (the input cast to the model dtype first, as diffusers does). */
export class TimestepEmbedding extends Module {
  readonly linear_1: Linear;
  readonly linear_2: Linear;
  constructor(inChannels: number, timeEmbedDim: number, readonly dtype: SdDType = 'float32') {
    super();
    this.linear_1 = this.addModule('linear_1', new Linear(inChannels, timeEmbedDim, { dtype }));
    this.linear_2 = this.addModule('linear_2', new Linear(timeEmbedDim, timeEmbedDim, { dtype }));
  }

  forward(x: Value): Value {
    return this.scoped(x, () => this.linear_2.forward(silu(this.linear_1.forward(castTo(x, this.dtype)))));
  }
}
