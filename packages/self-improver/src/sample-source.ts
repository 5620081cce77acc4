// Samples with their frozen-backbone features: a dataset, an optional fp16 feature cache, and the feature extractor.
// `load(items)` returns the (possibly mirrored) samples and their stacked tap features [B, C, h, w] — from the
// cache where a slot is filled, from one batched backbone pass for the rest (which then fill their slots).
import { join } from 'node:path';
import { type Dataset, type Sample, hflipSample } from '@diff2in1/datasets';
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';
import { FeatureCache } from './feature-cache.js';
import { type ColorJitter, applyColorJitter } from './schedule.js';
import { type FeatureExtractor, type FeatureNoise, type Variant, backboneFingerprint } from './features.js';

export interface SourceItem {
  /** Dataset index. */
  index: number;
  variant: Variant;
  /** Visit number (the epoch), keys 'fresh' feature noise. */
  visit: number;
  /** Colour augmentation of this visit (after the flip); its features bypass the cache. */
  jitter?: ColorJitter;
}

export interface SourceOptions {
  /** Feature noise: 'fixed' (default; required by the cache) or 'fresh' (a new draw per visit, as upstream). */
  noise?: FeatureNoise;
  /** Folder for the cache file (none: no cache). */
  cacheDir?: string;
  /** Cache file name (default `<dataset name>-<split>`). */
  cacheName?: string;
  /** Variants the run uses (default ['none']); the cache holds a slot for each. */
  variants?: readonly Variant[];
  log?: (m: string) => void;
}

export interface LoadedBatch {
  samples: Sample[];
  /** `tap.<module>` → [B, C, h, w]. */
  features: Record<string, Tensor<'float32'>>;
  /** Slots read from the cache / computed in this call. */
  cached: number;
  computed: number;
}

export class SampleSource {
  readonly noise: FeatureNoise;
  readonly cache: FeatureCache | undefined;
  readonly variants: readonly Variant[];

  constructor(readonly dataset: Dataset, readonly extractor: FeatureExtractor, readonly image: readonly [number, number], o: SourceOptions = {}) {
    this.noise = o.noise ?? 'fixed';
    this.variants = o.variants ?? ['none'];
    if (o.cacheDir !== undefined) {
      if (this.noise !== 'fixed') throw new Diff2in1Error('self-improver', `a feature cache needs featureNoise 'fixed' (one draw per sample); got '${this.noise}'. Turn the cache off to draw fresh noise at every visit`);
      const name = o.cacheName ?? `${dataset.name}-${dataset.split}`.replace(/[^A-Za-z0-9_.-]/g, '_');
      const [h, w] = image;
      this.cache = FeatureCache.open(join(o.cacheDir, `${name}.${extractor.set}.f16`), {
        describe: { backbone: backboneFingerprint(extractor.backbone), ...extractor.describe(), image: [h, w], root: dataset.root, split: dataset.split },
        ids: dataset.ids,
        variants: this.variants,
        taps: extractor.taps.map((t) => ({ name: `tap.${t.name}`, shape: [t.channels, Math.ceil(h / t.stride), Math.ceil(w / t.stride)] as [number, number, number] })),
      }, o.log);
    }
  }

  get length(): number {
    return this.dataset.length;
  }

  private key(it: SourceItem): string {
    return this.noise === 'fixed' ? `${it.index}/${it.variant}` : `${it.index}/${it.variant}/${it.visit}`;
  }

  private async sample(it: SourceItem): Promise<Sample> {
    const s = await this.dataset.get(it.index);
    const [h, w] = this.image;
    if (s.image.shape[1] !== h || s.image.shape[2] !== w) {
      throw new Diff2in1Error('self-improver', `sample '${s.id}' of ${this.dataset.root} is ${s.image.shape[1]}×${s.image.shape[2]}; the run's image size is ${h}×${w} (resize the dataset first)`);
    }
    const flipped = it.variant === 'hflip' ? hflipSample(s) : s;
    return it.jitter ? { ...flipped, image: applyColorJitter(flipped.image, it.jitter) } : flipped;
  }

  /** Samples and stacked features of `items`. */
  async load(items: readonly SourceItem[]): Promise<LoadedBatch> {
    const samples = await Promise.all(items.map((it) => this.sample(it)));
    const cacheable = (it: SourceItem): boolean => this.cache !== undefined && it.jitter === undefined;
    const per: (Record<string, Tensor<'float32'>> | undefined)[] = items.map((it) => (cacheable(it) ? this.cache!.get(this.cache!.slot(it.index, it.variant)) : undefined));
    const miss = items.map((_, i) => i).filter((i) => per[i] === undefined);
    if (miss.length) {
      const feats = await this.extractor.extract(miss.map((i) => ({ image: samples[i]!.image, key: this.key(items[i]!) })));
      miss.forEach((i, k) => {
        const one = Object.fromEntries(Object.entries(feats).map(([n, t]) => [n, sliceBatch(t, k)]));
        per[i] = cacheable(items[i]!) ? this.cache!.put(this.cache!.slot(items[i]!.index, items[i]!.variant), one) : one;
      });
    }
    return { samples, features: stackFeatures(per as Record<string, Tensor<'float32'>>[]), cached: items.length - miss.length, computed: miss.length };
  }

  close(): void {
    this.cache?.close();
  }
}

/** Sample k of a batch tensor, as [1, ...]. */
export function sliceBatch(t: Tensor<'float32'>, k: number): Tensor<'float32'> {
  const per = t.size / t.shape[0]!;
  return new Tensor('float32', [1, ...t.shape.slice(1)], t.data.slice(k * per, (k + 1) * per));
}

/** Stacks per-sample [1, ...] features into [B, ...] per name. */
export function stackFeatures(per: readonly Record<string, Tensor<'float32'>>[]): Record<string, Tensor<'float32'>> {
  const out: Record<string, Tensor<'float32'>> = {};
  const first = per[0]!;
  for (const name of Object.keys(first)) {
    const t0 = first[name]!;
    const t = new Tensor('float32', [per.length, ...t0.shape.slice(1)]);
    per.forEach((p, i) => t.data.set(p[name]!.data, i * t0.size));
    out[name] = t;
  }
  return out;
}
