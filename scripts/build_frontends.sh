#!/usr/bin/env bash
# Build the components' frontends (components/*/frontend) into their committed bundles (dist/).
#   scripts/build_frontends.sh           rebuild every dist/ from source
#   scripts/build_frontends.sh --check   rebuild, then fail if a dist/ differs from what is committed
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

for frontend in "$root"/components/*/frontend; do
    (cd "$frontend" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
    if [ "${1:-}" = "--check" ]; then
        cd "$frontend"
        if ! git diff --quiet -- dist || [ -n "$(git ls-files --others -- dist)" ]; then
            echo "The committed bundle of $frontend differs from a fresh build of its source:" >&2
            git status --short --ignored -- dist >&2
            echo "Run scripts/build_frontends.sh and commit its dist/ folder." >&2
            exit 1
        fi
        echo "$(basename "$(dirname "$frontend")") bundle: committed dist/ matches a fresh build"
    fi
done
