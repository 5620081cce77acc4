// Test helper: a toyworld dataset in the folder format (images/, captions.json with the scene captions,
// splits/train.txt) — only what synthesis reads. Labels are left out: synthesis never reads them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePng } from '@diff2in1/tensor';
import { rgbToRaw, toyImage } from '@diff2in1/toyworld';

export async function writeToyFolder(root: string, opts: { count: number; width: number; height: number; seed?: number; captions?: boolean }): Promise<string[]> {
  const seed = opts.seed ?? 11;
  const ids: string[] = [];
  const captions: Record<string, string> = {};
  mkdirSync(join(root, 'splits'), { recursive: true });
  for (let i = 0; i < opts.count; i++) {
    const img = toyImage(seed, i, { width: opts.width, height: opts.height, samples: 1 });
    const id = `toy_${String(i).padStart(4, '0')}`;
    await writePng(join(root, 'images', `${id}.png`), rgbToRaw(img));
    captions[id] = img.caption;
    ids.push(id);
  }
  if (opts.captions ?? true) writeFileSync(join(root, 'captions.json'), JSON.stringify(captions));
  writeFileSync(join(root, 'splits', 'train.txt'), ids.join('\n') + '\n');
  return ids;
}
