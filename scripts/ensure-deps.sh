#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json, so that
# `npm test` and `npm run demo` work on a fresh clone with no separate install step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[deps] installing npm dependencies (npm ci; the first run builds better-sqlite3, about a minute)..." >&2
  npm ci --no-audit --no-fund
fi
