// The report stage, implemented by this app.
import { generateReport } from '../report/index.js';
import type { StageContext } from '../stages.js';

export async function runReport(ctx: StageContext): Promise<void> {
  const path = generateReport(ctx.runDir.root, { grids: ctx.config.report.grids, images: ctx.config.report.images, metrics: ctx.config.eval.metrics });
  ctx.info(`report: ${path}`);
}
