import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../config/load.js';
import { runStages } from '../pipeline.js';
import { RunDir } from '../run-dir.js';
import { STAGE_DEFINITIONS } from '../stage-definitions.js';
import { StageRegistry } from '../stages.js';
import { createDataStage, openRunDataset, readDataManifest } from './data.js';

const registry = (): StageRegistry => new StageRegistry(STAGE_DEFINITIONS).with({ data: createDataStage({ workers: 1 }) });
const tiny = { data: { imageSize: { height: 32, width: 32 }, counts: { train: 4, test: 2 } } };

describe('data stage', () => {
  it('renders toyworld into the run directory and writes a manifest the later stages open', async () => {
    const root = mkdtempSync(join(tmpdir(), 'data-'));
    const config = validateConfig(tiny, { runDir: root });
    const runDir = RunDir.create(root);
    await runStages({ registry: registry(), runDir, config, stages: ['data'], quiet: true });
    const m = readDataManifest(root);
    expect(m).toMatchObject({ source: 'toyworld', reader: 'folder', root: 'data/toyworld', tasks: ['normals'] });
    expect([m.splits.train.count, m.splits.test.count]).toEqual([4, 2]);
    expect(new Set([...m.splits.train.ids, ...m.splits.test.ids]).size).toBe(6);
    const test = await openRunDataset(root, 'test');
    expect(test.ids).toEqual(m.splits.test.ids);
    const s = await test.get(0);
    expect(s.image.shape).toEqual([3, 32, 32]);
    expect(s.labels.normals?.value.shape).toEqual([3, 32, 32]);
    expect(typeof s.caption).toBe('string'); // toyworld's scene caption
    expect(runDir.readState().stages['data']!.status).toBe('complete');

    // The same dataset read as an external folder: counts are checked against the config.
    const other = mkdtempSync(join(tmpdir(), 'data-'));
    const ok = validateConfig({ data: { source: 'folder', path: join(root, 'data/toyworld'), counts: { train: 4, test: 2 } } }, { runDir: other });
    await runStages({ registry: registry(), runDir: RunDir.create(other), config: ok, stages: ['data'], quiet: true });
    expect(readDataManifest(other).root).toBe(join(root, 'data/toyworld'));
    expect(existsSync(join(other, 'data/toyworld'))).toBe(false);
    const bad = validateConfig({ data: { source: 'folder', path: join(root, 'data/toyworld'), counts: { train: 5, test: 2 } } }, { runDir: other });
    await expect(runStages({ registry: registry(), runDir: RunDir.create(other), config: bad, stages: ['data'], quiet: true })).rejects.toThrow(
      `data.counts.train: expected 5 images in the 'train' split of ${join(root, 'data/toyworld')}, found 4`,
    );
  });
});
