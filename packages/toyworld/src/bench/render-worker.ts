// Benchmark worker: the first message is the job (it warms up, then answers 'ready'); the second starts the
// timed run, answered with its duration.
import { parentPort } from 'node:worker_threads';
import { toyImage } from '../toy-image.js';

interface Job { seed: number; start: number; count: number; width: number; height: number; warmup: number }

parentPort?.once('message', (job: Job) => {
  for (let i = 0; i < job.warmup; i++) toyImage(job.seed + 1, i, { width: job.width, height: job.height });
  parentPort?.once('message', () => {
    const t0 = performance.now();
    let checksum = 0;
    for (let i = 0; i < job.count; i++) checksum += toyImage(job.seed, job.start + i, { width: job.width, height: job.height }).rgb[0] as number;
    parentPort?.postMessage({ ms: performance.now() - t0, checksum });
  });
  parentPort?.postMessage({ ready: true });
});
