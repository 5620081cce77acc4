import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../config/load.js';
import { runStages } from '../pipeline.js';
import { RunDir } from '../run-dir.js';
import { STAGE_DEFINITIONS } from '../stage-definitions.js';
import { StageRegistry } from '../stages.js';
import { CAPTIONS_FILE, runCaption } from './caption.js';
import { createDataStage, readDataManifest } from './data.js';

const registry = (): StageRegistry => new StageRegistry(STAGE_DEFINITIONS).with({ data: createDataStage({ workers: 1 }), caption: runCaption });
const tiny = (captioner: string) => ({ data: { imageSize: { height: 32, width: 32 }, counts: { train: 5, test: 2 } }, caption: { captioner, batchSize: 2 } });
const readJson = (p: string): Record<string, unknown> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

describe('caption stage', () => {
  it("captions the train split: 'scene' = toyworld's own captions.json, then a config change re-captions with the new captioner", async () => {
    const root = mkdtempSync(join(tmpdir(), 'caption-'));
    const runDir = RunDir.create(root);
    await runStages({ registry: registry(), runDir, config: validateConfig(tiny('scene'), { runDir: root }), stages: ['data', 'caption'], quiet: true });
    const ids = readDataManifest(root).splits.train.ids;
    const truth = readJson(join(root, 'data/toyworld/captions.json')); // written by the toyworld exporter
    const got = readJson(join(root, CAPTIONS_FILE));
    expect(Object.keys(got).sort()).toEqual([...ids].sort()); // train ids only, no test ids
    for (const id of ids) {
      expect(got[id]).toBe(truth[id]);
      expect(String(got[id])).toMatch(/^a room with /);
    }
    const meta = readJson(join(root, 'captions/captions.meta.json')) as { captions: Record<string, { captioner: string }> };
    expect(Object.values(meta.captions).every((r) => r.captioner === 'scene')).toBe(true);

    // Another captioner: a new fingerprint, captions/ starts over (no "captioned by another captioner" conflict).
    await runStages({ registry: registry(), runDir, config: validateConfig(tiny('template:a toy room'), { runDir: root }), stages: ['caption'], quiet: true });
    const again = readJson(join(root, CAPTIONS_FILE));
    expect(Object.values(again)).toEqual(ids.map(() => 'a toy room'));
    expect(runDir.readState().stages['caption']!.status).toBe('complete');
  });

  it("'dataset' reads the captions the reader attaches; a missing model folder is an error naming it", async () => {
    const root = mkdtempSync(join(tmpdir(), 'caption-'));
    const runDir = RunDir.create(root);
    await runStages({ registry: registry(), runDir, config: validateConfig(tiny('dataset'), { runDir: root }), stages: ['data', 'caption'], quiet: true });
    const truth = readJson(join(root, 'data/toyworld/captions.json'));
    const got = readJson(join(root, CAPTIONS_FILE));
    for (const [id, c] of Object.entries(got)) expect(c).toBe(truth[id]);

    const missing = join(root, 'no-such-model');
    await expect(
      runStages({ registry: registry(), runDir, config: validateConfig(tiny(`transformers:${missing}`), { runDir: root }), stages: ['caption'], quiet: true }),
    ).rejects.toThrow(/model folder not found/);
    expect(existsSync(join(root, CAPTIONS_FILE))).toBe(false);
    expect(runDir.readState().stages['caption']!.status).toBe('failed');
  });
});
