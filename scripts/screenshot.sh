#!/usr/bin/env bash
# `npm run screenshot`: a picture of the Temporal Web UI showing a pipeline's sensors and runs, for
# the README (docs/images/web-ui.png). This part finds headless Chromium (CHROMIUM_BIN, else
# `chromium` on PATH, else Debian's package, installed when run as root) before anything starts,
# so a machine without it stops here with what to install; then it starts the servers if needed
# and hands over to scripts/screenshot.ts, which runs a short pipeline and takes the picture.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/infra/common.sh
source scripts/infra/common.sh

if [[ -n "${CHROMIUM_BIN:-}" ]]; then
  [[ -f "$CHROMIUM_BIN" && -x "$CHROMIUM_BIN" ]] ||
    die "CHROMIUM_BIN=$CHROMIUM_BIN is not an executable file: point it at a Chromium (on Debian: apt-get install chromium), or unset it to use chromium from PATH"
else
  CHROMIUM_BIN="$(command -v chromium || command -v chromium-browser || true)"
  if [[ -z "$CHROMIUM_BIN" ]]; then
    ensure_dirs
    apt_install chromium "npm run screenshot (headless Chromium takes the picture)"
    CHROMIUM_BIN="$(command -v chromium)" || die "apt-get installed chromium but it is not on PATH"
  fi
fi
export CHROMIUM_BIN

bash scripts/ensure-deps.sh
bash scripts/infra.sh up
exec npx tsx scripts/screenshot.ts "$@"
