// The toy-pretrained tiny SD as one call: render unlabelled toyworld scenes of another seed than the perception
// data (once; toyworld export resumes) and run pretrainTinySd with its default recipe (reused when finished).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openFolder } from '@diff2in1/datasets';
import type { SessionOptions } from '@diff2in1/runtime';
import { exportDataset } from '@diff2in1/toyworld';
import { type PretrainPhase, type PretrainResult, pretrainTinySd } from './pretrain-sd.js';

export interface ToySdOptions {
  /** Folder of the pretrained SD (the rendered images go beside it). */
  dir: string;
  /** Unlabelled images to render (default 1000) at size×size (default 128), toyworld seed (default 1). */
  images?: number;
  size?: number;
  imageSeed?: number;
  vae?: PretrainPhase & { klWeight?: number; crop?: number };
  unet?: PretrainPhase;
  seed?: number;
  session?: SessionOptions;
  quiet?: boolean;
  log?: (m: string) => void;
}

/** Makes (or reuses) the toy-pretrained tiny SD folder; returns where it is. */
export async function ensureToyPretrainedSd(o: ToySdOptions): Promise<PretrainResult> {
  const n = o.images ?? 1000, size = o.size ?? 128, imageSeed = o.imageSeed ?? 1;
  const data = join(o.dir, '..', `toy-sd-images-${size}-${n}-seed${imageSeed}`);
  if (!existsSync(join(data, 'splits', 'train.txt'))) {
    (o.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(`rendering ${n} unlabelled toyworld images (${size}×${size}, seed ${imageSeed}) → ${data}`);
    await exportDataset({ layout: 'folder', out: data, count: n, testCount: 0, width: size, height: size, seed: imageSeed });
  }
  const images = await openFolder(data, { split: 'train', tasks: [] });
  return pretrainTinySd({ images, out: o.dir, ...(o.seed === undefined ? {} : { seed: o.seed }), ...(o.vae ? { vae: o.vae } : {}), ...(o.unet ? { unet: o.unet } : {}), ...(o.session ? { session: o.session } : {}), ...(o.quiet ? { quiet: o.quiet } : {}), ...(o.log ? { log: o.log } : {}) });
}
