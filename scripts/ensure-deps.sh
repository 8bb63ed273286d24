#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json, so that
# `npm test` and `npm run demo` work on a fresh clone with no separate install step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# A symlinked node_modules is an install shared with another checkout (a git worktree): never
# reinstall through it. `npm ci` empties node_modules by listing and deleting its entries, which
# follows the link and wipes the other checkout's install. Install there instead.
if [[ -L node_modules ]]; then
  if [[ ! -f node_modules/.package-lock.json ]]; then
    echo "[deps] node_modules is a symlink to $(readlink node_modules) and has no install; run npm ci there" >&2
    exit 1
  fi
  exit 0
fi
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[deps] installing npm dependencies (npm ci; the first run builds better-sqlite3, about a minute)..." >&2
  npm ci --no-audit --no-fund
fi
