// The task registry: one definition per task with its label codec, a streaming metric and a visualiser.
import type { RawImage, Tensor } from '@diff2in1/tensor';
import { Diff2in1Error, choices } from '@diff2in1/tensor';
import type { CodecOptions, NumericArray } from './codecs/array.js';
import type { ClassCodecOptions } from './codecs/classes.js';
import { decodeClassArray, decodeClassPng, encodeClassPng, ignoreIfNoParts } from './codecs/classes.js';
import type { DepthPngOptions } from './codecs/depth.js';
import { decodeDepthArray, decodeDepthPng, encodeDepthPng } from './codecs/depth.js';
import { decodeNormalsArray, decodeNormalsPng, encodeNormalsPng } from './codecs/normals.js';
import { decodeSaliencyArray, decodeSaliencyPng, encodeSaliencyPng } from './codecs/saliency.js';
import type { ClassLabel, DenseLabel } from './labels.js';
import type { DepthMetricOptions } from './metrics/depth.js';
import { DepthAccumulator } from './metrics/depth.js';
import type { NormalsMetricOptions } from './metrics/normals.js';
import { NormalsAccumulator } from './metrics/normals.js';
import type { SaliencyMetricOptions } from './metrics/saliency.js';
import { SaliencyAccumulator } from './metrics/saliency.js';
import type { SegmentationMetricOptions } from './metrics/segmentation.js';
import { SegmentationAccumulator } from './metrics/segmentation.js';
import type { DepthColourOptions } from './visualize/visualize.js';
import { classesToRgb, depthToRgb, normalsToRgb, saliencyToGrey } from './visualize/visualize.js';

export type TaskName = 'normals' | 'depth' | 'semseg' | 'parts' | 'saliency';
/** Every task, in the order readers and reports list them. */
export const TASK_NAMES: readonly TaskName[] = ['normals', 'depth', 'semseg', 'parts', 'saliency'];

/** Encode/decode between files' decoded contents (PNG pixels, .npy arrays) and labels. */
export interface LabelCodec<L, O> {
  decodePng(raw: RawImage, opts: O): L;
  decodeArray(arr: NumericArray, opts: O): L;
  encodePng(label: L, opts?: Partial<O>): RawImage;
}

export interface DenseTask<N extends TaskName, MO, M> {
  name: N;
  description: string;
  kind: 'dense';
  /** Channels of the label value. */
  channels: number;
  codec: LabelCodec<DenseLabel, N extends 'depth' ? DepthPngOptions : CodecOptions>;
  metric(opts?: MO): M;
  /** A picture of a label or prediction ([C, H, W] value, optional [H, W] valid mask). */
  visualize(value: Tensor, valid?: Tensor<'bool'>, opts?: N extends 'depth' ? DepthColourOptions : never): RawImage;
}

export interface ClassTask<N extends TaskName> {
  name: N;
  description: string;
  kind: 'classes';
  /** Default number of classes (parts: 7 = background + 6 PASCAL-Context parts); semseg depends on the dataset. */
  defaultNumClasses: number | undefined;
  codec: LabelCodec<ClassLabel, ClassCodecOptions>;
  metric(opts?: Partial<SegmentationMetricOptions>): SegmentationAccumulator;
  visualize(ids: Tensor, valid?: Tensor<'bool'>): RawImage;
}

export interface TaskRegistry {
  normals: DenseTask<'normals', NormalsMetricOptions, NormalsAccumulator>;
  depth: DenseTask<'depth', DepthMetricOptions, DepthAccumulator>;
  semseg: ClassTask<'semseg'>;
  parts: ClassTask<'parts'>;
  saliency: DenseTask<'saliency', SaliencyMetricOptions, SaliencyAccumulator>;
}
export type TaskDefinition = TaskRegistry[TaskName];

function classMetric(name: string, defaultNum: number | undefined) {
  return (opts: Partial<SegmentationMetricOptions> = {}): SegmentationAccumulator => {
    const numClasses = opts.numClasses ?? defaultNum;
    if (numClasses === undefined) {
      throw new Diff2in1Error('task', `${name} metric needs numClasses (NYUD-MT 40, PASCAL-Context 21, ADE20K 150)`);
    }
    return new SegmentationAccumulator({ ...opts, numClasses });
  };
}

/** Human parts in PASCAL-Context multi-task: background + head, torso, upper arm, lower arm, upper leg, lower leg. */
export const PARTS_NUM_CLASSES = 7;

/** The definition of every task (codec, metric, visualiser); getTask(name) looks one up with a clear error. */
export const tasks: TaskRegistry = {
  normals: {
    name: 'normals',
    description: 'surface normals, camera frame, [3, H, W]; metric: angular error (Bae et al.)',
    kind: 'dense',
    channels: 3,
    codec: { decodePng: decodeNormalsPng, decodeArray: decodeNormalsArray, encodePng: (l, o) => encodeNormalsPng(l, o) },
    metric: (opts) => new NormalsAccumulator(opts),
    visualize: (value, valid) => normalsToRgb(value, valid),
  },
  depth: {
    name: 'depth',
    description: 'depth in metres, [1, H, W]; metrics: RMSE, AbsRel, log10, δ (Eigen et al.)',
    kind: 'dense',
    channels: 1,
    codec: { decodePng: decodeDepthPng, decodeArray: decodeDepthArray, encodePng: (l, o) => encodeDepthPng(l, o) },
    metric: (opts) => new DepthAccumulator(opts),
    visualize: (value, valid, opts) => depthToRgb(value, valid, opts),
  },
  semseg: {
    name: 'semseg',
    description: 'semantic segmentation class ids [H, W], ignore 255; metric: mIoU',
    kind: 'classes',
    defaultNumClasses: undefined,
    codec: { decodePng: decodeClassPng, decodeArray: decodeClassArray, encodePng: (l, o) => encodeClassPng(l, o) },
    metric: classMetric('semseg', undefined),
    visualize: (ids, valid) => classesToRgb(ids, valid),
  },
  parts: {
    name: 'parts',
    description: 'human parts ids [H, W] (0 background, 1..6 parts), ignore 255; images without parts fully ignored (InvPT); metric: mIoU',
    kind: 'classes',
    defaultNumClasses: PARTS_NUM_CLASSES,
    codec: {
      decodePng: (raw, opts) => ignoreIfNoParts(decodeClassPng(raw, opts), opts.ignoreIndex),
      decodeArray: (arr, opts) => ignoreIfNoParts(decodeClassArray(arr, opts), opts.ignoreIndex),
      encodePng: (l, o) => encodeClassPng(l, o),
    },
    metric: classMetric('parts', PARTS_NUM_CLASSES),
    visualize: (ids, valid) => classesToRgb(ids, valid),
  },
  saliency: {
    name: 'saliency',
    description: 'binary saliency [1, H, W]; metric: maxF (ATRC / InvPT)',
    kind: 'dense',
    channels: 1,
    codec: { decodePng: decodeSaliencyPng, decodeArray: decodeSaliencyArray, encodePng: (l, o) => encodeSaliencyPng(l, o) },
    metric: (opts) => new SaliencyAccumulator(opts),
    visualize: (value, valid) => saliencyToGrey(value, valid),
  },
};

/** True if `x` is one of TASK_NAMES. */
export function isTaskName(x: unknown): x is TaskName {
  return typeof x === 'string' && (TASK_NAMES as readonly string[]).includes(x);
}

/** The definition of a task; an unknown name is an error listing the valid ones. */
export function getTask<N extends TaskName>(name: N): TaskRegistry[N];
export function getTask(name: string): TaskDefinition;
export function getTask(name: string): TaskDefinition {
  if (!isTaskName(name)) throw new Diff2in1Error('task', `unknown task '${name}'; ${choices(TASK_NAMES)}`);
  return tasks[name];
}
