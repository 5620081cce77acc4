// Captioners that look at no pixels: `none` (the empty prompt — the paper's "None" row in Table A) and `template`
// (one fixed text for every image).
import { Diff2in1Error } from '@diff2in1/tensor';
import type { CaptionOptions, Captioner, ImageInput } from './captioner.js';
import { checkIds } from './captioner.js';

/** Every caption is the empty string: unconditional generation (paper appendix B, Table A, "None"). */
export function noneCaptioner(): Captioner {
  return {
    id: 'none',
    async caption(images: readonly ImageInput[], opts?: CaptionOptions): Promise<string[]> {
      checkIds(images, opts, 'none');
      return images.map(() => '');
    },
    async dispose(): Promise<void> {},
  };
}

/** Every caption is `text`. */
export function templateCaptioner(text: string): Captioner {
  if (typeof text !== 'string') throw new Diff2in1Error('captioner', `template captioner needs a text, got ${typeof text}`);
  return {
    id: `template:${text}`,
    async caption(images: readonly ImageInput[], opts?: CaptionOptions): Promise<string[]> {
      checkIds(images, opts, 'template');
      return images.map(() => text);
    },
    async dispose(): Promise<void> {},
  };
}
