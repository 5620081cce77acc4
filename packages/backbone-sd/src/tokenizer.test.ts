import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Diff2in1Error } from '@diff2in1/tensor';
import { parseCLIPTokenizerSettings } from './configs/clip-tokenizer.js';
import { sd15 } from './configs/sd15.js';
import { ClipTokenizer, loadClipTokenizer, parseMergesTxt, parseVocabJson } from './tokenizer.js';

const fixture = (rel: string): string => fileURLToPath(new URL(`./fixtures/${rel}`, import.meta.url));
// Token ids from openai/CLIP's simple_tokenizer.py over the same merges (tools/golden/backbone/clip_bpe.py).
const golden = JSON.parse(readFileSync(fixture('golden/tokenizer.json'), 'utf8')) as {
  prompts: string[];
  vocabularies: Record<string, number[][]>;
};
const scratch = mkdtempSync(join(tmpdir(), 'backbone-sd-tok-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function bpeFolder(vocabDir: string): ClipTokenizer {
  const vocab = parseVocabJson(readFileSync(join(vocabDir, 'vocab.json'), 'utf8'));
  const merges = parseMergesTxt(readFileSync(join(vocabDir, 'merges.txt'), 'utf8'));
  return new ClipTokenizer({ vocab, merges }, sd15.tokenizer);
}

describe('CLIP tokenizer parity with openai/CLIP', () => {
  const tokenizers: Record<string, ClipTokenizer> = {
    'tiny-sd/tokenizer': loadClipTokenizer(fixture('tiny-sd/tokenizer')),
    'clip-bpe-10k': bpeFolder(fixture('clip-bpe-10k')),
  };
  for (const [vocab, ids] of Object.entries(golden.vocabularies)) {
    it(`gives openai's ids on awkward prompts (${vocab})`, () => {
      const tok = tokenizers[vocab] as ClipTokenizer;
      expect(ids.length).toBe(golden.prompts.length);
      golden.prompts.forEach((p, i) => expect(tok.promptIds(p), JSON.stringify(p)).toEqual(ids[i]));
    });
  }

  it('agrees with the real CLIP vocabulary where the truncated one keeps its tokens', () => {
    // "a photo of a cat" is 320 1125 539 320 2368 in SD v1-5's tokenizer; the 10k vocabulary keeps those ids.
    const tok = tokenizers['clip-bpe-10k'] as ClipTokenizer;
    expect(tok.encode('a photo of a cat')).toEqual([10512, 320, 1125, 539, 320, 2368, 10513]);
  });

  it('pads with the pad token and truncates to 75 tokens between BOS and EOS', () => {
    const tok = tokenizers['tiny-sd/tokenizer'] as ClipTokenizer;
    expect(tok.maxLength).toBe(77);
    expect(tok.padId).toBe(tok.eosId);
    const long = tok.promptIds(Array(100).fill('a').join(' '));
    expect(long.length).toBe(77);
    expect(long[0]).toBe(tok.bosId);
    expect(long[76]).toBe(tok.eosId);
    expect(long.slice(1, 76).every((x) => x === 320)).toBe(true);
    const t = tok.encodePromptIds(['', 'a photo of a cat']);
    expect(t.dtype).toBe('int64');
    expect(t.shape).toEqual([2, 77]);
    expect(Number(t.data[77])).toBe(tok.bosId);
    expect(Number(t.data[76])).toBe(tok.eosId);
    // "</w>" becomes a space, then transformers' clean_up_tokenization joins " !" (as HF's CLIPTokenizer.decode).
    expect(tok.decode(tok.promptIds('A Photo of a CAT!'))).toBe('a photo of a cat!');
  });
});

describe('tokenizer files', () => {
  it('reads merges.txt as transformers does (header line skipped)', () => {
    expect(parseMergesTxt('#version: 0.2\ni n\nt h</w>\n')).toEqual([['i', 'n'], ['t', 'h</w>']]);
    expect(() => parseMergesTxt('#version: 0.2\nabc\n', 'm.txt')).toThrow(/m\.txt: line 2: expected "left right"/);
    expect(() => parseVocabJson('{"a": -1}', 'v.json')).toThrow(/v\.json: entry "a" has id -1/);
  });

  it('refuses a vocabulary and merges that do not belong together, naming the file', () => {
    const vocab = parseVocabJson(readFileSync(fixture('tiny-sd/tokenizer/vocab.json'), 'utf8'));
    const merges = parseMergesTxt(readFileSync(fixture('clip-bpe-10k/merges.txt'), 'utf8'));
    expect(() => new ClipTokenizer({ vocab, merges }, sd15.tokenizer)).toThrow(/merge 1001 .* which vocab\.json lacks/);
    const settings = parseCLIPTokenizerSettings({ pad_token: '<|pad|>' });
    let err: unknown;
    try {
      new ClipTokenizer({ vocab, merges: [] }, settings);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Diff2in1Error);
    expect((err as Error).message).toContain('pad_token "<|pad|>" is not in vocab.json');
  });

  it('names a missing tokenizer file', () => {
    writeFileSync(join(scratch, 'vocab.json'), '{}');
    expect(() => loadClipTokenizer(scratch)).toThrow(/merges\.txt: cannot read the CLIP merges \(ENOENT\)/);
  });
});
