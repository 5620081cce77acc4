// diff2in1 — the Diff-2-in-1 orchestrator: config schema and loader, run directory, stage registry, pipeline
// runner, report, CLI. Model packages plug their stages in through the registry (stages/implementations.ts).
export { configSchema, SECTIONS, TASKS, DATA_SOURCES, DEVICES, MODES } from './config/schema.js';
export type { ConfigSection, Diff2in1ConfigInput, ParsedConfig, Mode } from './config/schema.js';
export type { Diff2in1Config, CaptionerSpec } from './config/finalize.js';
export { finalizeConfig, parseCaptioner, CAPTIONER_KINDS } from './config/finalize.js';
export { loadConfig, readConfigFile, validateConfig, resolveConfigPath, listBuiltinConfigs, CONFIGS_DIR } from './config/load.js';
export type { LoadConfigOptions, LoadedConfig } from './config/load.js';
export { parseOverride, applyOverrides } from './config/overrides.js';
export { ConfigError, formatIssues, didYouMean, editDistance } from './config/errors.js';
export type { ConfigIssue } from './config/errors.js';
export { checkRunnable, findPlaceholders } from './config/runnable.js';
export { fields as configFields } from './config/introspect.js';
export { RunDir, RUN_FILES } from './run-dir.js';
export type { RunState, StageRecord, ArtifactRecord, StageStatus } from './run-dir.js';
export { acquireLock } from './lock.js';
export type { RunLock, LockInfo } from './lock.js';
export { recordMetrics, readMetrics } from './metrics.js';
export type { MetricsEntry, MetricsInput, MetricsFile, ModelRole } from './metrics.js';
export { writeGrid, readGrids } from './grids.js';
export type { GridManifest } from './grids.js';
export { TASK_METRICS, flattenMetrics, defaultColumns, primaryMetric } from './metric-columns.js';
export { StageRegistry, StageUnavailableError, STAGE_NAMES, ARTIFACTS, resolvePer } from './stages.js';
export type { StageName, StageContext, StageDefinition, StageRun, StageArgs, PerConfig } from './stages.js';
export { STAGE_DEFINITIONS, planPipeline } from './stage-definitions.js';
export { defaultRegistry, IMPLEMENTATIONS } from './stages/implementations.js';
export { runStages, stageStatus, stageFingerprint } from './pipeline.js';
export { generateReport, renderReport } from './report/index.js';
export { main, EXIT } from './cli/main.js';
