// The data stage: makes the real pairs available to every later stage and writes data/manifest.json.
//   toyworld: renders counts.train + counts.test scenes at data.imageSize with run.seed into data/toyworld/ in the
//             folder format (@diff2in1/toyworld exportDataset; resumable item by item);
//   others:   opens data.path with the layout's reader (@diff2in1/datasets) and checks the counts.
// Later stages open the splits with openRunDataset(runDir, 'train' | 'test'), which reads the manifest.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Dataset } from '@diff2in1/datasets';
import { openAde20k, openFolder, openNyudmt, openNyuv2, openPascalContext } from '@diff2in1/datasets';
import { Diff2in1Error, writeFileAtomicSync } from '@diff2in1/tensor';
import { exportDataset } from '@diff2in1/toyworld';
import type { Diff2in1Config } from '../config/finalize.js';
import type { StageContext } from '../stages.js';

type Source = Diff2in1Config['data']['source'];
type Role = 'train' | 'test';

/** The reader and split names of each source (NYUD-MT, PASCAL-Context and ADE20K call their test split 'val'). */
const READERS: Record<Source, { reader: string; splits: Record<Role, string> }> = {
  toyworld: { reader: 'folder', splits: { train: 'train', test: 'test' } },
  folder: { reader: 'folder', splits: { train: 'train', test: 'test' } },
  nyuv2: { reader: 'nyuv2', splits: { train: 'train', test: 'test' } },
  nyudmt: { reader: 'nyudmt', splits: { train: 'train', test: 'val' } },
  pascal: { reader: 'pascal-context', splits: { train: 'train', test: 'val' } },
  ade20k: { reader: 'ade20k', splits: { train: 'train', test: 'val' } },
};

export interface DataManifest {
  version: 1;
  source: Source;
  /** Reader of @diff2in1/datasets: folder, nyuv2, nyudmt, pascal-context, ade20k. */
  reader: string;
  /** Dataset root: run-relative for a rendered toyworld, absolute otherwise. */
  root: string;
  tasks: readonly string[];
  splits: Record<Role, { split: string; count: number; ids: readonly string[] }>;
}

export const MANIFEST = 'data/manifest.json';

async function openSplit(source: Source, root: string, split: string, tasks: Diff2in1Config['data']['tasks']): Promise<Dataset> {
  switch (READERS[source].reader) {
    case 'folder':
      return openFolder(root, { split, tasks });
    case 'nyuv2':
      return openNyuv2(root, { split: split as 'train' | 'test' });
    case 'nyudmt':
      return openNyudmt(root, { split: split as 'train' | 'val', tasks });
    case 'pascal-context':
      return openPascalContext(root, { split: split as 'train' | 'val', tasks });
    default:
      return openAde20k(root, { split: split as 'train' | 'val' });
  }
}

export interface DataStageOptions {
  /** Render threads for toyworld (default: @diff2in1/toyworld's, min(2, cores)). Tests under vitest pass 1: the
   * worker script only exists in toyworld's dist/. */
  workers?: number;
}

/** The data stage with options (IMPLEMENTATIONS uses the defaults). */
export function createDataStage(opts: DataStageOptions = {}): (ctx: StageContext) => Promise<void> {
  return (ctx) => runData(ctx, opts);
}

export async function runData(ctx: StageContext, opts: DataStageOptions = {}): Promise<void> {
  const { data, run } = ctx.config;
  // A fresh attempt (new fingerprint) starts from an empty data/; a resumed one keeps the items rendered so far.
  if (!ctx.resume) rmSync(ctx.path('data'), { recursive: true, force: true });
  let root: string;
  if (data.source === 'toyworld') {
    const counts = data.counts!;
    root = ctx.path('data/toyworld');
    const p = ctx.progress('toyworld', counts.train + counts.test);
    const summary = await exportDataset({
      layout: 'folder',
      out: root,
      count: counts.train,
      testCount: counts.test,
      width: data.imageSize.width,
      height: data.imageSize.height,
      seed: run.seed,
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      onProgress: ({ done }) => p.update(done),
    });
    p.done();
    ctx.log({ event: 'info', message: 'toyworld rendered', ...summary });
  } else {
    root = data.path!;
  }
  const splits = {} as DataManifest['splits'];
  for (const role of ['train', 'test'] as const) {
    const split = READERS[data.source].splits[role];
    const ds = await openSplit(data.source, root, split, data.tasks);
    const missing = data.tasks.filter((t) => !ds.tasks.includes(t));
    if (missing.length) throw new Diff2in1Error('dataset', `data.tasks: ${root} (${split}) has no ${missing.join(', ')} labels; it has ${ds.tasks.join(', ') || 'none'}`);
    const want = data.counts?.[role];
    if (want !== undefined && ds.length !== want) {
      throw new Diff2in1Error('dataset', `data.counts.${role}: expected ${want} images in the '${split}' split of ${root}, found ${ds.length}`);
    }
    splits[role] = { split, count: ds.length, ids: ds.ids };
  }
  const manifest: DataManifest = {
    version: 1,
    source: data.source,
    reader: READERS[data.source].reader,
    root: data.source === 'toyworld' ? 'data/toyworld' : root,
    tasks: data.tasks,
    splits,
  };
  writeFileAtomicSync(ctx.path(MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  ctx.info(`data: ${splits.train.count} train / ${splits.test.count} test images (${manifest.reader} reader, ${root})`);
}

/** Reads data/manifest.json of a run directory. */
export function readDataManifest(runRoot: string): DataManifest {
  const p = join(runRoot, MANIFEST);
  if (!existsSync(p)) throw new Diff2in1Error('run-dir', `${MANIFEST} is missing: run \`diff2in1 data\` first`, { file: p });
  return JSON.parse(readFileSync(p, 'utf8')) as DataManifest;
}

/** Opens a split of the run's dataset (for the warm-up, captioning, synthesis and evaluation stages). */
export async function openRunDataset(runRoot: string, role: Role, tasks?: Diff2in1Config['data']['tasks']): Promise<Dataset> {
  const m = readDataManifest(runRoot);
  const root = isAbsolute(m.root) ? m.root : join(runRoot, m.root);
  return openSplit(m.source, root, m.splits[role].split, tasks ?? (m.tasks as Diff2in1Config['data']['tasks']));
}
