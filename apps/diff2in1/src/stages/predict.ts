// `diff2in1 predict`: your images → task labels with a trained model (θC by default, --model warmup | exploitation).
// Each image is stretched to data.imageSize (the size the model was trained at), goes through the frozen SD
// features, the adapter and the head, and its prediction is brought back to the image's own size. Written to --out:
//   <name>-<task>.png       the label file in the dataset convention (@diff2in1/tasks codecs; normals: rgb/255·2−1)
//   <name>-<task>-vis.png   input | prediction side by side (the task's visualisation, at the model's size)
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Dataset, Sample } from '@diff2in1/datasets';
import { readRgbTensor, resizeSample } from '@diff2in1/datasets';
import type { DenseLabel, Labels, TaskName } from '@diff2in1/tasks';
import { allValid, getTask } from '@diff2in1/tasks';
import type { RawImage } from '@diff2in1/tensor';
import { Diff2in1Error, Tensor, writePng } from '@diff2in1/tensor';
import { predictModel } from '../stage-definitions.js';
import type { StageContext } from '../stages.js';
import { openBackbone } from './backbone.js';
import { Inference, inputImage, loadWeights, predictionValue, stem, visualize } from './inference.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

/** Image files of --input: files as given, folders' PNG/JPEG files sorted by name. */
export function listInputs(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new Diff2in1Error('usage', `--input: ${p} does not exist`);
    }
    if (st.isDirectory()) {
      const files = readdirSync(p).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort().map((f) => join(p, f));
      if (!files.length) throw new Diff2in1Error('usage', `--input: the folder ${p} holds no .png / .jpg / .jpeg images`);
      out.push(...files);
    } else if (IMAGE_EXT.has(extname(p).toLowerCase())) out.push(p);
    else throw new Diff2in1Error('usage', `--input: ${p} is not a .png / .jpg / .jpeg image`);
  }
  const names = out.map((f) => stem(basename(f, extname(f))));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Diff2in1Error('usage', `--input: two images are named '${dup}'; their outputs would collide`);
  return out;
}

/** A dataset over image files (no labels), each stretched to `size`; `original` records each file's own size. */
function filesDataset(files: readonly string[], size: readonly [number, number], original: Map<string, [number, number]>): Dataset {
  const ids = files.map((f) => stem(basename(f, extname(f))));
  return {
    name: 'predict', root: '', split: 'input', ids, tasks: [], classes: {}, skipped: [], length: files.length,
    async get(i: number): Promise<Sample> {
      const image = await readRgbTensor(files[i]!);
      original.set(ids[i]!, [image.shape[1]!, image.shape[2]!]);
      const s: Sample = { id: ids[i]!, image, labels: {} };
      return image.shape[1] === size[0] && image.shape[2] === size[1] ? s : resizeSample(s, size, 'official');
    },
  };
}

/** Two RGB images of one height side by side. */
export function sideBySide(a: RawImage, b: RawImage): RawImage {
  if (a.height !== b.height || a.channels !== 3 || b.channels !== 3 || a.bitDepth !== 8 || b.bitDepth !== 8) {
    throw new Diff2in1Error('image', 'sideBySide needs two 8-bit RGB images of one height');
  }
  const w = a.width + b.width;
  const data = new Uint8Array(w * a.height * 3);
  for (let y = 0; y < a.height; y++) {
    data.set(a.data.subarray(y * a.width * 3, (y + 1) * a.width * 3), y * w * 3);
    data.set(b.data.subarray(y * b.width * 3, (y + 1) * b.width * 3), (y * w + a.width) * 3);
  }
  return { width: w, height: a.height, channels: 3, bitDepth: 8, data };
}

/** A prediction value as a label of `task`, at [h, w] (bilinear for dense tasks, nearest for classes; normals re-normalised). */
export function labelAtSize(task: TaskName, value: Tensor, size: readonly [number, number]): Labels[TaskName] {
  const [h, w] = value.shape.slice(-2) as [number, number];
  const label = { value, valid: allValid(h, w) };
  if (h === size[0] && w === size[1]) return label as Labels[TaskName];
  const s: Sample = { id: 'x', image: new Tensor('float32', [3, h, w]), labels: { [task]: label } as Labels };
  const l = resizeSample(s, size, 'official').labels[task]!;
  if (task === 'normals') {
    const v = (l as DenseLabel).value;
    const n = size[0] * size[1];
    for (let p = 0; p < n; p++) {
      const x = v.data[p]!, y = v.data[n + p]!, z = v.data[2 * n + p]!;
      const r = Math.hypot(x, y, z) || 1;
      v.data[p] = x / r;
      v.data[n + p] = y / r;
      v.data[2 * n + p] = z / r;
    }
  }
  return l;
}

export async function runPredict(ctx: StageContext): Promise<void> {
  const { config } = ctx;
  const role = predictModel(ctx.args);
  const inputs = ctx.args['input'];
  const files = listInputs(Array.isArray(inputs) ? (inputs as string[]) : typeof inputs === 'string' ? [inputs] : []);
  const out = typeof ctx.args['out'] === 'string' ? ctx.args['out'] : ctx.path('predictions');
  const state = loadWeights(ctx, role);
  const size = [config.data.imageSize.height, config.data.imageSize.width] as const;
  const original = new Map<string, [number, number]>();
  const ds = filesDataset(files, size, original);
  const backbone = await openBackbone(config);
  let inf: Inference | undefined;
  try {
    inf = await Inference.create(ctx, backbone, { cache: false });
    const source = inf.source(ds);
    const tasks = inf.model.tasks as readonly TaskName[];
    const p = ctx.progress(`predict (${role})`, files.length);
    const bs = config.eval.batchSize;
    for (let start = 0; start < files.length; start += bs) {
      if (ctx.signal.aborted) break;
      const items = Array.from({ length: Math.min(bs, files.length - start) }, (_, k) => ({ index: start + k, variant: 'none' as const, visit: 0 }));
      const { samples, features } = await source.load(items);
      const pred = await inf.predict(state, features);
      for (const [k, s] of samples.entries()) {
        for (const t of tasks) {
          const v = predictionValue(t, pred[t]!, k);
          const label = labelAtSize(t, v, original.get(s.id) ?? size);
          const codec = getTask(t).codec as { encodePng(l: unknown): RawImage };
          await writePng(join(out, `${s.id}-${t}.png`), codec.encodePng(label));
          await writePng(join(out, `${s.id}-${t}-vis.png`), sideBySide(inputImage(s), visualize(t, v)));
        }
      }
      p.update(start + items.length);
    }
    source.close();
    p.done();
    ctx.info(`predict: ${files.length} image(s) with ${role === 'creation' ? 'θC' : role === 'warmup' ? 'θW' : 'θE'} → ${out}`);
  } finally {
    await inf?.release();
    await backbone.dispose();
  }
}
