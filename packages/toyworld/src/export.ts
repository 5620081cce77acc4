// `toyworld export`: renders N train + M test scenes and writes them in one of the real dataset layouts.
// Every file is written atomically (temp file + rename). The export is resumable: an item whose files (and
// sidecar) all exist is skipped; index files are rewritten at the end from the per-item sidecars. A manifest
// (.toyworld/export.json) pins the options, so a resume with different options is refused instead of mixing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Diff2in1Error, choices, writeFileAtomic } from '@diff2in1/tensor';
import type { ExportItem, ItemMeta, Layout, LayoutContext, LayoutName } from './layouts/common.js';
import { LAYOUT_NAMES } from './layouts/common.js';
import { folderLayout } from './layouts/folder.js';
import { nyuv2Layout } from './layouts/nyuv2.js';
import { nyudmtLayout } from './layouts/nyudmt.js';
import { pascalLayout } from './layouts/pascal.js';
import { ade20kLayout } from './layouts/ade20k.js';
import { toyImage } from './toy-image.js';

export type { ExportItem, ItemMeta, Layout, LayoutContext, LayoutName } from './layouts/common.js';
export { LAYOUT_NAMES } from './layouts/common.js';

/** Every export layout by name (see README.md for each one's files). */
export const LAYOUTS: Record<LayoutName, Layout> = {
  folder: folderLayout,
  nyuv2: nyuv2Layout,
  nyudmt: nyudmtLayout,
  pascal: pascalLayout,
  ade20k: ade20kLayout,
};

export interface ExportOptions {
  layout: LayoutName;
  out: string;
  /** Train images (scene indices 0..count−1). */
  count: number;
  /** Test images (scene indices count..count+testCount−1). Default 0. */
  testCount?: number;
  width: number;
  height: number;
  seed: number;
  /** RGB samples per axis (default 2). */
  samples?: number;
  /** NYUD-MT flavour (default 'invpt'). */
  variant?: 'invpt' | 'mtinet';
  /** JPEG quality for layouts that store JPEG (default 95). */
  jpegQuality?: number;
  /** Worker threads rendering in parallel (default min(2, cores)); 1 renders on the calling thread. */
  workers?: number;
  /** Called after each item (done counts skipped ones too). */
  onProgress?: (p: { done: number; total: number; written: number; skipped: number }) => void;
}

export interface ExportSummary {
  total: number;
  written: number;
  skipped: number;
  seconds: number;
}

const SIDE = '.toyworld';

function sidecarPath(layout: LayoutName, item: ExportItem): string {
  return `${SIDE}/items/${layout}/${item.index}.json`;
}

/** The items of an export: train scenes 0..count−1, then test scenes count..count+testCount−1. */
export function exportItems(count: number, testCount: number): ExportItem[] {
  const items: ExportItem[] = [];
  for (let k = 0; k < count; k++) items.push({ split: 'train', ordinal: k, index: k });
  for (let k = 0; k < testCount; k++) items.push({ split: 'test', ordinal: k, index: count + k });
  return items;
}

function checkOptions(o: ExportOptions): Required<Omit<ExportOptions, 'onProgress'>> {
  if (!LAYOUT_NAMES.includes(o.layout)) throw new Diff2in1Error('toyworld', `--layout '${String(o.layout)}' is not valid; ${choices(LAYOUT_NAMES)}`);
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new Diff2in1Error('toyworld', `${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int(o.count, '--count', 0);
  int(o.testCount ?? 0, '--test-count', 0);
  int(o.width, 'width (--size WxH)', 1);
  int(o.height, 'height (--size WxH)', 1);
  int(o.seed, '--seed', 0);
  const variant = o.variant ?? 'invpt';
  if (variant !== 'invpt' && variant !== 'mtinet') throw new Diff2in1Error('toyworld', `--variant '${String(variant)}' is not valid; ${choices(['invpt', 'mtinet'])}`);
  const workers = o.workers ?? Math.max(1, Math.min(2, availableParallelism()));
  int(workers, '--workers', 1);
  return { layout: o.layout, out: o.out, count: o.count, testCount: o.testCount ?? 0, width: o.width, height: o.height, seed: o.seed, samples: o.samples ?? 2, variant, jpegQuality: o.jpegQuality ?? 95, workers };
}

/** Renders and writes one item (used inline and by the worker threads). */
export async function writeItem(layoutName: LayoutName, item: ExportItem, out: string, ctx: LayoutContext & { samples: number }): Promise<void> {
  const layout = LAYOUTS[layoutName];
  const img = toyImage(ctx.seed, item.index, { width: ctx.width, height: ctx.height, samples: ctx.samples });
  const { files, meta } = await layout.encode(item, img, ctx);
  await Promise.all([...files].map(([path, bytes]) => writeFileAtomic(join(out, path), bytes)));
  // The sidecar last: its presence (with all files) marks the item done.
  await writeFileAtomic(join(out, sidecarPath(layoutName, item)), JSON.stringify(meta) + '\n');
}

interface Pool {
  run(item: ExportItem): Promise<void>;
  close(): Promise<void>;
}

function workerPool(n: number, layout: LayoutName, out: string, ctx: LayoutContext & { samples: number }): Pool {
  const url = new URL('./export-worker.js', import.meta.url);
  const idle: Worker[] = [];
  const waiting: ((w: Worker) => void)[] = [];
  const all: Worker[] = [];
  for (let k = 0; k < n; k++) {
    const w = new Worker(url, { workerData: { layout, out, ctx } });
    all.push(w);
    idle.push(w);
  }
  const acquire = (): Promise<Worker> => new Promise((res) => { const w = idle.pop(); if (w) res(w); else waiting.push(res); });
  const release = (w: Worker): void => { const next = waiting.shift(); if (next) next(w); else idle.push(w); };
  return {
    async run(item) {
      const w = await acquire();
      try {
        await new Promise<void>((res, rej) => {
          const onMsg = (m: { ok: boolean; error?: string }): void => { cleanup(); if (m.ok) res(); else rej(new Diff2in1Error('toyworld', `item ${item.split} #${item.ordinal} (scene ${item.index}): ${m.error ?? 'failed'}`)); };
          const onErr = (e: Error): void => { cleanup(); rej(e); };
          const cleanup = (): void => { w.off('message', onMsg); w.off('error', onErr); };
          w.on('message', onMsg);
          w.on('error', onErr);
          w.postMessage(item);
        });
      } finally {
        release(w);
      }
    },
    async close() { await Promise.all(all.map((w) => w.terminate())); },
  };
}

/** Writes a dataset; see README.md for each layout's exact files. */
export async function exportDataset(opts: ExportOptions): Promise<ExportSummary> {
  const o = checkOptions(opts);
  const t0 = performance.now();
  const layout = LAYOUTS[o.layout];
  const ctx: LayoutContext & { samples: number } = { seed: o.seed, width: o.width, height: o.height, variant: o.variant, jpegQuality: o.jpegQuality, samples: o.samples };
  // The manifest pins everything that changes file contents.
  const manifest = { layout: o.layout, width: o.width, height: o.height, seed: o.seed, samples: o.samples, variant: o.layout === 'nyudmt' ? o.variant : undefined, jpegQuality: o.jpegQuality };
  const manifestPath = join(o.out, SIDE, `export-${o.layout}.json`);
  if (existsSync(manifestPath)) {
    const prev = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(manifest)) {
      if (prev[k] !== v) throw new Diff2in1Error('toyworld', `${o.out} holds a '${o.layout}' export made with ${k} = ${JSON.stringify(prev[k])}, not ${JSON.stringify(v)}; resume with the same options or choose another --out`, { file: manifestPath });
    }
  } else {
    await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  }
  const items = exportItems(o.count, o.testCount);
  const isDone = (it: ExportItem): boolean => existsSync(join(o.out, sidecarPath(o.layout, it))) && layout.files(it, ctx).every((f) => existsSync(join(o.out, f)));
  const todo = items.filter((it) => !isDone(it));
  let done = items.length - todo.length;
  let written = 0;
  const skipped = done;
  const report = (): void => opts.onProgress?.({ done, total: items.length, written, skipped });
  report();
  const nWorkers = Math.min(o.workers, todo.length);
  if (nWorkers <= 1) {
    for (const it of todo) { await writeItem(o.layout, it, o.out, ctx); done++; written++; report(); }
  } else {
    const pool = workerPool(nWorkers, o.layout, o.out, ctx);
    try {
      let next = 0;
      await Promise.all(Array.from({ length: nWorkers }, async () => {
        while (next < todo.length) {
          const it = todo[next++] as ExportItem;
          await pool.run(it);
          done++; written++; report();
        }
      }));
    } finally {
      await pool.close();
    }
  }
  const metas = items.map((it) => JSON.parse(readFileSync(join(o.out, sidecarPath(o.layout, it)), 'utf8')) as ItemMeta);
  for (const [path, data] of layout.finish(items, metas, ctx)) await writeFileAtomic(join(o.out, path), data);
  return { total: items.length, written, skipped, seconds: (performance.now() - t0) / 1000 };
}
