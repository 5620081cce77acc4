// Benchmark: the full-size SD v1-5 UNet (sd15 config, random weights written once to a temp diffusers folder),
// latent 64×64, batch 1, float32, CPU, one thread count for both: seconds per forward and peak RSS of this
// project's compiled graph vs diffusers v0.25.0's UNet in PyTorch on the same weights, in the same script run;
// plus compile time (weights blob + graph) and cache-hit load time. Each side runs in its own process (so its peak
// RSS is its own); both stay loaded and their forwards alternate (ABBA order), so on a shared machine both see
// the same load. Writes bench/results/unet.json (repository root).
//
// env: BENCH_THREADS (default: all cores), BENCH_RUNS (3), BENCH_WARMUP (1), BENCH_SD15_DIR (default
// $TMPDIR/d2i-bench-sd15; the 3.4 GB weights are kept there between runs), BENCH_ATTENTION (mha | matmul).
import { type ChildProcessWithoutNullStreams, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, Tensor, randn, readSafetensors, writeFileAtomicStreamSync, writeFileAtomicSync, writeSafetensors } from '@diff2in1/tensor';
import { sd15 } from '../configs/sd15.js';
import { expectedStateDictShapes } from '../state-dict.js';
import { SD15_FILES } from '../configs/sd15.js';
import { type OursFinal, type OursReady, serveOurs } from './unet-ours.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..', '..');
const repo = resolve(pkg, '..', '..');
const PY = process.env['BENCH_PYTHON'] ?? '/usr/bin/python3';
// diffusers v0.25.0 and huggingface_hub sources (their package folders' parents), overridable
const PYPATH = [join(repo, 'tools/python'), process.env['DIFFUSERS_SRC'] ?? '/work/ref/diffusers-0.25.0', process.env['HFHUB_SRC'] ?? '/work/ref/hfhub-0.20.3'].join(':');
const torchScript = join(pkg, 'src', 'bench', 'unet_torch.py');

const env = (k: string, d: string): string => process.env[k] ?? d;
const threads = Number(env('BENCH_THREADS', String(availableParallelism())));
const runs = Number(env('BENCH_RUNS', '4'));
const warmup = Number(env('BENCH_WARMUP', '1'));
const attention = env('BENCH_ATTENTION', 'mha') as 'mha' | 'matmul';
const folder = resolve(env('BENCH_SD15_DIR', join(tmpdir(), 'd2i-bench-sd15')));
const weights = join(folder, 'unet', 'diffusion_pytorch_model.safetensors');

function load(): { uptime: string; loadavg: number[] } {
  let uptime = '';
  try {
    uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch { /* not available */ }
  return { uptime, loadavg: loadavg() };
}

function freeBytes(dir: string): number {
  const out = execFileSync('df', ['-Pk', dir], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/);
  return Number(out[3]) * 1024;
}

/** Why the PyTorch reference cannot run here, or undefined when it can. */
function torchMissing(): string | undefined {
  const r = spawnSync(PY, ['-c', 'import torch, diffusers; assert diffusers.__version__ == "0.25.0", diffusers.__version__'], { encoding: 'utf8', env: pyEnv() });
  if (r.error) return `${PY} not runnable: ${r.error.message}`;
  return r.status === 0 ? undefined : `${PY} cannot import torch + diffusers 0.25.0: ${r.stderr.trim().split('\n').pop()}`;
}

/**
 * Random weights without PyTorch (only used when it is missing): torch's default bounds — U(±1/√fan_in) for
 * conv / linear weights and biases (kaiming_uniform with a = √5), norms at weight 1, bias 0.
 */
function jsWrite(file: string): void {
  const expected = expectedStateDictShapes('unet', sd15.unet).required;
  const names = [...expected.keys()].sort();
  const header: Record<string, { dtype: string; shape: readonly number[]; data_offsets: [number, number] }> = {};
  let off = 0;
  for (const n of names) {
    const shape = expected.get(n)!;
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[n] = { dtype: 'F32', shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const rng = new Rng(0);
  writeFileAtomicStreamSync(file, (write) => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    write(len);
    write(Buffer.from(json));
    for (const n of names) {
      const shape = expected.get(n)!;
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      const w = expected.get(n.replace(/\.bias$/, '.weight'))!;
      if (w.length >= 2) {
        const bound = 1 / Math.sqrt(w.slice(1).reduce((a, b) => a * b, 1));
        rng.fork(n).fillUniform(data, -bound, bound);
      } else if (n.endsWith('.weight')) data.fill(1);
      write(new Uint8Array(data.buffer));
    }
  });
}

function pythonWrite(dir: string): void {
  const r = spawnSync(PY, [torchScript, 'write', dir], { encoding: 'utf8', maxBuffer: 1 << 26, env: pyEnv() });
  if (r.status !== 0) throw new Error(`python write failed (${r.status}): ${r.stderr.slice(-3000)}`);
}

function pyEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONPATH: PYPATH, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
}

/** A child process speaking one JSON object per line on stdout, taking commands on stdin. */
class Served {
  readonly #lines: string[] = [];
  readonly #waiting: ((line: string) => void)[] = [];
  readonly #proc: ChildProcessWithoutNullStreams;
  #stderr = '';
  #exited: string | undefined;

  constructor(readonly name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv) {
    this.#proc = spawn(cmd, args, { env, stdio: 'pipe' });
    this.#proc.stderr.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.#proc.stdout }).on('line', (line) => {
      const w = this.#waiting.shift();
      if (w) w(line);
      else this.#lines.push(line);
    });
    this.#proc.on('exit', (code) => {
      this.#exited = `${name} exited with ${code}: ${this.#stderr}`;
      for (const w of this.#waiting.splice(0)) w('');
    });
  }

  async next<T>(): Promise<T> {
    const line = this.#lines.shift() ?? (this.#exited ? '' : await new Promise<string>((res) => this.#waiting.push(res)));
    if (!line) throw new Error(this.#exited ?? `${this.name}: no output`);
    return JSON.parse(line) as T;
  }

  async run(): Promise<number> {
    this.#proc.stdin.write('run\n');
    return (await this.next<{ seconds: number }>()).seconds;
  }

  async quit<T>(): Promise<T> {
    this.#proc.stdin.write('quit\n');
    const r = await this.next<T>();
    this.#proc.stdin.end();
    return r;
  }
}

function ours(cacheDir: string, inputs: string, out: string): Served {
  return new Served('ours', process.execPath, [fileURLToPath(import.meta.url), '--serve', cacheDir, inputs, out], process.env);
}

function stats(xs: number[]): { mean: number; median: number; min: number; runs: number[] } {
  const sorted = [...xs].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, median, min: sorted[0]!, runs: xs };
}

interface TorchReady { ready: boolean; load_seconds: number }
interface TorchFinal { peak_rss_after_load_kb: number; peak_rss_forward_kb: number | null; torch: string; attention_processor: string }

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') {
    const [, , , cacheDir, inputs, out] = process.argv as [string, string, string, string, string, string];
    await serveOurs({ folder, cacheDir, inputs, out, threads, attention });
    return;
  }
  const started = load();
  const torchWhyNot = torchMissing();
  if (torchWhyNot) console.error(`PyTorch reference unavailable (${torchWhyNot}); measuring ours only`);
  mkdirSync(join(folder, 'unet'), { recursive: true });
  writeFileSync(join(folder, 'unet', 'config.json'), `${JSON.stringify(SD15_FILES.unet, null, 2)}\n`);
  let writeSeconds: number | null = null;
  if (!existsSync(weights)) {
    const free = freeBytes(folder);
    if (free < 8e9) throw new Error(`${folder}: ${(free / 1e9).toFixed(1)} GB free; the SD v1-5 UNet weights need 3.5 GB (plus 3.5 GB of compiled cache)`);
    const t0 = performance.now();
    console.error(`writing random SD v1-5 UNet weights to ${weights} ...`);
    if (torchWhyNot === undefined) pythonWrite(folder);
    else jsWrite(weights);
    writeSeconds = (performance.now() - t0) / 1000;
  }
  const weightBytes = statSync(weights).size;

  const rng = new Rng(2024);
  const inputs = join(folder, 'inputs.safetensors');
  writeSafetensors(inputs, {
    sample: randn(rng, [1, 4, 64, 64]),
    timestep: new Tensor('float32', [1], Float32Array.of(500)),
    encoder_hidden_states: randn(rng, [1, 77, 768]),
  });
  const cacheDir = join(folder, 'cache');
  rmSync(cacheDir, { recursive: true, force: true });
  console.error('ours: compile (cold cache), load, one forward ...');
  const coldProc = ours(cacheDir, inputs, join(folder, 'out-ours-cold.safetensors'));
  const cold = await coldProc.next<OursReady>();
  const coldForward = await coldProc.run();
  await coldProc.quit<OursFinal>();

  console.error('ours (cache hit) and pytorch: load ...');
  const us = ours(cacheDir, inputs, join(folder, 'out-ours.safetensors'));
  const hit = await us.next<OursReady>();
  const py = torchWhyNot ? undefined : new Served('pytorch', PY, [torchScript, 'serve', folder, inputs, join(folder, 'out-torch.safetensors'), String(threads)], pyEnv());
  const pyReady = py ? await py.next<TorchReady>() : undefined;
  for (let i = 0; i < warmup; i++) {
    await us.run();
    await py?.run();
  }
  const oursTimes: number[] = [];
  const torchTimes: number[] = [];
  const pairRatios: number[] = [];
  for (let i = 0; i < runs; i++) {
    console.error(`forward pair ${i + 1}/${runs} ...`);
    let a: number;
    let b: number | undefined;
    if (i % 2 === 0) {
      a = await us.run();
      b = await py?.run();
    } else {
      b = await py?.run();
      a = await us.run();
    }
    oursTimes.push(a);
    if (b !== undefined) {
      torchTimes.push(b);
      pairRatios.push(a / b);
    }
  }
  const hitFinal = await us.quit<OursFinal>();
  const torch = py ? await py.quit<TorchFinal>() : undefined;
  let parity: { maxAbsDiffVsTorch: number; maxAbsTorchOutput: number } | null = null;
  if (torch) {
    const a = readSafetensors(join(folder, 'out-ours.safetensors'))['out_sample']!;
    const b = readSafetensors(join(folder, 'out-torch.safetensors'))['out_sample']!;
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < a.size; i++) {
      maxDiff = Math.max(maxDiff, Math.abs((a.data[i] as number) - (b.data[i] as number)));
      maxRef = Math.max(maxRef, Math.abs(b.data[i] as number));
    }
    parity = { maxAbsDiffVsTorch: maxDiff, maxAbsTorchOutput: maxRef };
  }
  const ourStats = stats(oursTimes);
  const ref = torch ? stats(torchTimes) : undefined;
  const result = {
    benchmark: 'SD v1-5 UNet2DConditionModel forward (random weights), latent 1×4×64×64, context 1×77×768, float32, CPU',
    date: new Date().toISOString(),
    machine: { cpus: availableParallelism(), threads, loadBefore: started, loadAfter: load() },
    weights: { file: weights, bytes: weightBytes, writeSeconds },
    ours: {
      attention, secondsPerForward: ourStats, peakRssBytes: hitFinal.peakRssBytes, peakRssAfterLoadBytes: hitFinal.peakRssAfterLoadBytes,
      peakRssForwardBytes: hitFinal.peakRssForwardBytes, peakRssOverWeights: hitFinal.peakRssBytes / weightBytes,
      compile: { seconds: cold.compileSeconds, blobSeconds: cold.blobSeconds, graphSeconds: cold.graphSeconds },
      coldSessionSeconds: cold.sessionSeconds, coldFirstForwardSeconds: coldForward,
      cacheHitLoadSeconds: hit.compileSeconds + hit.sessionSeconds, cacheHitCompiled: hit.compiled,
      ort: { graphOptimization: 'all', intraOpThreads: threads },
    },
    pytorch: torch && ref && pyReady ? {
      version: torch.torch, attentionProcessor: torch.attention_processor, secondsPerForward: ref, loadSeconds: pyReady.load_seconds,
      peakRssAfterLoadBytes: torch.peak_rss_after_load_kb * 1024, peakRssForwardBytes: torch.peak_rss_forward_kb === null ? null : torch.peak_rss_forward_kb * 1024,
    } : null,
    ...(torchWhyNot ? { reference: null, referenceMissing: torchWhyNot } : {}),
    ratio: {
      timeOursOverTorch: ref ? ourStats.mean / ref.mean : null, medianPairRatio: ref ? stats(pairRatios).median : null, pairRatios, target: 0.8,
      peakRssOverWeights: hitFinal.peakRssBytes / weightBytes, rssTarget: 1.3,
    },
    parity,
  };
  const outFile = join(repo, 'bench', 'results', 'unet.json');
  writeFileAtomicSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result.ratio), '→', outFile);
}

await main();
