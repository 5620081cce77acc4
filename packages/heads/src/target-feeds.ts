// Batching labels into the feeds of `targetInputs`: dense targets [N, C, H, W] float32, class ids [N, H, W] int64,
// valid masks [N, 1, H, W] float32 0/1 — from the one label convention of @diff2in1/tasks.
import type { ClassLabel, DenseLabel, Labels, TaskName } from '@diff2in1/tasks';
import { Diff2in1Error, Tensor } from '@diff2in1/tensor';
import { TARGET_CHANNELS, targetInputName, validInputName } from './spec.js';

function sizeOf(task: TaskName, labels: readonly (DenseLabel | ClassLabel)[]): [number, number] {
  const first = labels[0];
  if (!first) throw new Diff2in1Error('heads', `${task}: no labels to batch`);
  const [h, w] = first.valid.shape.slice(-2) as [number, number];
  for (const [i, l] of labels.entries()) {
    const [lh, lw] = l.valid.shape.slice(-2) as [number, number];
    if (lh !== h || lw !== w) throw new Diff2in1Error('heads', `${task}: label ${i} is ${lh}×${lw}, label 0 is ${h}×${w}; a batch needs one size`);
  }
  return [h, w];
}

/** Feeds `target.<task>` and `valid.<task>` for one task from a batch of its labels. */
export function taskTargetFeeds(task: TaskName, labels: readonly (DenseLabel | ClassLabel)[]): Record<string, Tensor> {
  const [h, w] = sizeOf(task, labels);
  const hw = h * w;
  const n = labels.length;
  const valid = new Float32Array(n * hw);
  labels.forEach((l, i) => l.valid.data.forEach((v, p) => (valid[i * hw + p] = v ? 1 : 0)));
  const c = TARGET_CHANNELS[task];
  let target: Tensor;
  if (c === 'classes') {
    const ids = new BigInt64Array(n * hw);
    labels.forEach((l, i) => (l as ClassLabel).value.data.forEach((v, p) => (ids[i * hw + p] = BigInt(v))));
    target = new Tensor('int64', [n, h, w], ids);
  } else {
    const data = new Float32Array(n * c * hw);
    labels.forEach((l, i) => {
      const v = (l as DenseLabel).value;
      if (v.shape[0] !== c) throw new Diff2in1Error('heads', `${task}: label ${i} has ${v.shape[0]} channels, expected ${c}`);
      data.set(v.data, i * c * hw);
    });
    target = new Tensor('float32', [n, c, h, w], data);
  }
  return { [targetInputName(task)]: target, [validInputName(task)]: new Tensor('float32', [n, 1, h, w], valid) };
}

/** Feeds for every task of `tasks` from per-sample label sets. */
export function targetFeeds(tasks: readonly TaskName[], samples: readonly Labels[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const t of tasks) {
    const labels = samples.map((s, i) => {
      const l = s[t];
      if (!l) throw new Diff2in1Error('heads', `sample ${i} has no '${t}' label`);
      return l;
    });
    Object.assign(out, taskTargetFeeds(t, labels));
  }
  return out;
}
