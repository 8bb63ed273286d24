#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or were installed from another
# package-lock.json, so that `npm test`, `npm run demo` and `npm run bench` work on a fresh clone
# with no separate install step. A stamp holding the lock file's hash records what was installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# A linked node_modules (a git worktree sharing another checkout's install) is never reinstalled:
# npm ci would empty the other checkout's folder through the link.
if [[ -L node_modules ]]; then exit 0; fi
stamp=node_modules/.installed-from-lock
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "[deps] installing npm dependencies (npm ci; the first run builds better-sqlite3, about a minute)..." >&2
  # better-sqlite3 is compiled here (its prebuilt binaries live on GitHub). node-gyp would download
  # Node's headers from nodejs.org unless told where they are; Node installs ship them beside the
  # binary (<prefix>/include/node), so point it there when nothing else was configured.
  prefix="$(cd "$(dirname "$(command -v node)")/.." && pwd)"
  if [[ -z "${npm_config_nodedir:-}" && "$(npm config get nodedir)" == "undefined" && -f "$prefix/include/node/node.h" ]]; then
    export npm_config_nodedir="$prefix"
  fi
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi
