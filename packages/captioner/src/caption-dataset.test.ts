import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePng } from '@diff2in1/tensor';
import { captionDataset } from './caption-dataset.js';
import type { CaptionOptions, Captioner, ImageInput } from './captioner.js';
import { captionHash, loadCaptionsState, metaPathFor, provenance } from './captions-file.js';
import { sceneCaptioner } from './scene-captioner.js';

/** A captioner whose caption is a function of the image's pixels (so tests see real image reads). */
function pixelCaptioner(id = 'pixels', failAfter = Infinity): Captioner & { calls: number; seen: string[] } {
  let captioned = 0;
  const c = {
    id,
    calls: 0,
    seen: [] as string[],
    async caption(images: readonly ImageInput[], opts?: CaptionOptions): Promise<string[]> {
      c.calls++;
      const { loadRgb8 } = await import('./captioner.js');
      const out: string[] = [];
      for (const [i, image] of images.entries()) {
        if (captioned >= failAfter) throw new Error('killed');
        const raw = await loadRgb8(image);
        c.seen.push(opts?.ids?.[i] ?? basename(String(image), extname(String(image))));
        out.push(`rgb ${raw.data[0]} ${raw.data[1]} ${raw.data[2]}`);
        captioned++;
      }
      return out;
    },
    async dispose(): Promise<void> {},
  };
  return c;
}

async function makeDataset(n: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cap-ds-'));
  mkdirSync(join(dir, 'images'));
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(4, '0');
    await writePng(join(dir, 'images', `${id}.png`), { width: 2, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array([i, 2 * i, 3 * i, 0, 0, 0]) });
  }
  writeFileSync(join(dir, 'images', 'notes.txt'), 'not an image');
  return dir;
}

describe('captionDataset', () => {
  it('captions every image, writes captions.json + meta, and a second run skips everything', async () => {
    const dir = await makeDataset(5);
    const cap = pixelCaptioner();
    const progress: number[] = [];
    const r = await captionDataset({ dir, captioner: cap, flushEvery: 2, onProgress: (p) => progress.push(p.done) });
    expect(r.captioned).toBe(5);
    expect(r.captions['0003']).toBe('rgb 3 6 9');
    expect(cap.calls).toBe(3); // batches of 2, 2, 1
    expect(progress).toEqual([0, 2, 4, 5]);
    const onDisk = JSON.parse(readFileSync(join(dir, 'captions.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(onDisk)).toEqual(['0000', '0001', '0002', '0003', '0004']);
    expect(onDisk['0004']).toBe('rgb 4 8 12');
    const meta = JSON.parse(readFileSync(join(dir, 'captions.meta.json'), 'utf8')) as { captions: Record<string, { captioner: string; sha1: string }> };
    expect(meta.captions['0002']).toEqual({ captioner: 'pixels', sha1: captionHash('rgb 2 4 6') });

    const again = pixelCaptioner();
    const r2 = await captionDataset({ dir, captioner: again });
    expect(again.calls).toBe(0);
    expect(r2.skipped).toBe(5);
    expect(r2.captions).toEqual(r.captions);
  });

  it('a run killed mid-way keeps every flushed caption, and resuming equals an uninterrupted run byte for byte', async () => {
    const ref = await makeDataset(7);
    await captionDataset({ dir: ref, captioner: pixelCaptioner(), flushEvery: 3 });

    const dir = await makeDataset(7);
    await expect(captionDataset({ dir, captioner: pixelCaptioner('pixels', 4), flushEvery: 3 })).rejects.toThrow('killed');
    const partial = loadCaptionsState(join(dir, 'captions.json'));
    expect([...partial.captions.keys()]).toEqual(['0000', '0001', '0002']); // the second batch never got written
    const resumed = pixelCaptioner();
    const r = await captionDataset({ dir, captioner: resumed, flushEvery: 3 });
    expect(r.skipped).toBe(3);
    expect(resumed.seen).toEqual(['0003', '0004', '0005', '0006']);
    for (const f of ['captions.json', 'captions.meta.json']) {
      expect(readFileSync(join(dir, f), 'utf8')).toBe(readFileSync(join(ref, f), 'utf8'));
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to mix captioners unless replace is set, and records the new provenance', async () => {
    const dir = await makeDataset(3);
    writeFileSync(join(dir, 'captions.json'), JSON.stringify({ '0000': 'a room with a red box', '0001': 'a room with a cone' }));
    // captions without meta came with the dataset: the scene captioner sees them as its own
    const scene = await captionDataset({ dir, captioner: sceneCaptioner(dir), ids: ['0000', '0001'] });
    expect(scene.skipped).toBe(2);
    expect(existsSync(metaPathFor(join(dir, 'captions.json')))).toBe(false);

    await expect(captionDataset({ dir, captioner: pixelCaptioner() })).rejects.toThrow(/2 of the requested ids already have captions from another captioner, e.g. 0000 \(by 'scene'\).*replace: true/);
    const r = await captionDataset({ dir, captioner: pixelCaptioner(), replace: true });
    expect(r.captioned).toBe(3);
    const state = loadCaptionsState(join(dir, 'captions.json'));
    expect(provenance(state, '0001')).toBe('pixels');
    expect(state.captions.get('0001')).toBe('rgb 1 2 3');
  });

  it('a meta record whose hash does not match the caption (kill between the two renames) is not trusted', async () => {
    const dir = await makeDataset(1);
    const file = join(dir, 'captions.json');
    writeFileSync(file, JSON.stringify({ '0000': 'old scene caption' }));
    writeFileSync(metaPathFor(file), JSON.stringify({ format: 'diff2in1-captions-meta/1', captions: { '0000': { captioner: 'pixels', sha1: captionHash('rgb 0 0 0') } } }));
    expect(provenance(loadCaptionsState(file), '0000')).toBe('scene');
    const cap = pixelCaptioner();
    await expect(captionDataset({ dir, captioner: cap })).rejects.toThrow(/by 'scene'/);
    await captionDataset({ dir, captioner: cap, replace: true });
    expect(provenance(loadCaptionsState(file), '0000')).toBe('pixels');
  });

  it('errors name the missing image, a broken captions.json, and a bad flushEvery', async () => {
    const dir = await makeDataset(2);
    await expect(captionDataset({ dir, captioner: pixelCaptioner(), ids: ['0000', '0042'] })).rejects.toThrow(/no image for id "0042" \(looked for 0042.png, 0042.jpg, 0042.jpeg\)/);
    writeFileSync(join(dir, 'captions.json'), '[1, 2]');
    await expect(captionDataset({ dir, captioner: pixelCaptioner() })).rejects.toThrow(/must be a JSON object mapping image ids/);
    writeFileSync(join(dir, 'captions.json'), '{"a": ');
    await expect(captionDataset({ dir, captioner: pixelCaptioner() })).rejects.toThrow(/captions.json: not valid JSON/);
    await expect(captionDataset({ dir, captioner: pixelCaptioner(), flushEvery: 0 })).rejects.toThrow(/flushEvery must be a positive integer/);
    await expect(captionDataset({ dir: join(dir, 'nope'), captioner: pixelCaptioner() })).rejects.toThrow(/cannot list the dataset's images folder/);
  });

  it('uses a custom cacheFile and imagePath', async () => {
    const dir = await makeDataset(2);
    const cacheFile = join(dir, 'gen', 'blip.json');
    const r = await captionDataset({ dir, captioner: pixelCaptioner(), cacheFile, ids: ['x'], imagePath: () => join(dir, 'images', '0001.png') });
    expect(r.captions).toEqual({ x: 'rgb 1 2 3' });
    expect(JSON.parse(readFileSync(cacheFile, 'utf8'))).toEqual({ x: 'rgb 1 2 3' });
    expect(existsSync(join(dir, 'gen', 'blip.meta.json'))).toBe(true);
    expect(existsSync(join(dir, 'captions.json'))).toBe(false);
  });
});
