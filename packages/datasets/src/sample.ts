// The one sample shape every reader returns, the dataset interface, and bad-input handling.
import type { ClassLabel, DenseLabel, Labels, TaskName } from '@diff2in1/tasks';
import type { Tensor } from '@diff2in1/tensor';
import { Diff2in1Error } from '@diff2in1/tensor';

/** One image with its labels. */
export interface Sample {
  id: string;
  /** RGB [3, H, W] in 0..1. */
  image: Tensor<'float32'>;
  labels: Labels;
  caption?: string;
}

/** A sample that was left out, and why. */
export interface SkippedSample {
  id: string;
  /** The file at fault, when known. */
  file: string | undefined;
  reason: string;
}

/** How a reader treats bad input (missing files, size mismatches, corrupt files, out-of-range labels). */
export interface BadInputOptions {
  /** false (default): throw a Diff2in1Error naming the file. true: skip the sample and report it via onSkip. */
  skipBad?: boolean;
  /** Called for every skipped sample (default: one line on stderr). */
  onSkip?: (s: SkippedSample) => void;
}

/** The default onSkip: one line on stderr naming the sample, the file and the reason. */
export function defaultOnSkip(s: SkippedSample): void {
  process.stderr.write(`diff2in1: skipping sample '${s.id}'${s.file ? ` (${s.file})` : ''}: ${s.reason}\n`);
}

/** A dataset split: a list of ids and an async loader. */
export interface Dataset {
  /** Reader name, e.g. 'folder', 'nyuv2', 'nyudmt', 'pascal-context', 'ade20k'. */
  readonly name: string;
  readonly root: string;
  readonly split: string;
  readonly ids: readonly string[];
  /** Labels every sample carries. */
  readonly tasks: readonly TaskName[];
  /** Class names per class task, where the layout defines them. */
  readonly classes: Partial<Record<'semseg' | 'parts', { names: readonly string[]; ignoreIndex: number }>>;
  /** Samples dropped while opening (only with skipBad). */
  readonly skipped: readonly SkippedSample[];
  readonly length: number;
  /** Loads sample `index` (0 ≤ index < length); bad input throws a Diff2in1Error naming the file. */
  get(index: number): Promise<Sample>;
}

/** Decodes one label file; gets the sample's image size [H, W] (for labels that may have no pixels of their own). */
export type LabelLoader = (imageSize: readonly [number, number]) => Promise<DenseLabel | ClassLabel>;

/** One sample as files on disk: what a reader resolves from its layout before anything is decoded. */
export interface SampleEntry {
  id: string;
  image: string;
  labels: Partial<Record<TaskName, { file: string; load: LabelLoader }>>;
  caption?: string | { file: string };
  /** Every file this sample needs (checked for existence when the dataset opens). */
  files: string[];
}

/** The error a reader throws for input it cannot use. */
export function datasetError(message: string, file?: string, cause?: unknown): Diff2in1Error {
  return new Diff2in1Error('dataset', message, { ...(file === undefined ? {} : { file }), ...(cause === undefined ? {} : { cause }) });
}
