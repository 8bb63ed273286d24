#!/usr/bin/env bash
# `npm run temporal -- <args>`: the Temporal CLI that scripts/infra.sh uses (on PATH, TEMPORAL_BIN,
# or the one built into .tools/), so every `temporal ...` example in the README works without
# installing the CLI separately.
set -euo pipefail
bin="$(bash "$(dirname "${BASH_SOURCE[0]}")/infra.sh" paths | sed -n 's/^TEMPORAL_BIN=//p')"
# The CLI reads TEMPORAL_API_KEY but knows no _FILE variant; the app does (a mounted secret).
if [[ -z "${TEMPORAL_API_KEY:-}" && -n "${TEMPORAL_API_KEY_FILE:-}" ]]; then
  TEMPORAL_API_KEY="$(cat "$TEMPORAL_API_KEY_FILE")"
  export TEMPORAL_API_KEY
fi
exec "$bin" "$@"
