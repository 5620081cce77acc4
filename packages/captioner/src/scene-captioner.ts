// Ground-truth captions: looked up by image id in a dataset's captions.json (toyworld's exporter writes one, e.g.
// "a room with a red box, a blue sphere and a green cylinder").
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { CaptionOptions, Captioner, ImageInput } from './captioner.js';
import { checkIds, imageId } from './captioner.js';
import { readCaptionsJson } from './captions-file.js';

/** `source` is a captions.json file or a dataset folder holding one. */
export function sceneCaptioner(source: string): Captioner {
  let file = source;
  try {
    if (statSync(source).isDirectory()) file = join(source, 'captions.json');
  } catch {
    // reported below when the file is read
  }
  let table: Map<string, string> | undefined;
  const load = (): Map<string, string> => {
    if (table) return table;
    const read = readCaptionsJson(file);
    if (read === undefined) {
      throw new Diff2in1Error('captioner', 'scene captioner: no captions.json here; it needs the dataset\'s ground-truth captions (toyworld export writes them)', { file });
    }
    table = read;
    return table;
  };
  return {
    id: 'scene',
    async caption(images: readonly ImageInput[], opts?: CaptionOptions): Promise<string[]> {
      checkIds(images, opts, 'scene');
      const captions = load();
      return images.map((image, i) => {
        const id = imageId(image, i, opts);
        if (id === undefined) {
          throw new Diff2in1Error('captioner', `scene captioner: image ${i} is raw pixels without an id; pass opts.ids (one dataset id per image)`);
        }
        const caption = captions.get(id);
        if (caption === undefined) {
          throw new Diff2in1Error('captioner', `scene captioner: no caption for id "${id}" (captions.json has ${captions.size} ids)`, { file });
        }
        return caption;
      });
    },
    async dispose(): Promise<void> {
      table = undefined;
    },
  };
}
