// The dataset implementation every reader shares: a list of SampleEntry (files resolved from a layout),
// existence checked once at open, decoding on demand, and one rule for bad input.
import { readFile } from 'node:fs/promises';
import type { ClassLabel, DenseLabel, Labels, TaskName } from '@diff2in1/tasks';
import { Diff2in1Error, convertChannels, rawToTensor, readRawImage } from '@diff2in1/tensor';
import type { BadInputOptions, Dataset, LabelLoader, Sample, SampleEntry, SkippedSample } from './sample.js';
import { datasetError, defaultOnSkip } from './sample.js';
import { pathExists } from './readers/common.js';

export interface FileDatasetInit {
  name: string;
  root: string;
  split: string;
  tasks: readonly TaskName[];
  classes?: Dataset['classes'];
  entries: SampleEntry[];
}

/** Runs f over items with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Reads an image file as RGB [3, H, W] in 0..1 (grey is replicated, alpha dropped — PIL's convert('RGB')). */
export async function readRgbTensor(path: string): Promise<ReturnType<typeof rawToTensor>> {
  const raw = await readRawImage(path);
  const rgb = raw.channels === 3 ? raw : convertChannels(raw, 3);
  return rawToTensor(rgb, { range: '0-1' });
}

function labelSize(l: DenseLabel | ClassLabel): [number, number] {
  return [l.valid.shape[0] as number, l.valid.shape[1] as number];
}

/** The Dataset every reader returns: entries resolved from a layout, files checked once at open, decoded on get(). */
export class FileDataset implements Dataset {
  readonly name: string;
  readonly root: string;
  readonly split: string;
  readonly tasks: readonly TaskName[];
  readonly classes: Dataset['classes'];
  readonly skipped: SkippedSample[];
  readonly entries: readonly SampleEntry[];
  readonly ids: readonly string[];

  private constructor(init: FileDatasetInit, entries: SampleEntry[], skipped: SkippedSample[]) {
    this.name = init.name;
    this.root = init.root;
    this.split = init.split;
    this.tasks = init.tasks;
    this.classes = init.classes ?? {};
    this.entries = entries;
    this.ids = entries.map((e) => e.id);
    this.skipped = skipped;
  }

  /** Checks that every file of every entry exists; a missing one throws (or, with skipBad, drops the sample). */
  static async open(init: FileDatasetInit, bad: BadInputOptions = {}): Promise<FileDataset> {
    const onSkip = bad.onSkip ?? defaultOnSkip;
    const missing = await mapLimit(init.entries, 32, async (e) => {
      for (const f of e.files) if (!(await pathExists(f))) return f;
      return undefined;
    });
    const kept: SampleEntry[] = [];
    const skipped: SkippedSample[] = [];
    init.entries.forEach((e, i) => {
      const f = missing[i];
      if (f === undefined) { kept.push(e); return; }
      if (!bad.skipBad) throw datasetError(`missing file for sample '${e.id}' of ${init.name} (${init.split})`, f);
      const s = { id: e.id, file: f, reason: 'missing file' };
      skipped.push(s);
      onSkip(s);
    });
    return new FileDataset(init, kept, skipped);
  }


  get length(): number {
    return this.entries.length;
  }

  async get(index: number): Promise<Sample> {
    const e = this.entries[index];
    if (e === undefined) throw new Diff2in1Error('dataset', `sample index ${index} out of range 0..${this.entries.length - 1} of ${this.name} (${this.split})`);
    const image = await readRgbTensor(e.image);
    const [h, w] = [image.shape[1] as number, image.shape[2] as number];
    const labels: Labels = {};
    for (const [task, src] of Object.entries(e.labels) as [TaskName, { file: string; load: LabelLoader }][]) {
      const label = await src.load([h, w]);
      const [lh, lw] = labelSize(label);
      if (lh !== h || lw !== w) {
        throw datasetError(`${task} label is ${lw}×${lh} but its image ${e.image} is ${w}×${h} (sample '${e.id}')`, src.file);
      }
      (labels as Record<string, DenseLabel | ClassLabel>)[task] = label;
    }
    const sample: Sample = { id: e.id, image, labels };
    if (typeof e.caption === 'string') sample.caption = e.caption;
    else if (e.caption !== undefined) {
      try {
        sample.caption = (await readFile(e.caption.file, 'utf8')).trim();
      } catch (err) {
        throw datasetError(`cannot read caption: ${(err as Error).message}`, e.caption.file, err);
      }
    }
    return sample;
  }
}

/** A dataset whose samples pass through `f` after loading (same ids, split and tasks). */
export function mapDataset(ds: Dataset, f: (s: Sample) => Sample | Promise<Sample>): Dataset {
  return {
    name: ds.name, root: ds.root, split: ds.split, tasks: ds.tasks, classes: ds.classes, skipped: ds.skipped,
    get ids() { return ds.ids; },
    get length() { return ds.length; },
    get: async (i: number) => f(await ds.get(i)),
  };
}
