#!/usr/bin/env bash
# `npm test`: the whole suite against a real Kafka broker and a real Temporal server.
# Installs what is missing (npm packages, the Temporal CLI, Kafka's jars; the integration tests'
# global setup adds Temporal's time-skipping test server), starts the servers if
# they are not running, runs unit, integration and fault tests, and stops the servers again if it
# was the one that started them (the fault tests start and stop a second pair of their own, see
# docs/RELIABILITY.md). The integration and fault tests run once per Kafka client (see below).
# Extra arguments go to vitest (e.g. `npm test -- test/unit`).
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
rm -f .data/test-results*.json
status=0
# Each pass's exit code, kept for the closing line: vitest also exits non-zero with every test passed
# (an unhandled error, a test file that could not load, a global setup that failed), and a CI log
# that keeps only its tail must still say which pass it was.
passes=()
# The whole suite on the default Kafka client (kafkajs), then the integration, secure and fault tests
# again on each other client behind the Kafka port (src/kafka/port.ts): both must hold every guarantee.
# TEST_KAFKA_CLIENTS names the others; empty runs only the first pass.
code=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.data/test-results.json "$@" || code=$?
# Named after the client it ran on: KAFKA_CLIENT from the environment, else the default, kafkajs.
passes+=("${KAFKA_CLIENT:-kafkajs}=$code")
((code == 0)) || status=$code
for client in ${TEST_KAFKA_CLIENTS-platformatic}; do
  echo "[test] integration, secure and fault tests again with KAFKA_CLIENT=$client"
  code=0
  KAFKA_CLIENT="$client" npx vitest run --project integration --project secure --project faults --passWithNoTests \
    --reporter=default --reporter=json --outputFile.json=".data/test-results-$client.json" "$@" || code=$?
  passes+=("$client=$code")
  ((code == 0)) || status=$code
done

# One plain closing line over every pass, the same whatever the runner prints above it, then one line
# per pass that exited non-zero.
PASS_CODES="${passes[*]}" node -e '
  const fs = require("fs");
  const files = fs.readdirSync(".data").filter((f) => /^test-results.*\.json$/.test(f));
  let passed = 0, failed = 0, skipped = 0;
  for (const f of files) {
    const r = JSON.parse(fs.readFileSync(".data/" + f, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
  }
  if (files.length) console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped (${files.length} passes)`);
  for (const pass of process.env.PASS_CODES.split(" ").filter(Boolean)) {
    const [client, code] = pass.split("=");
    if (code === "0") continue;
    const why = failed ? "" : ": no test failed, so look above that pass\x27s summary for an unhandled error, a file that did not load or a global setup that failed";
    console.log(`the ${client} pass exited with code ${code}${why}`);
  }
' || true
exit "$status"
