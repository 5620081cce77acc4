// The caption stage (paper appendix A.2): one caption per training image, the text condition of data creation.
// Writes captions/captions.json ({ id: caption }, keys sorted) and captions/captions.meta.json (which captioner wrote
// each caption) with @diff2in1/captioner's captionDataset — resumable batch by batch (caption.batchSize images per
// atomic rewrite), so a killed BLIP-2 run continues where it stopped.
//
// caption.captioner:
//   none | template:<text> | transformers:<dir> | blip2:<dir>   @diff2in1/captioner's createCaptioner
//   scene                                                       the dataset's own captions.json (toyworld's exact scene text)
//   dataset                                                     the captions the dataset reader finds (caption files shipped
//                                                               with the dataset, as the official repo's caption/*.txt)
import { rmSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Captioner, ImageInput } from '@diff2in1/captioner';
import { captionDataset, createCaptioner } from '@diff2in1/captioner';
import type { Dataset } from '@diff2in1/datasets';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { StageContext } from '../stages.js';
import { openRunDataset, readDataManifest } from './data.js';

export const CAPTIONS_FILE = 'captions/captions.json';

/** Image file of each id, when the reader exposes its entries (every reader of @diff2in1/datasets does). */
export function imagePaths(ds: Dataset): Map<string, string> | undefined {
  const entries = (ds as Dataset & { entries?: readonly { id: string; image: string }[] }).entries;
  return entries ? new Map(entries.map((e) => [e.id, e.image])) : undefined;
}

/** The dataset root recorded in data/manifest.json, absolute. */
export function datasetRoot(runRoot: string): string {
  const m = readDataManifest(runRoot);
  return isAbsolute(m.root) ? m.root : join(runRoot, m.root);
}

/** 'dataset': the captions the reader attaches to each sample (a missing one is an error naming the id). */
function datasetCaptioner(ds: Dataset): Captioner {
  const index = new Map(ds.ids.map((id, i) => [id, i]));
  return {
    id: 'dataset',
    async caption(images: readonly ImageInput[], opts) {
      const ids = opts?.ids ?? [];
      return Promise.all(images.map(async (_img, i) => {
        const id = ids[i];
        const at = id === undefined ? undefined : index.get(id);
        if (at === undefined) throw new Diff2in1Error('captioner', `caption.captioner 'dataset': image ${i} has no dataset id`);
        const s = await ds.get(at);
        if (s.caption === undefined) {
          throw new Diff2in1Error('captioner', `caption.captioner 'dataset': '${id}' has no caption file in ${ds.root}; choose another captioner (none, template:<text>, scene, transformers:<dir>, blip2:<dir>)`);
        }
        return s.caption;
      }));
    },
    async dispose() {},
  };
}

async function makeCaptioner(ctx: StageContext, ds: Dataset): Promise<Captioner> {
  const spec = ctx.config.caption.captioner;
  if (spec === 'dataset') return datasetCaptioner(ds);
  const { run } = ctx.config;
  // Local model paths in a config are relative to the current directory once resolved; keep them as given.
  return createCaptioner(spec, {
    datasetDir: datasetRoot(ctx.runDir.root),
    device: run.device === 'auto' ? 'cpu' : run.device,
    batchSize: ctx.config.caption.batchSize,
    compiledDir: resolve(ctx.path('work/caption-compiled')),
  });
}

export async function runCaption(ctx: StageContext): Promise<void> {
  // A fresh attempt (the captioner or the data changed) starts from an empty captions/; a resumed one keeps the
  // batches written so far (captionDataset skips ids this captioner already captioned).
  if (!ctx.resume) rmSync(ctx.path('captions'), { recursive: true, force: true });
  const ds = await openRunDataset(ctx.runDir.root, 'train');
  const paths = imagePaths(ds);
  const captioner = await makeCaptioner(ctx, ds);
  const p = ctx.progress(`captions (${captioner.id})`, ds.length);
  try {
    const cacheFile = ctx.path(CAPTIONS_FILE);
    const res = await captionDataset({
      dir: dirname(cacheFile),
      captioner,
      ids: ds.ids,
      cacheFile,
      flushEvery: ctx.config.caption.batchSize,
      imagePath: (id) => {
        const f = paths?.get(id);
        if (f === undefined) throw new Diff2in1Error('dataset', `no image file known for '${id}' in ${ds.root}`);
        return f;
      },
      onProgress: ({ done }) => {
        p.update(done);
        if (ctx.signal.aborted) throw new Diff2in1Error('interrupted', 'caption stage interrupted after a saved batch');
      },
    });
    p.done();
    const sample = Object.entries(res.captions)[0];
    ctx.log({ event: 'info', message: 'captions written', captioner: captioner.id, captioned: res.captioned, skipped: res.skipped });
    ctx.info(`captions: ${ds.length} (${res.captioned} new, ${res.skipped} kept) by '${captioner.id}'${sample ? `, e.g. ${sample[0]}: "${sample[1]}"` : ''}`);
  } finally {
    await captioner.dispose();
  }
}
