// The --help text of diff2in1-synthesize.
export const HELP = `diff2in1-synthesize — in-distribution synthetic images from a dataset (Diff-2-in-1, ICLR 2025, §4.2)

USAGE
  diff2in1-synthesize [run] --data <dir> --out <dir> [options]   make a synthetic dataset (default command)
  diff2in1-synthesize merge --out <dir> [--allow-partial]        combine shards' manifests
  diff2in1-synthesize generate --prompt <text> --out <file.png>  one image from pure noise (Φ_gen)
  diff2in1-synthesize --help

WHAT PARTIAL NOISE DOES
  Each real image is encoded by the VAE, noised to timestep T of the 1000-step diffusion, and denoised again with
  DDIM conditioned on the image's caption, then decoded. The noise wipes out detail but keeps the layout, so the
  result is a NEW image that still looks like the dataset. T balances the two: small T (100–300) stays close to
  the source; large T (800–999) is nearly generation from scratch, more diverse but drifting away from the data.
  The paper (and its code) uses T = 600 with a 50-step DDIM schedule spread over [0, 600): 50 UNet calls per image.
  Synthetic images carry NO labels: the self-improving stage predicts them on the fly (θC).

  --T <t>          noise to exactly timestep t, 1..999, then run --steps steps over [0, t)   (default 600, official)
  --strength <s>   instead of T: diffusers' img2img strength in [0, 1]: keep the last ⌊steps·s⌋ steps of the full
                   schedule (s = 0.6 with 50 steps → 30 steps from t = 581). s = 0 returns the source unchanged.

OPTIONS (run)
  --data <dir>           source dataset (needs captions: captions.json, e.g. from the captioner)
  --layout <name>        folder (default) | nyuv2 | nyudmt | pascal-context | ade20k
  --split <name>         split to read (default train)
  --out <dir>            output: images/<id>_k<k>.png, manifest.jsonl, captions.json, splits/train.txt, job.json
  --model <src>          diffusers folder, ONNX export folder, or 'tiny' (random test weights)   (required)
  -k, --samples <K>      samples per source image (default 1); sample k has its own seed
  --steps <n>            schedule length (default 50)
  --scheduler <s>        ddim (default, official) | pndm
  --eta <η>              DDIM η (default 0: deterministic)
  --guidance <s>         classifier-free guidance scale (default 1 = none, official)
  --negative-prompt <t>  unconditional prompt when guidance ≠ 1 (default '')
  --prompt <text>        one prompt for all images instead of their captions ('' = no caption)
  --latent <mode>        sample (default, official: a draw from the VAE posterior) | mean
  --size <H>x<W>         resize sources first (official: 512x512); sizes must be multiples of 8
  --seed <n>             job seed (default 0); per-sample seeds are hashed from (seed, source id, k)
  --limit <n>            only the first n source images
  --shard <i/N|auto>     run only items ≡ i (mod N), 0-based; see SHARDS
  --workers <W>          run W processes on this machine, each a sub-shard (use --threads 1 with W = cores)
  --threads <n>          ONNX Runtime intra-op threads per process
  --device <d>           auto (default) | cpu | cuda | webgpu
  --no-merge             do not write manifest.jsonl etc. when the job is complete
  --quiet                no progress output;  --json  print a JSON summary on stdout

SHARDS AND RESUME
  Items are (source image, k) in dataset order; shard i of N takes items whose number ≡ i (mod N). Every sample's
  seed depends only on (seed, source id, k), so shards, subsets and reruns give byte-identical images. Each shard
  appends to manifest.shard-i-of-N.jsonl; when the last item of the job is done, the finishing process writes the
  merged manifest.jsonl (canonical order), captions.json and splits/train.txt (or run 'merge').
  Rerunning a command skips finished items (image AND manifest line present). Images are written to a temp file and
  renamed, so a killed run (even kill -9) leaves no half-written image; just run the same command again.
  --shard auto reads the shard from the batch system:
    Slurm array     SLURM_ARRAY_TASK_ID, _MIN, _STEP, _COUNT       (sbatch --array=0-7)
    Kubernetes      JOB_COMPLETION_INDEX (indexed Job) with --shard auto/N, N = completions (or DIFF2IN1_SHARD_COUNT)
    anything else   DIFF2IN1_SHARD=i/N

EXAMPLES
  # the paper's setting: T = 600, 50 DDIM steps, no guidance, one sample per image, 512×512
  diff2in1-synthesize --data data/nyuv2-folder --out data/nyuv2-syn --model models/sd-v1-5 --size 512x512

  # closer to the sources, 4 samples per image, img2img strength instead of T
  diff2in1-synthesize --data toy --out toy-syn --strength 0.3 -k 4

  # 2 processes on a 2-core machine
  diff2in1-synthesize --data toy --out toy-syn --workers 2 --threads 1

  # Slurm: 8 array tasks share one output folder on a shared filesystem
  sbatch --array=0-7 --wrap "diff2in1-synthesize --data /d/nyu --out /d/syn --model /m/sd15 --shard auto"

  # Kubernetes indexed Job with completions: 8 → container args: ... --shard auto/8
  diff2in1-synthesize merge --out /d/syn          # if shards were run with --no-merge

  # the Gaussian-noise baseline / a quick look at the model
  diff2in1-synthesize generate --prompt "a bedroom with a bed" --size 512x512 --seed 1 --out bed.png
`;
