// What synthesis needs from a Stable Diffusion backbone. @diff2in1/backbone-sd's StableDiffusion satisfies it
// structurally; keeping the subset here lets tests and other backbones (an ONNX export, a remote service) plug in.
import { createHash } from 'node:crypto';
import type { AnyScheduler } from '@diff2in1/schedulers';
import type { Rng, Tensor } from '@diff2in1/tensor';

export interface SynthesisModel {
  /** Where the weights came from: a diffusers folder, an ONNX export folder, or 'tiny'. */
  readonly source: string;
  /** Pixels per latent pixel (8 for SD v1-5: 2^(len(vae.block_out_channels) − 1)). */
  readonly vaeScaleFactor: number;
  /** The model's own scheduler (its scheduler_config.json); synthesis builds DDIM / PNDM from its config. */
  readonly scheduler: AnyScheduler;
  /** `vae.latent_channels`, and the raw scheduler_config.json (`scheduler`), whose every key a DDIM built from it must see. */
  readonly configs: { readonly vae: { readonly latent_channels: number }; readonly scheduler?: Readonly<Record<string, unknown>> };
  /** CLIP text embeddings [B, 77, D] of the prompts. */
  encodePrompt(texts: string[]): Promise<Tensor<'float32'>>;
  /** VAE latents × scaling_factor of images [B, 3, H, W] in [−1, 1]: posterior mean, or a sample drawn with `rng`. */
  encodeImage(images: Tensor<'float32'>, opts?: { mode?: 'mean' | 'sample'; rng?: Rng }): Promise<Tensor<'float32'>>;
  /** Images [B, 3, H, W] in [−1, 1] (not clamped) from scaled latents. */
  decodeLatents(latents: Tensor<'float32'>): Promise<Tensor<'float32'>>;
  /** ε̂ for latents at timestep t given text context; with guidanceScale ≠ 1, classifier-free guidance against uncondContext. */
  predictNoise(
    latents: Tensor<'float32'>, t: number | readonly number[], context: Tensor<'float32'>,
    opts?: { guidanceScale?: number; uncondContext?: Tensor<'float32'> },
  ): Promise<Tensor<'float32'>>;
  /** Identity of the weights (a content hash), when the backbone knows it. */
  readonly weightsHash?: string;
}

/**
 * A short hash naming the model in manifests and job.json: sha256 over the configs and the weights identity the
 * backbone reports (`weightsHash`, when it has one), 16 hex digits. The source path is left out on purpose: shards
 * on different machines load the same model from different paths and must agree. Without a weightsHash, two
 * checkpoints with identical configs (e.g. two fine-tunes of SD v1-5) get the same hash; job.json also records the
 * source for that reason.
 */
export function modelHash(model: Pick<SynthesisModel, 'configs' | 'weightsHash'>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ configs: model.configs, weights: model.weightsHash ?? null }));
  return h.digest('hex').slice(0, 16);
}
