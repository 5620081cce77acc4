import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Diff2in1Error, tensor } from '@diff2in1/tensor';
import { ortBinaryDir } from './probe.js';
import { createSession, type Session } from './session.js';
import { addModel, externalMatMulModel, matMulModel } from './testing/onnx-test-models.js';

const dir = mkdtempSync(join(tmpdir(), 'd2i-session-'));
const opened: Session[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.release()));
  rmSync(dir, { recursive: true, force: true });
});
async function open(model: Uint8Array | string, extra: Parameters<typeof createSession>[1] = {}): Promise<Session> {
  const s = await createSession(model, { device: 'cpu', intraOpThreads: 1, ...extra });
  opened.push(s);
  return s;
}

// W (2×3) and x (2×2), product computed by hand: x·W = [[1·1+2·4, 1·2+2·5, 1·3+2·6], [3·1+4·4, 3·2+4·5, 3·3+4·6]].
const W = Float32Array.from([1, 2, 3, 4, 5, 6]);
const X = [1, 2, 3, 4];
const XW = [9, 12, 15, 19, 26, 33];

async function caught(p: Promise<unknown>): Promise<Diff2in1Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(Diff2in1Error);
    return e as Diff2in1Error;
  }
  throw new Error('expected a rejection');
}

describe('createSession', () => {
  it('reports inputs/outputs from ORT metadata, symbolic dims as strings', async () => {
    const s = await open(addModel('float32', ['batch', 3]));
    expect(s.device).toBe('cpu');
    expect(s.inputNames).toEqual(['a', 'b']);
    expect(s.outputNames).toEqual(['c']);
    expect(s.inputs[0]).toEqual({ name: 'a', dtype: 'float32', shape: ['batch', 3], isTensor: true });
    expect(s.outputs).toEqual([{ name: 'c', dtype: 'float32', shape: ['batch', 3], isTensor: true }]);
  });

  it('runs Add and MatMul with hand-computed results', async () => {
    const add = await open(addModel('float32', ['batch', 3]));
    const { c } = await add.run({ a: tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]), b: tensor('float32', [2, 3], [10, 20, 30, 40, 50, 60]) });
    expect(c?.shape).toEqual([2, 3]);
    expect(Array.from(c!.data as Float32Array)).toEqual([11, 22, 33, 44, 55, 66]);
    const mm = await open(matMulModel(W, 2, 3), { graphOptimization: 'disabled', interOpThreads: 1 });
    const { y } = await mm.run({ x: tensor('float32', [2, 2], X) });
    expect(Array.from(y!.data as Float32Array)).toEqual(XW);
  });

  it('loads from a path and names the file in errors', async () => {
    const p = join(dir, 'mm.onnx');
    writeFileSync(p, matMulModel(W, 2, 3));
    const s = await open(p);
    expect(s.name).toBe(p);
    const { y } = await s.run({ x: tensor('float32', [2, 2], X) });
    expect(Array.from(y!.data as Float32Array)).toEqual(XW);
    const e = await caught(s.run({ x: tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]) }));
    expect(e.message).toContain(p);
    const missing = await caught(createSession(join(dir, 'nope.onnx'), { device: 'cpu' }));
    expect(missing.code).toBe('model');
    expect(missing.message).toMatch(/nope\.onnx: model file not found/);
    writeFileSync(join(dir, 'garbage.onnx'), 'not a model');
    const bad = await caught(createSession(join(dir, 'garbage.onnx'), { device: 'cpu' }));
    expect(bad.code).toBe('model');
    expect(bad.message).toMatch(/garbage\.onnx: onnxruntime could not load the model on cpu/);
  });

  it('resolves external data relative to the model path; from bytes only with externalDataDir', async () => {
    const modelDir = join(dir, 'ext');
    const dataDir = join(dir, 'ext-data');
    mkdirSync(modelDir);
    mkdirSync(dataDir);
    const { model, data } = externalMatMulModel(W, 2, 3, 'w.bin');
    writeFileSync(join(modelDir, 'model.onnx'), model);
    writeFileSync(join(modelDir, 'w.bin'), data);
    const x = tensor('float32', [2, 2], X);
    // 1. path, data beside it: ORT finds it.
    const byPath = await open(join(modelDir, 'model.onnx'));
    expect(Array.from((await byPath.run({ x })).y!.data as Float32Array)).toEqual(XW);
    // 2. bytes without a folder: ORT refuses (it will not guess where the data is).
    const refused = await caught(createSession(model, { device: 'cpu', name: 'ext-model' }));
    expect(refused.message).toMatch(/ext-model: onnxruntime could not load the model.*[Ee]xternal data/);
    // 3. bytes + externalDataDir.
    const byBytes = await open(model, { externalDataDir: modelDir });
    expect(Array.from((await byBytes.run({ x })).y!.data as Float32Array)).toEqual(XW);
    // 4. path whose data lives in another folder (different values there, so we know which file was read).
    writeFileSync(join(dataDir, 'w.bin'), Buffer.from(Float32Array.from([1, 0, 0, 0, 1, 0]).buffer));
    const elsewhere = await open(join(modelDir, 'model.onnx'), { externalDataDir: dataDir });
    expect(Array.from((await elsewhere.run({ x })).y!.data as Float32Array)).toEqual([1, 2, 0, 3, 4, 0]);
  });

  it('validates feeds before ORT, listing every problem and naming the model', async () => {
    const s = await open(addModel('float32', ['batch', 3]), { name: 'adder.onnx' });
    const a = tensor('float32', [2, 3]);
    const missing = await caught(s.run({ a }));
    expect(missing.code).toBe('session');
    expect(missing.message).toMatch(/^adder\.onnx: bad feeds — missing input\(s\): b\./);
    expect(missing.message).toContain('Expected inputs: a: float32[batch, 3], b: float32[batch, 3]');
    const many = await caught(s.run({ a: tensor('float64', [2, 3]), b: tensor('float32', [6]), z: a }));
    expect(many.message).toContain('unknown input(s): z');
    expect(many.message).toContain("input 'a' must be float32, got float64");
    expect(many.message).toContain("input 'b' must have rank 2 [batch, 3], got rank 1 [6]");
    const dim = await caught(s.run({ a: tensor('float32', [2, 4]), b: a }));
    expect(dim.message).toContain("input 'a' must have shape [batch, 3], got [2, 4] (dimension 1 differs)");
    const out = await caught(s.run({ a, b: a }, ['c', 'd']));
    expect(out.message).toContain('unknown output(s) requested: d');
  });

  it('wraps ORT run errors that validation cannot see (mismatched symbolic dims)', async () => {
    const s = await open(addModel('float32', ['batch', 3]), { name: 'adder.onnx', logLevel: 'fatal' });
    const e = await caught(s.run({ a: tensor('float32', [2, 3]), b: tensor('float32', [3, 3]) }));
    expect(e.message).toMatch(/^adder\.onnx: run failed in onnxruntime/);
  });

  it('returns only the requested outputs', async () => {
    const s = await open(addModel('float32', [2]));
    const r = await s.run({ a: tensor('float32', [2], [1, 2]), b: tensor('float32', [2], [3, 4]) }, ['c']);
    expect(Object.keys(r)).toEqual(['c']);
  });

  it('rejects bad options and use after release', async () => {
    const m = addModel();
    expect((await caught(createSession(m, { device: 'cpu', graphOptimization: 'max' as never }))).message).toMatch(/graphOptimization 'max' is not one of: disabled, basic, extended, all/);
    expect((await caught(createSession(m, { device: 'cpu', intraOpThreads: -1 }))).message).toMatch(/intraOpThreads must be a non-negative integer/);
    expect((await caught(createSession(m, { device: 'gpu' as never }))).message).toMatch(/one of: auto, cpu, cuda, webgpu/);
    const s = await createSession(m, { device: 'cpu', intraOpThreads: 1, logLevel: 'error' });
    await s.release();
    await s.release();
    expect((await caught(s.run({}))).message).toMatch(/run\(\) after release\(\)/);
  });

  const cudaInstalled = existsSync(join(ortBinaryDir(), 'libonnxruntime_providers_cuda.so'));
  it.skipIf(cudaInstalled)('auto falls back to cpu with one warning line; explicit cuda is an error with the same advice', async () => {
    const lines: string[] = [];
    const s = await open(addModel(), { device: 'auto', warn: (l) => lines.push(l) });
    expect(s.device).toBe('cpu');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(lines[0]).toContain('using cpu');
    expect(lines[0]).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 pnpm install');
    const e = await caught(createSession(addModel(), { device: 'cuda' }));
    expect(e.code).toBe('device');
    expect(e.message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 pnpm install');
  });
});
