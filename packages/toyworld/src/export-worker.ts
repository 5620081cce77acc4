// Worker thread of `toyworld export`: renders and writes the items the main thread posts, one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import type { ExportItem, LayoutContext, LayoutName } from './layouts/common.js';
import { writeItem } from './export.js';

const { layout, out, ctx } = workerData as { layout: LayoutName; out: string; ctx: LayoutContext & { samples: number } };
parentPort?.on('message', (item: ExportItem) => {
  writeItem(layout, item, out, ctx).then(
    () => parentPort?.postMessage({ ok: true }),
    (e: unknown) => parentPort?.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
