#!/usr/bin/env bash
# Build the canvas frontend (components/canvas/frontend) into its committed bundle (dist/).
#   scripts/build_canvas.sh           rebuild dist/ from source
#   scripts/build_canvas.sh --check   rebuild, then fail if dist/ differs from what is committed
set -euo pipefail
cd "$(dirname "$0")/../components/canvas/frontend"

npm ci --no-audit --no-fund --loglevel=error
npm run build --silent

if [ "${1:-}" = "--check" ]; then
    if ! git diff --quiet -- dist || [ -n "$(git ls-files --others --exclude-standard -- dist)" ]; then
        echo "The committed canvas bundle differs from a fresh build of its source:" >&2
        git status --short -- dist >&2
        echo "Run scripts/build_canvas.sh and commit components/canvas/frontend/dist." >&2
        exit 1
    fi
    echo "canvas bundle: committed dist/ matches a fresh build"
fi
