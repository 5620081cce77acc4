#!/usr/bin/env node
// Makes the "toy-pretrained tiny SD" (see pretrain-sd.ts): renders unlabelled toyworld images of OTHER scenes than
// the perception data (toyworld seed 1; warm-up data uses seed 0), then pretrains the tiny VAE and UNet on them.
//
//   node packages/self-improver/dist/bin/pretrain-toy-sd.js [--out DIR] [--images 1000] [--size 128]
//        [--vae-steps 4000] [--vae-crop 64] [--kl-weight 1e-5] [--unet-steps 3000] [--threads 2] [--seed 0]
// A finished folder is reused (same settings); the images are rendered once (toyworld export is resumable).
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ensureToyPretrainedSd } from '../toy-sd.js';

const { values: a } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/toy-sd' },
    images: { type: 'string', default: '1000' },
    size: { type: 'string', default: '128' },
    'image-seed': { type: 'string', default: '1' },
    'vae-steps': { type: 'string', default: '4000' },
    'vae-crop': { type: 'string', default: '64' },
    'kl-weight': { type: 'string', default: '1e-5' },
    'unet-steps': { type: 'string', default: '3000' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  process.stdout.write('usage: pretrain-toy-sd [--out runs/toy-sd] [--images 1000] [--size 128] [--image-seed 1] [--vae-steps 4000] [--vae-crop 64] [--kl-weight 1e-5] [--unet-steps 3000] [--threads 2] [--seed 0]\n');
  process.exit(0);
}
const out = resolve(a.out!);
const t0 = performance.now();
const r = await ensureToyPretrainedSd({
  dir: out, images: Number(a.images), size: Number(a.size), imageSeed: Number(a['image-seed']), seed: Number(a.seed),
  vae: { steps: Number(a['vae-steps']), crop: Number(a['vae-crop']), klWeight: Number(a['kl-weight']) }, unet: { steps: Number(a['unet-steps']) },
  session: { device: 'cpu', intraOpThreads: Number(a.threads) },
});
process.stdout.write(`${r.cached ? 'reused' : 'pretrained'} tiny SD in ${((performance.now() - t0) / 1000).toFixed(0)} s → ${r.dir}\nVAE loss by tenths: ${r.vaeLoss.map((x) => x.toFixed(4)).join(' ')}\nUNet loss by tenths: ${r.unetLoss.map((x) => x.toFixed(4)).join(' ')}\n`);
