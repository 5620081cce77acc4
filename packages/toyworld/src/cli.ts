#!/usr/bin/env node
// toyworld CLI: `toyworld export ...` writes a toy dataset in a real dataset layout; `toyworld caption` prints captions.
import { parseArgs } from 'node:util';
import { Diff2in1Error, choices, createProgress } from '@diff2in1/tensor';
import type { Progress } from '@diff2in1/tensor';
import { exportDataset, LAYOUT_NAMES } from './export.js';
import type { LayoutName } from './export.js';
import { makeScene } from './scene.js';
import { sceneCaption } from './caption.js';

const HELP = `toyworld — procedural indoor scenes with exact labels (RGB, depth, normals, semantics, parts, saliency, captions)

usage:
  toyworld export --layout <layout> --out DIR --count N [--test-count M] [--size WxH] [--seed S]
                  [--samples K] [--variant invpt|mtinet] [--workers W] [--jpeg-quality Q]
  toyworld caption [--seed S] [--from I] [--count N]
  toyworld --help

export writes N train images (scene indices 0..N-1) and M test images (N..N+M-1), all a pure function of
(seed, index, size). Re-running the same command resumes: finished images are skipped. Layouts (README.md
has every file and encoding):
  folder   images/ normals/ depth/ (16-bit mm) semseg/ (255 = ignore) parts/ saliency/ captions.json
           splits/{train,test}.txt classes.json                                   — our own format
  nyuv2    nyu/{train,test}/{img,norm,caption}/<6 digits>.{png,png,txt}          — Bae et al. / Diff-2-in-1
  nyudmt   images/ depth/*.npy normals/ segmentation/ (NYU-40, 0 = void) edge/ gt_sets/{train,val}.txt
           — InvPT/ATRC (default) or MTI-Net (--variant mtinet: .jpg images, .npy normals and edges)
  pascal   JPEGImages/ semseg/pascal-context/ pascal-context/trainval/*.mat human_parts/*.mat
           normals_distill/ sal_distill/ ImageSets/{Context,Parts}/{train,val}.txt  — PASCAL-Context MT
  ade20k   ADEChallengeData2016/{images,annotations}/{training,validation}/ADE_{train,val}_<8 digits>

options:
  --layout L        one of: ${LAYOUT_NAMES.join(', ')}
  --out DIR         output directory (created)
  --count N         train images
  --test-count M    test images (default 0)
  --size WxH        image size (default 640x480, NYUv2's); intrinsics scale with it
  --seed S          dataset seed, integer ≥ 0 (default 0)
  --samples K       RGB anti-aliasing: K×K rays per edge pixel (default 2)
  --workers W       render threads (default min(2, cores))
  --jpeg-quality Q  JPEG quality for pascal / ade20k / nyudmt-mtinet (default 95)

examples:
  toyworld export --layout nyuv2 --out data/toy --count 795 --test-count 654 --size 640x480 --seed 1
  toyworld export --layout folder --out /tmp/toy --count 8 --size 128x128
  toyworld caption --seed 1 --count 5
`;

function fail(msg: string): never {
  throw new Diff2in1Error('toyworld', `${msg}\nrun 'toyworld --help' for usage`);
}

function intArg(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) fail(`${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

function parseSize(v: string | undefined): [number, number] {
  if (v === undefined) return [640, 480];
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) fail(`--size must look like 640x480, got '${v}'`);
  return [Number(m[1]), Number(m[2])];
}

async function main(argv: string[]): Promise<void> {
  const cmd = argv[0];
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') { process.stdout.write(HELP); return; }
  if (cmd === 'caption') {
    const { values } = parseArgs({ args: argv.slice(1), options: { seed: { type: 'string' }, from: { type: 'string' }, count: { type: 'string' } } });
    const seed = intArg(values.seed, '--seed', 0), from = intArg(values.from, '--from', 0), count = intArg(values.count, '--count', 10);
    for (let i = from; i < from + count; i++) process.stdout.write(`${seed}-${i}\t${sceneCaption(makeScene(seed, i))}\n`);
    return;
  }
  if (cmd !== 'export') fail(`unknown command '${cmd}'; ${choices(['export', 'caption', '--help'])}`);
  const { values } = parseArgs({
    args: argv.slice(1),
    options: {
      layout: { type: 'string' }, out: { type: 'string' }, count: { type: 'string' }, 'test-count': { type: 'string' },
      size: { type: 'string' }, seed: { type: 'string' }, samples: { type: 'string' }, variant: { type: 'string' },
      workers: { type: 'string' }, 'jpeg-quality': { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (values.help) { process.stdout.write(HELP); return; }
  if (!values.layout) fail(`--layout is required; ${choices(LAYOUT_NAMES)}`);
  if (!LAYOUT_NAMES.includes(values.layout as LayoutName)) fail(`--layout '${values.layout}' is not valid; ${choices(LAYOUT_NAMES)}`);
  if (!values.out) fail('--out DIR is required');
  if (values.count === undefined) fail('--count N is required');
  const [width, height] = parseSize(values.size);
  const variant = values.variant ?? 'invpt';
  if (variant !== 'invpt' && variant !== 'mtinet') fail(`--variant must be one of: invpt, mtinet; got '${variant}'`);
  let progress: Progress | undefined;
  const summary = await exportDataset({
    layout: values.layout as LayoutName,
    out: values.out,
    count: intArg(values.count, '--count', 0),
    testCount: intArg(values['test-count'], '--test-count', 0),
    width, height,
    seed: intArg(values.seed, '--seed', 0),
    samples: intArg(values.samples, '--samples', 2),
    variant,
    workers: values.workers === undefined ? undefined : intArg(values.workers, '--workers', 2),
    jpegQuality: intArg(values['jpeg-quality'], '--jpeg-quality', 95),
    // A redrawn line on a terminal; elsewhere a plain line every few seconds (tensor's createProgress).
    onProgress: ({ done, total, written }) => {
      if (!progress) {
        progress = createProgress({ label: `toyworld export ${values.layout}`, total, unit: 'img' });
        progress.update(done - written);
      }
      if (written > 0) progress.tick();
    },
  });
  progress?.done({ written: summary.written, skipped: summary.skipped });
  process.stderr.write(`[toyworld] ${values.layout} → ${values.out}: ${summary.written} written, ${summary.skipped} already done, ${summary.seconds.toFixed(1)} s\n`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`toyworld: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
