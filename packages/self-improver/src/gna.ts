// Synthetic images generated from Gaussian noise (Φ_gen; the paper's GNA baseline, §4.2 Fig. 3) as a folder
// dataset the self-improving stage reads: images/<id>.png, captions.json, splits/train.txt. Item k is prompted
// with the caption of source image k mod n (the real set's captions, as partial-noise creation is) and seeded
// from (seed, k), so the folder is reproducible and an interrupted run resumes by skipping finished images.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '@diff2in1/datasets';
import { type SynthesisModel, generateFromNoise } from '@diff2in1/synthesis';
import { Diff2in1Error, Rng, createProgress, type ProgressStream, writeFileAtomic, writePng } from '@diff2in1/tensor';

export interface FromNoiseDatasetOptions {
  model: SynthesisModel;
  /** Captions come from here (sample.caption; '' when absent). */
  source: Dataset;
  out: string;
  /** Images to make (default: one per source image). */
  count?: number;
  /** Output size [H, W] (default the source's first image size). */
  size?: readonly [number, number];
  steps?: number;
  guidanceScale?: number;
  seed?: number;
  quiet?: boolean;
  progressStream?: ProgressStream;
}

/** Makes (or completes) the from-noise folder dataset; returns its ids. */
export async function synthesizeFromNoise(o: FromNoiseDatasetOptions): Promise<string[]> {
  const n = o.source.length;
  if (n === 0) throw new Diff2in1Error('self-improver', 'synthesizeFromNoise: the source dataset is empty');
  const count = o.count ?? n;
  let size = o.size;
  if (!size) {
    const s0 = await o.source.get(0);
    size = [s0.image.shape[1]!, s0.image.shape[2]!];
  }
  const ids: string[] = [];
  const captions: Record<string, string> = {};
  const progress = createProgress({ label: 'from-noise synthesis', total: count, unit: 'img', quiet: o.quiet, stream: o.progressStream });
  for (let k = 0; k < count; k++) {
    const src = await o.source.get(k % n);
    const id = `noise_${String(k).padStart(6, '0')}`;
    const caption = src.caption ?? '';
    ids.push(id);
    captions[id] = caption;
    const file = join(o.out, 'images', `${id}.png`);
    if (!existsSync(file)) {
      const seed = BigInt.asUintN(63, new Rng(o.seed ?? 0).fork('gna').fork(k).nextUint64());
      const r = await generateFromNoise(o.model, { prompt: caption, height: size[0], width: size[1], seed, ...(o.steps ? { steps: o.steps } : {}), ...(o.guidanceScale ? { guidanceScale: o.guidanceScale } : {}) });
      await writePng(file, r.image);
    }
    progress.tick();
  }
  progress.done();
  await writeFileAtomic(join(o.out, 'captions.json'), `${JSON.stringify(captions, null, 1)}\n`);
  await writeFileAtomic(join(o.out, 'splits', 'train.txt'), `${ids.join('\n')}\n`);
  return ids;
}
