// The job machinery (files, seeds, shards, resume, merge, errors) on the deterministic test double
// (src/testing/sd-double.ts). The same properties on the real tiny SD, in a child process killed with SIGKILL,
// are in cli.test.ts.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFolder } from '@diff2in1/datasets';
import { readJsonl } from '@diff2in1/tensor';
import type { SynthesisJobOptions } from './job.js';
import { runSynthesisJob } from './job.js';
import type { ManifestRecord } from './manifest.js';
import { mergeManifest, partPath, readManifest, withoutTiming } from './manifest.js';
import { modelHash } from './model.js';
import { sampleSeed } from './shards.js';
import { SdTestDouble } from './testing/sd-double.js';
import { writeToyFolder } from './testing/toy-folder.js';

const root = mkdtempSync(join(tmpdir(), 'synthesis-job-'));
let data = '';
let ids: string[] = [];
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  data = join(root, 'data');
  ids = await writeToyFolder(data, { count: 5, width: 32, height: 24 });
});

const base = (out: string, extra: Partial<SynthesisJobOptions> = {}): SynthesisJobOptions => ({
  model: new SdTestDouble(), data, out, samplesPerImage: 2, T: 300, steps: 6, seed: 9, quiet: true, ...extra,
});

const manifestOf = (out: string) => readJsonl<ManifestRecord>(join(out, 'manifest.jsonl'));
const files = (dir: string) => readdirSync(join(dir, 'images')).filter((f) => !f.startsWith('.')).sort();
function sameImages(a: string, b: string): void {
  expect(files(a)).toEqual(files(b));
  for (const f of files(a)) expect(readFileSync(join(a, 'images', f)).equals(readFileSync(join(b, 'images', f))), f).toBe(true);
}

describe('runSynthesisJob (test double)', () => {
  let ref = '';
  it('writes a folder-format dataset: images/<src>_k<k>.png, manifest.jsonl in canonical order, captions, split', async () => {
    ref = join(root, 'ref');
    const s = await runSynthesisJob(base(ref));
    expect(s).toMatchObject({ items: 10, generated: 10, skipped: 0, merged: true, missing: 0 });
    const m = manifestOf(ref);
    expect(m.map((r) => r.id)).toEqual(ids.flatMap((id) => [`${id}_k0`, `${id}_k1`]));
    const captions = JSON.parse(readFileSync(join(data, 'captions.json'), 'utf8')) as Record<string, string>;
    const sd = new SdTestDouble();
    for (const r of m) {
      expect(r.caption).toBe(captions[r.source]);
      expect(r.seed).toBe(sampleSeed(9n, r.source, r.k).toString());
      expect(r).toMatchObject({ T: 300, strength: null, noiseTimestep: 300, steps: 6, stepsRun: 6, scheduler: 'ddim', eta: 0, guidanceScale: 1, latentMode: 'sample', jobSeed: '9', model: modelHash(sd), width: 32, height: 24 });
      expect(existsSync(join(ref, 'images', `${r.id}.png`))).toBe(true);
    }
    const ds = await openFolder(ref);
    expect(ds.ids).toEqual(m.map((r) => r.id));
    expect(ds.tasks).toEqual([]); // synthetic data carries no labels
    const sample = await ds.get(3);
    expect(sample.caption).toBe(m[3]!.caption);
    expect(sample.image.shape).toEqual([3, 24, 32]);
  });

  it('a second run skips every item and does not even load a model given by source', async () => {
    let loads = 0;
    const s = await runSynthesisJob(base(ref, { model: 'somewhere', loadModel: async () => { loads++; return new SdTestDouble(); } }));
    expect(s).toMatchObject({ generated: 0, skipped: 10, merged: true });
    expect(loads).toBe(0);
  });

  it('two shards run one after the other = one unsharded run (manifest up to timing, images byte for byte)', async () => {
    const out = join(root, 'sharded');
    const a = await runSynthesisJob(base(out, { shard: '1/2' }));
    expect(a).toMatchObject({ items: 5, generated: 5, merged: false, missing: 5 });
    expect(existsSync(join(out, 'manifest.jsonl'))).toBe(false);
    expect(readJsonl<ManifestRecord>(partPath(out, { index: 1, count: 2 })).map((r) => r.id)).toEqual(['toy_0000_k1', 'toy_0001_k1', 'toy_0002_k1', 'toy_0003_k1', 'toy_0004_k1']);
    const b = await runSynthesisJob(base(out, { shard: { index: 0, count: 2 } }));
    expect(b).toMatchObject({ items: 5, generated: 5, merged: true, missing: 0 });
    expect(manifestOf(out).map(withoutTiming)).toEqual(manifestOf(ref).map(withoutTiming));
    sameImages(out, ref);
    expect(readFileSync(join(out, 'captions.json'), 'utf8')).toBe(readFileSync(join(ref, 'captions.json'), 'utf8'));
    expect(readFileSync(join(out, 'splits', 'train.txt'), 'utf8')).toBe(readFileSync(join(ref, 'splits', 'train.txt'), 'utf8'));
  });

  it('resumes after a crash: lost image, torn manifest line, stale temp file, line without image', async () => {
    const out = join(root, 'crashed');
    await runSynthesisJob(base(out, { shard: '0/1', merge: false }));
    const part = partPath(out, { index: 0, count: 1 });
    const lines = readFileSync(part, 'utf8').trimEnd().split('\n');
    // State of a run killed at various points: the last 3 items never happened, item 6's line is torn,
    // item 5's image was written but its line was not, item 2's image is gone, a temp file of item 7 exists.
    writeFileSync(part, lines.slice(0, 5).join('\n') + '\n' + lines[6]!.slice(0, 40));
    for (const id of ['toy_0003_k1', 'toy_0004_k0', 'toy_0004_k1']) unlinkSync(join(out, 'images', `${id}.png`));
    unlinkSync(join(out, 'images', 'toy_0001_k0.png'));
    writeFileSync(join(out, 'images', '.toy_0003_k1.png.12345.1.tmp'), 'partial');
    writeFileSync(join(out, 'images', '.other_k0.png.12345.2.tmp'), 'not ours');
    const s = await runSynthesisJob(base(out));
    expect(s).toMatchObject({ generated: 6, skipped: 4, merged: true }); // items 2, 5, 6, 7, 8, 9 redone
    expect(manifestOf(out).map(withoutTiming)).toEqual(manifestOf(ref).map(withoutTiming));
    sameImages(out, ref);
    expect(existsSync(join(out, 'images', '.toy_0003_k1.png.12345.1.tmp'))).toBe(false);
    expect(existsSync(join(out, 'images', '.other_k0.png.12345.2.tmp'))).toBe(true); // not this shard's item: left alone
  });

  it('refuses to mix settings in one folder, naming what differs', async () => {
    await expect(runSynthesisJob(base(ref, { T: 600 }))).rejects.toThrow(/other settings \(T: 300 → 600\)/);
    await expect(runSynthesisJob(base(ref, { samplesPerImage: 3, seed: 1 }))).rejects.toThrow(/samplesPerImage: 2 → 3; seed: "9" → "1"/);
    await expect(runSynthesisJob(base(ref, { limit: 3 }))).rejects.toThrow(/source images: 5 listed in job.json, 3 now/);
    await expect(runSynthesisJob(base(join(root, 'x'), { T: 300, strength: 0.5 }))).rejects.toThrow(/either T .* or strength/);
  });

  // strength 0.5 of 6 steps: the leading schedule 831, 665, 499, 333, 167, 1 (stride 1000 // 6 = 166, offset 1) keeps
  // its last ⌊6·0.5⌋ = 3 steps, noised at 333 (diffusers img2img get_timesteps).
  it('captions: a missing caption is an error naming the image; prompt overrides captions; strength jobs', async () => {
    const bare = join(root, 'bare');
    await writeToyFolder(bare, { count: 2, width: 16, height: 16, captions: false });
    await expect(runSynthesisJob(base(join(root, 'bare-out'), { data: bare }))).rejects.toThrow(/source image 'toy_0000' has no caption/);
    const out = join(root, 'prompted');
    await runSynthesisJob(base(out, { data: bare, prompt: '', samplesPerImage: 1, strength: 0.5, T: undefined }));
    const m = manifestOf(out);
    expect(m.map((r) => [r.caption, r.T, r.strength, r.noiseTimestep, r.stepsRun])).toEqual([['', null, 0.5, 333, 3], ['', null, 0.5, 333, 3]]);
  });

  it('merge of an unfinished job lists what is missing; allowPartial merges what is there', async () => {
    const out = join(root, 'partial');
    await runSynthesisJob(base(out, { shard: '0/3' }));
    await expect(mergeManifest(out)).rejects.toThrow(/6 of 10 items are not finished \(toy_0000_k1, toy_0001_k0/);
    const r = await mergeManifest(out, { allowPartial: true });
    expect(r.records.map((x) => x.id)).toEqual(['toy_0000_k0', 'toy_0001_k1', 'toy_0003_k0', 'toy_0004_k1']);
    expect(readManifest(out).missing).toHaveLength(6);
  });
});
