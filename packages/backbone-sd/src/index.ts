// @diff2in1/backbone-sd — Stable Diffusion v1-5 (UNet, VAE, CLIP text encoder) read from a diffusers folder.
// This part: typed configs (named sd15 and tiny), the folder reader, the CLIP tokenizer, the state_dict
// checklist each loader uses, and the feature-tap sets. The compiled models come with @diff2in1/graph.

/** Config reading helpers and JSON types. */
export * from './config.js';
/** UNet2DConditionModel config (diffusers v0.25.0 keys and defaults). */
export * from './configs/unet-2d-condition.js';
/** AutoencoderKL config. */
export * from './configs/autoencoder-kl.js';
/** transformers CLIPTextConfig. */
export * from './configs/clip-text.js';
/** tokenizer_config.json + special_tokens_map.json. */
export * from './configs/clip-tokenizer.js';
/** model_index.json. */
export * from './configs/model-index.js';
/** All configs of a folder, cross-checked. */
export * from './configs/sd-configs.js';
/** Named configs: sd15 (SD v1-5's published files) and the tiny test configs. */
export * from './configs/sd15.js';
export * from './configs/tiny.js';
/** Expected state_dict names/shapes per config, and the comparison the loader runs. */
export * from './state-dict.js';
/** Checkpoint name → module name (legacy VAE attention names). */
export * from './name-map.js';
/** The diffusers folder reader. */
export * from './folder.js';
/** SD's CLIP tokenizer on @huggingface/transformers. */
export * from './tokenizer.js';
/** Feature tap sets (vpd, all) and how to find them in a torch.onnx export. */
export * from './taps.js';
/** Node / input / output names of an ONNX model, read without a runtime. */
export * from './onnx-nodes.js';
/** torch.nn leaf layers in float32 / float16 (Conv2d, Linear, GroupNorm, LayerNorm, Embedding). */
export * from './layers.js';
/** diffusers modules with state_dict names: resnet.py, attention(_processor).py, transformer_2d.py, embeddings.py, unet_2d_blocks.py. */
export * from './resnet.js';
export * from './attention.js';
export * from './transformer-2d.js';
export * from './embeddings.js';
export * from './unet-2d-blocks.js';
/** UNet2DConditionModel, AutoencoderKL, CLIPTextModel. */
export * from './unet-2d-condition.js';
export * from './autoencoder-kl.js';
export * from './clip-text-model.js';
/** The ONNX graphs built from them and their I/O names. */
export * from './graphs.js';
/** Compiled-graph cache (weights blob + per-variant models, external data). */
export * from './compile-cache.js';
/** The StableDiffusion API and its loaders. */
export * from './stable-diffusion.js';
export * from './compiled-sd.js';
export * from './onnx-export-sd.js';
export * from './load-stable-diffusion.js';
