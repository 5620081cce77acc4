// Benchmarks for @diff2in1/tensor: fp16 conversion, safetensors reads, RNG, resize, PNG I/O.
// Run after a build: `pnpm --filter @diff2in1/tensor bench` → bench/results/tensor.json (repo root).
// Reference timings come from numpy / torch under Debian's /usr/bin/python3 in the same run when present,
// else "reference": null with the reason.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Rng, SafetensorsFile, Tensor, float16ArrayToFloat32, float32ArrayToFloat16, readRawImage, resizeTensor,
  writePng, writeSafetensors,
} from '../index.js';

interface Result { name: string; ms: number; detail?: Record<string, number | string>; reference?: { ms: number; impl: string } | null; referenceNote?: string }
const results: Result[] = [];

function time<T>(fn: () => T, reps = 3): { ms: number; value: T } {
  let best = Infinity;
  let value!: T;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    value = fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, value };
}

function python(code: string, args: string[] = []): { ms: number } | { error: string } {
  const r = spawnSync('/usr/bin/python3', ['-c', code, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { error: `/usr/bin/python3 not runnable: ${r.error.message}` };
  if (r.status !== 0) return { error: `python failed: ${r.stderr.trim().split('\n').pop() ?? ''}` };
  const ms = Number(r.stdout.trim().split('\n').pop());
  return Number.isFinite(ms) ? { ms } : { error: `unexpected python output: ${r.stdout}` };
}
function withReference(res: Result, code: string, impl: string, args: string[] = []): Result {
  const p = python(code, args);
  if ('ms' in p) res.reference = { ms: p.ms, impl };
  else { res.reference = null; res.referenceNote = p.error; }
  return res;
}

const dir = mkdtempSync(join(tmpdir(), 'tensor-bench-'));
try {
  // fp16 conversion, 10M values.
  const n = 10_000_000;
  const f = new Float32Array(n);
  new Rng(1).fillNormal(f);
  const enc = time(() => float32ArrayToFloat16(f));
  const dec = time(() => float16ArrayToFloat32(enc.value));
  const best = 'import time, numpy as np\nx = np.random.randn(10_000_000).astype(np.float32)\nb = 1e9\nfor _ in range(3):\n  t = time.perf_counter(); y = x.astype(np.float16); b = min(b, time.perf_counter() - t)\nprint(b * 1000)';
  results.push(withReference({ name: 'float32→float16 10M', ms: enc.ms }, best, 'numpy astype(float16)'));
  results.push(withReference({ name: 'float16→float32 10M', ms: dec.ms }, best.replace('x = np.random.randn(10_000_000).astype(np.float32)', 'x = np.random.randn(10_000_000).astype(np.float16)').replace('astype(np.float16); b', 'astype(np.float32); b'), 'numpy astype(float32)'));

  // RNG: 10M normals.
  const g = new Float32Array(n);
  const rng = time(() => new Rng(7).fillNormal(g), 2);
  results.push(withReference({ name: 'Rng.fillNormal 10M float32', ms: rng.ms },
    'import time, torch\ng = torch.Generator().manual_seed(0)\nb = 1e9\nfor _ in range(2):\n  t = time.perf_counter(); torch.randn(10_000_000, generator=g); b = min(b, time.perf_counter() - t)\nprint(b * 1000)', 'torch.randn'));

  // safetensors: a 400 MB file shaped like a UNet shard (one big F16 tensor and many small ones).
  const big = new Tensor('float16', [100_000_000], new Uint16Array(100_000_000).fill(0x3c00));
  const tensors: Record<string, Tensor> = { big };
  for (let i = 0; i < 200; i++) tensors[`layer.${i}.weight`] = new Tensor('float32', [320, 320], new Float32Array(320 * 320).fill(i));
  const p = join(dir, 'bench.safetensors');
  const w = time(() => writeSafetensors(p, tensors), 1);
  const bytes = 200_000_000 + 200 * 320 * 320 * 4;
  results.push({ name: 'writeSafetensors 282 MB', ms: w.ms, detail: { MBps: Math.round(bytes / 1e6 / (w.ms / 1000)) } });
  const r = time(() => {
    const file = SafetensorsFile.open(p);
    let total = 0;
    for (const name of file.names()) total += file.get(name).data.byteLength;
    file.close();
    return total;
  }, 2);
  results.push(withReference({ name: 'SafetensorsFile read all 282 MB (page cache warm)', ms: r.ms, detail: { MBps: Math.round(r.value / 1e6 / (r.ms / 1000)) } },
    'import sys, time, json, struct, numpy as np\np = sys.argv[1]\nb = 1e9\nfor _ in range(2):\n  t = time.perf_counter()\n  f = open(p, "rb"); n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); base = 8 + n\n  for k, v in h.items():\n    if k == "__metadata__": continue\n    a, e = v["data_offsets"]; f.seek(base + a); np.frombuffer(f.read(e - a), dtype=np.uint8).copy()\n  f.close(); b = min(b, time.perf_counter() - t)\nprint(b * 1000)',
    'python seek+read+numpy copy per tensor', [p]));
  const one = time(() => { const file = SafetensorsFile.open(p); const t = file.get('layer.100.weight'); file.close(); return t; }, 3);
  results.push({ name: 'open + get one 400 KB tensor of a 282 MB file', ms: one.ms });

  // Resize.
  const img = new Tensor('float32', [1, 3, 512, 512], new Float32Array(3 * 512 * 512).map((_, i) => i % 251));
  results.push(withReference({ name: 'resizeTensor bilinear [1,3,512,512]→768²', ms: time(() => resizeTensor(img, [768, 768], 'bilinear')).ms },
    'import time, torch, torch.nn.functional as F\ntorch.set_num_threads(1)\nx = torch.rand(1,3,512,512)\nb = 1e9\nfor _ in range(3):\n  t = time.perf_counter(); F.interpolate(x, size=(768,768), mode="bilinear", align_corners=False); b = min(b, time.perf_counter() - t)\nprint(b * 1000)', 'torch F.interpolate (1 thread)'));
  results.push({ name: 'resizeTensor nearest [1,3,512,512]→64²', ms: time(() => resizeTensor(img, [64, 64], 'nearest')).ms });

  // PNG I/O.
  const rgb = new Uint8Array(512 * 512 * 3).map((_, i) => (i * 7) % 256);
  const depth = new Uint16Array(512 * 512).map((_, i) => (i * 13) % 65536);
  const pngRgb = join(dir, 'rgb.png');
  const pngDepth = join(dir, 'depth.png');
  const wr = await (async () => { const t0 = performance.now(); await writePng(pngRgb, { width: 512, height: 512, channels: 3, bitDepth: 8, data: rgb }); return performance.now() - t0; })();
  const wd = await (async () => { const t0 = performance.now(); await writePng(pngDepth, { width: 512, height: 512, channels: 1, bitDepth: 16, data: depth }); return performance.now() - t0; })();
  const rr = await (async () => { const t0 = performance.now(); await readRawImage(pngRgb); return performance.now() - t0; })();
  const rd = await (async () => { const t0 = performance.now(); await readRawImage(pngDepth); return performance.now() - t0; })();
  results.push({ name: 'writePng 512² RGB8', ms: wr }, { name: 'writePng 512² grey16', ms: wd }, { name: 'readRawImage 512² RGB8', ms: rr }, { name: 'readRawImage 512² grey16', ms: rd });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const out = {
  package: '@diff2in1/tensor',
  date: new Date().toISOString(),
  node: process.version,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  results: results.map((r) => ({ ...r, ms: Math.round(r.ms * 100) / 100 })),
};
const resultsDir = fileURLToPath(new URL('../../../../bench/results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'tensor.json'), JSON.stringify(out, null, 2) + '\n');
for (const r of out.results) {
  const ref = r.reference ? ` (reference ${r.reference.impl}: ${r.reference.ms.toFixed(1)} ms)` : '';
  console.log(`${r.name}: ${r.ms} ms${r.detail ? ' ' + JSON.stringify(r.detail) : ''}${ref}`);
}
console.log(`peak RSS ${out.peakRssMB} MB → bench/results/tensor.json`);
