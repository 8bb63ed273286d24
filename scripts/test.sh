#!/usr/bin/env bash
# `npm test`: the whole suite against a real Kafka broker and a real Temporal server.
# Installs what is missing (npm packages, the Temporal CLI, Kafka's jars; the integration tests'
# global setup adds Temporal's time-skipping test server), starts the servers if
# they are not running, runs unit, integration and fault tests, and stops the servers again if it
# was the one that started them (the fault tests start and stop a second pair of their own, see
# docs/RELIABILITY.md). Extra arguments go to vitest (e.g. `npm test -- test/unit`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh

started_here=0
if ! bash scripts/infra.sh status >/dev/null 2>&1; then started_here=1; fi
bash scripts/infra.sh up
stop_servers() {
  if ((started_here)); then bash scripts/infra.sh down || true; fi
}
trap stop_servers EXIT

mkdir -p .data
results=.data/test-results.json
rm -f "$results"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?

# One plain closing line, the same whatever the runner prints above it.
if [[ -f "$results" ]]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$results" || true
fi
exit "$status"
