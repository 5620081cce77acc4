// Where each stage's implementation comes from. To wire a model package in: add it to apps/diff2in1/package.json
// ("@diff2in1/<pkg>": "workspace:*") and tsconfig.json references, write stages/<stage>.ts exporting
// `async function run<Stage>(ctx: StageContext)` that calls the package, and list it below. A stage missing here
// fails with "stage '<name>' is not available yet: <package> has not landed".
import { STAGE_DEFINITIONS } from '../stage-definitions.js';
import type { StageName, StageRun } from '../stages.js';
import { StageRegistry } from '../stages.js';
import { runCaption } from './caption.js';
import { createDataStage } from './data.js';
import { runEval } from './eval.js';
import { runGenerate } from './generate.js';
import { runPredict } from './predict.js';
import { runReport } from './report.js';
import { runSelfImproveStage } from './self-improve.js';
import { runSynthesize } from './synthesize.js';
import { runWarmupStage } from './warmup.js';

export const IMPLEMENTATIONS: Partial<Record<StageName, StageRun>> = {
  data: createDataStage(),
  warmup: runWarmupStage,
  caption: runCaption,
  synthesize: runSynthesize,
  'self-improve': runSelfImproveStage,
  eval: runEval,
  report: runReport,
  predict: runPredict,
  generate: runGenerate,
};

/** The registry with every implementation that exists today. */
export function defaultRegistry(): StageRegistry {
  return new StageRegistry(STAGE_DEFINITIONS).with(IMPLEMENTATIONS);
}
