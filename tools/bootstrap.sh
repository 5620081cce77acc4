#!/usr/bin/env bash
# Makes a fresh clone runnable: gets pnpm, installs the workspace (without onnxruntime's CUDA download,
# which needs NuGet), and builds. Fast no-op when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=10.34.8
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "[bootstrap] installing pnpm@$PNPM_VERSION with npm" >&2
  npm install -g "pnpm@$PNPM_VERSION" --silent >/dev/null 2>&1 || {
    echo "[bootstrap] npm -g failed; using npx pnpm@$PNPM_VERSION" >&2
    mkdir -p .cache/bin
    printf '#!/usr/bin/env bash\nexec npx -y pnpm@%s "$@"\n' "$PNPM_VERSION" > .cache/bin/pnpm
    chmod +x .cache/bin/pnpm
    export PATH="$PWD/.cache/bin:$PATH"
  }
fi
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.diff2in1-install-stamp
shopt -s nullglob
want=$(cat pnpm-lock.yaml pnpm-workspace.yaml package.json packages/*/package.json apps/*/package.json | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[bootstrap] pnpm install (ONNXRUNTIME_NODE_INSTALL=skip)" >&2
  if [ -n "${CI:-}" ]; then pnpm install --frozen-lockfile --reporter=append-only; else pnpm install --reporter=append-only; fi
  echo "$want" > "$stamp"
fi
pnpm exec turbo run build --output-logs=errors-only >&2
