#!/usr/bin/env bash
# `npm run demo`: the whole system from a fresh clone. Installs what is missing, starts Kafka and
# Temporal if they are not running, then runs the worker, the sensors and a producer, printing
# progress until Ctrl-C. The servers stay up afterwards (`npm run infra:down` stops them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
bash scripts/infra.sh up
exec npx tsx scripts/demo.ts "$@"
