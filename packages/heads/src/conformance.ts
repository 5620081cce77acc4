// The TaskNetworkV1 conformance suite: what every head plugin must do, checked by running its graphs in
// onnxruntime on random pyramid features and labels. A plugin's vitest file calls
//   const report = await runConformance(plugin, { image: [32, 32], batch: 2 });
// which throws, listing every failed check, unless `throwOnFailure: false`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder, type Value, grad, initParameters, loadStateDict, serialize, stateDict } from '@diff2in1/graph';
import { type PyramidFeature, isPowerOfTwo, levelSize } from '@diff2in1/feature-pyramid';
import { TASK_NAMES, type TaskName } from '@diff2in1/tasks';
import { Diff2in1Error, Rng, Tensor, readSafetensors, writeSafetensors } from '@diff2in1/tensor';
import { getTaskNetwork, registerTaskNetwork } from './registry.js';
import { TARGET_CHANNELS, type TaskNetworkPluginV1, type TaskNetworkV1, targetInputName, targetInputs, validInputName } from './spec.js';

export interface ConformanceOptions<HP extends object> {
  hyperParameters?: Partial<HP>;
  /** Input image [H, W] (small: the graphs run on the CPU). */
  image: readonly [number, number];
  batch?: number;
  seed?: number;
  /** Random inputs tried before a parameter whose gradient stayed exactly zero counts as unreached (default 3). */
  tries?: number;
  /** Expected state_dict keys (e.g. the upstream module's), compared as sets when given. */
  stateKeys?: readonly string[];
  /** Also register the plugin and look it up by id (default true). */
  register?: boolean;
  throwOnFailure?: boolean;
}

export interface ConformanceCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ConformanceReport {
  id: string;
  checks: ConformanceCheck[];
  ok: boolean;
}

const levelInputName = (stride: number): string => `level.${stride}`;

function randomTensor(rng: Rng, shape: readonly number[]): Tensor<'float32'> {
  const t = new Tensor('float32', shape);
  rng.fillNormal(t.data);
  return t;
}

/** Random targets per task (unit normals, positive depth, 0/1 saliency, class ids) and ~80%-valid masks. */
function randomTargets(rng: Rng, tasks: readonly TaskName[], n: number, [h, w]: readonly [number, number]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const hw = h * w;
  for (const task of tasks) {
    const c = TARGET_CHANNELS[task];
    if (c === 'classes') {
      out[targetInputName(task)] = new Tensor('int64', [n, h, w], BigInt64Array.from({ length: n * hw }, () => BigInt(rng.int(task === 'parts' ? 7 : 5))));
    } else {
      const t = randomTensor(rng, [n, c, h, w]);
      const d = t.data;
      for (let i = 0; i < n; i++) {
        for (let p = 0; p < hw; p++) {
          if (task === 'normals') {
            const b = i * 3 * hw + p;
            const norm = Math.hypot(d[b]!, d[b + hw]!, d[b + 2 * hw]!) || 1;
            for (let k = 0; k < 3; k++) d[b + k * hw]! /= norm;
          } else if (task === 'depth') d[i * hw + p] = 0.5 + 5 * rng.uniform();
          else d[i * hw + p] = rng.uniform() < 0.5 ? 0 : 1;
        }
      }
      out[targetInputName(task)] = t;
    }
    out[validInputName(task)] = new Tensor('float32', [n, 1, h, w], Float32Array.from({ length: n * hw }, () => (rng.uniform() < 0.8 ? 1 : 0)));
  }
  return out;
}

function allFinite(t: Tensor): boolean {
  const d = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < d.length; i++) if (typeof d[i] === 'number' && !Number.isFinite(d[i] as number)) return false;
  return true;
}

function featureInputs(g: GraphBuilder, net: TaskNetworkV1<object>, n: number, image: readonly [number, number]): PyramidFeature[] {
  return net.pyramid.levels.map((l) => ({ ...l, value: g.input(levelInputName(l.stride), 'float32', [n, l.channels, ...levelSize(image, l.stride)]) }));
}

function featureFeeds(rng: Rng, net: TaskNetworkV1<object>, n: number, image: readonly [number, number]): Record<string, Tensor> {
  return Object.fromEntries(net.pyramid.levels.map((l) => [levelInputName(l.stride), randomTensor(rng, [n, l.channels, ...levelSize(image, l.stride)])]));
}

/** Runs the conformance checks on `plugin` (see the file comment). */
export async function runConformance<HP extends object>(plugin: TaskNetworkPluginV1<HP>, o: ConformanceOptions<HP>): Promise<ConformanceReport> {
  const { createSession } = await import('@diff2in1/runtime');
  const run = async (g: GraphBuilder, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> => {
    const s = await createSession(serialize(g), { device: 'cpu', intraOpThreads: 1, name: `conformance-${plugin.id}` });
    try {
      return await s.run(feeds);
    } finally {
      await s.release();
    }
  };
  const checks: ConformanceCheck[] = [];
  const check = async (name: string, fn: () => string | Promise<string>): Promise<void> => {
    try {
      checks.push({ name, ok: true, detail: await fn() });
    } catch (e) {
      checks.push({ name, ok: false, detail: e instanceof Error ? e.message : String(e) });
    }
  };
  const fail = (msg: string): never => {
    throw new Diff2in1Error('conformance', msg);
  };
  const n = o.batch ?? 2;
  const rng = new Rng(o.seed ?? 0);
  const image = o.image;
  let net: TaskNetworkV1<HP> | undefined;

  await check('spec', () => {
    if (plugin.specVersion !== 1) fail(`specVersion is ${String(plugin.specVersion)}, expected 1`);
    if (!plugin.tasks.length || plugin.tasks.some((t) => !TASK_NAMES.includes(t))) fail(`tasks [${plugin.tasks.join(', ')}] must be non-empty, from ${TASK_NAMES.join(', ')}`);
    net = plugin.create(o.hyperParameters);
    if (net.specVersion !== 1 || net.id !== plugin.id || net.tasks.join() !== plugin.tasks.join()) fail('the created network must repeat specVersion, id and tasks of its plugin');
    for (const k of Object.keys(plugin.defaults)) if (!(k in net.hyperParameters)) fail(`hyperParameters lacks default '${k}'`);
    if (!net.pyramid.levels.length) fail('pyramid requests no levels');
    for (const l of net.pyramid.levels) if (!isPowerOfTwo(l.stride) || !(l.channels > 0)) fail(`pyramid level {stride ${l.stride}, channels ${l.channels}} is not valid`);
    initParameters(net.module, rng.fork('init'));
    return `${net.pyramid.levels.length} levels (${net.pyramid.levels.map((l) => `${l.channels}@${l.stride}`).join(', ')}), ${net.module.namedParameters().size} parameters`;
  });
  if (!net) return finish(plugin.id, checks, o.throwOnFailure);
  const created = net;

  await check('registry', () => {
    if (o.register === false) return 'skipped';
    registerTaskNetwork(plugin);
    if (getTaskNetwork(plugin.id) !== (plugin as unknown)) fail(`getTaskNetwork('${plugin.id}') did not return the plugin`);
    return `registered as '${plugin.id}'`;
  });

  await check('eval: builds, runs, finite outputs, postprocess gives every task at image size', async () => {
    created.module.eval();
    const g = new GraphBuilder(`${plugin.id}-eval`);
    const built = created.build(g, featureInputs(g, created, n, image), { mode: 'eval', image });
    const names = Object.keys(built.outputs);
    if (!names.length) fail('build returned no outputs');
    for (const [k, v] of Object.entries(built.outputs)) g.output(k, v);
    const feeds = { ...featureFeeds(rng, created, n, image), ...Object.fromEntries(built.feeds.map((f) => [f.name, f.sample(rng)])) };
    const out = await run(g, feeds);
    for (const k of names) {
      const t = out[k]!;
      if (t.shape.join() !== built.outputs[k]!.shape.join()) fail(`output '${k}' has shape [${t.shape}], the graph declares [${built.outputs[k]!.shape}]`);
      if (!allFinite(t)) fail(`output '${k}' is not finite`);
    }
    const pred = created.postprocess(out);
    for (const task of created.tasks) {
      const p = pred[task] ?? fail(`postprocess gave no '${task}' prediction`);
      const c = TARGET_CHANNELS[task] === 'classes' ? 1 : (TARGET_CHANNELS[task] as number);
      if (p.value.shape.join() !== [n, c, image[0], image[1]].join()) fail(`'${task}' prediction is [${p.value.shape}], expected [${[n, c, ...image]}]`);
      if (!allFinite(p.value) || (p.confidence && !allFinite(p.confidence))) fail(`'${task}' prediction is not finite`);
      if (task === 'normals') {
        const hw = image[0] * image[1];
        for (let i = 0; i < n * hw; i++) {
          const b = Math.floor(i / hw) * 3 * hw + (i % hw);
          const len = Math.hypot(p.value.data[b]!, p.value.data[b + hw]!, p.value.data[b + 2 * hw]!);
          if (Math.abs(len - 1) > 1e-3) fail(`normals prediction at pixel ${i} has length ${len}, expected unit vectors`);
        }
      }
    }
    return `outputs ${names.join(', ')}`;
  });

  await check('train: finite scalar loss, gradients reach every trainable parameter', async () => {
    created.module.train();
    const g = new GraphBuilder(`${plugin.id}-train`, { params: 'input' });
    const { targets, valid } = targetInputs(g, created.tasks, n, image);
    const built = created.build(g, featureInputs(g, created, n, image), { mode: 'train', image, valid });
    const declared0 = created.stepFeeds(n, { mode: 'train', image }).map((f) => `${f.name}[${f.shape}]`).join();
    if (declared0 !== built.feeds.map((f) => `${f.name}[${f.shape}]`).join()) fail(`stepFeeds() declares ${declared0 || 'none'}, build() used ${built.feeds.map((f) => f.name).join() || 'none'}`);
    const loss = created.loss(g, built.outputs, targets, valid);
    if (loss.rank !== 0) fail(`loss must be a scalar, got ${loss}`);
    g.output('loss', loss);
    const trainable = [...g.boundParams.entries()].filter(([p]) => p.kind === 'parameter' && p.requiresGrad);
    const declared = [...created.module.namedParameters().values()].filter((p) => p.requiresGrad);
    const unused = declared.filter((p) => !g.boundParams.has(p)).map((p) => p.name);
    if (unused.length) fail(`parameters never read by the train graph: ${unused.join(', ')}`);
    grad(loss, trainable.map(([, v]) => v)).forEach((d: Value, i) => g.output(`grad.${trainable[i]![0].name}`, d));
    for (const [p, v] of g.bufferUpdates) g.output(`buffer.${p.name}`, v);
    const params = Object.fromEntries([...g.boundParams.keys()].map((p) => [p.name, p.data]));
    const reached = new Set<string>();
    const tries = o.tries ?? 3;
    let lossValue = NaN;
    for (let t = 0; t < tries && reached.size < trainable.length; t++) {
      const feeds = { ...params, ...featureFeeds(rng, created, n, image), ...randomTargets(rng, created.tasks, n, image), ...Object.fromEntries(built.feeds.map((f) => [f.name, f.sample(rng)])) };
      const out = await run(g, feeds);
      lossValue = Number(out.loss!.data[0]);
      if (!Number.isFinite(lossValue)) fail(`loss is ${lossValue}`);
      for (const [k, v] of Object.entries(out)) {
        if (!allFinite(v)) fail(`${k} is not finite`);
        if (k.startsWith('grad.') && Array.prototype.some.call(v.data, (x: number) => x !== 0)) reached.add(k.slice(5));
      }
    }
    const missing = declared.map((p) => p.name).filter((k) => !reached.has(k)); // module order
    if (missing.length) fail(`no gradient reached ${missing.join(', ')} in ${tries} random batches`);
    return `loss ${lossValue.toPrecision(6)}, ${trainable.length} parameters reached, ${g.bufferUpdates.size} buffer updates`;
  });

  await check('state: round-trips through safetensors by name', () => {
    const state = stateDict(created.module);
    const names = Object.keys(state).sort();
    if (o.stateKeys) {
      const want = [...o.stateKeys].sort();
      const extra = names.filter((k) => !want.includes(k));
      const lacking = want.filter((k) => !names.includes(k));
      if (extra.length || lacking.length) fail(`state_dict keys differ from the expected ones: extra ${extra.join(', ') || '-'}; missing ${lacking.join(', ') || '-'}`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'd2i-conformance-'));
    try {
      const file = join(dir, 'state.safetensors');
      writeSafetensors(file, state);
      const fresh = plugin.create(o.hyperParameters);
      loadStateDict(fresh.module, readSafetensors(file), { strict: true, file });
      const back = stateDict(fresh.module);
      for (const k of names) {
        const [a, b] = [state[k]!, back[k]!];
        const same = a.dtype === b.dtype && a.shape.join() === b.shape.join() && Array.prototype.every.call(a.data, (x: number | bigint, i: number) => Object.is(x, b.data[i]));
        if (!same) fail(`'${k}' changed in the round trip`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return `${names.length} entries`;
  });

  return finish(plugin.id, checks, o.throwOnFailure);
}

function finish(id: string, checks: ConformanceCheck[], throwOnFailure = true): ConformanceReport {
  const ok = checks.every((c) => c.ok);
  if (!ok && throwOnFailure) {
    const lines = checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    throw new Diff2in1Error('conformance', `task network '${id}' fails TaskNetworkV1 conformance:\n  ${lines.join('\n  ')}`);
  }
  return { id, checks, ok };
}
