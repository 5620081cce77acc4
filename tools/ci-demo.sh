#!/usr/bin/env bash
# The shortened demo CI runs on every change (.ci/run calls it after the tests): the whole Diff-2-in-1 pipeline —
# data → warm-up → captions → synthesis → self-improving → eval → report — with configs/ci-demo.json (a few
# iterations per stage, 64×64 toyworld, tiny SD), then checks that report.html and metrics.json hold what the demo
# promises: warm-up θW and Diff-2-in-1 θC (and θE) metrics for toyworld normals.
# Usage: bash tools/ci-demo.sh [run dir]   (default: a fresh temporary folder, removed on success)
set -euo pipefail
cd "$(dirname "$0")/.."
cli=apps/diff2in1/dist/cli.js
if [ ! -f "$cli" ]; then bash tools/bootstrap.sh; fi
if [ $# -ge 1 ]; then run=$1; keep=1; else run=$(mktemp -d "${TMPDIR:-/tmp}/diff2in1-ci-demo.XXXXXX"); keep=0; fi
start=$(date +%s)
# --threads 2: ORT intra-op threads for the 2-core CI machine (0 would also pick one per core).
node "$cli" train --config configs/ci-demo.json --run-dir "$run" --threads 2
echo "[ci-demo] pipeline finished in $(( $(date +%s) - start )) s"

node --input-type=module - "$run" <<'EOF'
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
const run = process.argv[2];
const fail = (m) => { console.error(`[ci-demo] FAIL: ${m}`); process.exit(1); };
for (const f of ['report.html', 'metrics.json', 'checkpoints/warmup.safetensors', 'checkpoints/creation.safetensors', 'checkpoints/exploitation.safetensors']) {
  if (!existsSync(join(run, f))) fail(`${f} is missing in ${run}`);
}
const m = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
const keys = ['mean', 'median', 'rmse', 'within.11.25', 'within.22.5', 'within.30'];
for (const model of ['warmup', 'creation', 'exploitation']) {
  const e = m.entries.find((x) => x.stage === 'eval' && x.model === model && x.task === 'normals' && x.split === 'test');
  if (!e) fail(`metrics.json has no eval entry for model '${model}' on test normals`);
  for (const k of keys) if (!Number.isFinite(e.metrics[k])) fail(`metrics.json: ${model} normals '${k}' is ${e.metrics[k]}`);
  console.log(`[ci-demo] ${model.padEnd(12)} mean ${e.metrics.mean.toFixed(2)}°  median ${e.metrics.median.toFixed(2)}°  within 11.25° ${e.metrics['within.11.25'].toFixed(1)} %`);
}
const html = readFileSync(join(run, 'report.html'), 'utf8');
for (const s of ['warm-up', 'Diff-2-in-1', '<svg', '<img']) if (!html.includes(s)) fail(`report.html does not contain "${s}"`);
for (const g of ['samples/eval/grid.json', 'samples/pairs/grid.json']) if (!existsSync(join(run, g))) fail(`${g} is missing`);
console.log('[ci-demo] report.html and metrics.json OK');
EOF
if [ "$keep" = 0 ]; then rm -rf "$run"; else echo "[ci-demo] run directory kept: $run"; fi
