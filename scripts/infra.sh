#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local infrastructure for development and tests: a real Apache Kafka broker, a real Temporal
# dev server and a real PostgreSQL, run as plain local processes (no Docker needed), loopback only.
#
#   bash scripts/infra.sh up             start whatever is not running (idempotent)
#   bash scripts/infra.sh up secure      also the secure test endpoints (Kafka SASL_SSL + mTLS,
#                                        Temporal behind TLS); prints their client settings
#   bash scripts/infra.sh down [--purge] stop them all; --purge also deletes .data/
#   bash scripts/infra.sh down secure    stop only the secure test endpoints
#   bash scripts/infra.sh reset          same as down --purge
#   bash scripts/infra.sh status         report; exit 0 if all run, 3 if not
#   bash scripts/infra.sh paths          print TEMPORAL_BIN=..., KAFKA_BOOTSTRAP=..., DATABASE_URL=...
#                                        lines (also fetches the time-skipping test server)
#   bash scripts/infra.sh stop kafka|temporal|postgres   stop one server, keeping its data
#   bash scripts/infra.sh start kafka|temporal|postgres  start one server and wait until it answers
#   bash scripts/infra.sh kill kafka|temporal|postgres   SIGKILL one server (a crash), keeping its data
#
# Tools are cached in .tools/, state and logs live in .data/ (or $INFRA_DATA_DIR, for a second
# pair of servers on other ports). See docs/INFRA.md.
set -euo pipefail

# shellcheck source=infra/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/infra/common.sh"
# shellcheck source=infra/temporal.sh
source "$INFRA_DIR/temporal.sh"
# shellcheck source=infra/kafka.sh
source "$INFRA_DIR/kafka.sh"
# shellcheck source=infra/temporal-test-server.sh
source "$INFRA_DIR/temporal-test-server.sh"
# shellcheck source=infra/postgres.sh
source "$INFRA_DIR/postgres.sh"

# shellcheck source=infra/secure-pki.sh
source "$INFRA_DIR/secure-pki.sh"
# shellcheck source=infra/kafka-secure.sh
source "$INFRA_DIR/kafka-secure.sh"
# shellcheck source=infra/temporal-tls.sh
source "$INFRA_DIR/temporal-tls.sh"

usage() {
  sed -n '6,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

cmd_up() {
  case "${1:-}" in
    secure) ;;
    "") ;;
    *) die "unknown option for up: $1 (expected secure)" ;;
  esac
  take_lock
  cmd_up_plain
  if [[ "${1:-}" == secure ]]; then cmd_up_secure; fi
}

# The secure test endpoints, beside the usual pair (which they do not need: the TLS front of
# Temporal forwards to the usual server). Client settings go to stdout, progress to stderr, so
# `set -a; eval "$(bash scripts/infra.sh up secure)"` points every command at them.
cmd_up_secure() {
  local t0=$SECONDS
  pki_ensure
  kafka_require_java
  kafka_fetch
  kafka_secure_start
  temporal_tls_start
  kafka_secure_wait
  say "secure endpoints up in $((SECONDS - t0))s"
  kafka_secure_settings
  temporal_tls_settings
}

cmd_up_plain() {
  local t0=$SECONDS
  # Both ports already answer (ours, or e.g. `docker compose up`): nothing to start, so nothing to
  # build or fetch either; a machine with Docker alone needs neither Go nor Java for this.
  if port_open "$TEMPORAL_HOST" "$TEMPORAL_PORT" && port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    say "Kafka ($KAFKA_BOOTSTRAP) and Temporal ($TEMPORAL_ADDRESS) already answer; using them"
    postgres_up
    say "Temporal Web UI: $TEMPORAL_UI_URL"
    return 0
  fi
  # Prerequisites and downloads first, so a missing tool fails before anything starts.
  temporal_ensure_bin
  kafka_require_java
  kafka_fetch
  # Launch both before waiting on either: they start in parallel.
  temporal_start
  kafka_start
  temporal_wait
  kafka_wait
  postgres_up
  say "up in $((SECONDS - t0))s: Kafka $KAFKA_BOOTSTRAP, Temporal $TEMPORAL_ADDRESS"
  say "Temporal Web UI: $TEMPORAL_UI_URL"
}

cmd_down() {
  local purge=0
  case "${1:-}" in
    --purge) purge=1 ;;
    secure)
      take_lock
      temporal_tls_stop
      kafka_secure_stop
      return 0
      ;;
    "") ;;
    *) die "unknown option for down: $1 (expected --purge or secure)" ;;
  esac
  take_lock
  temporal_tls_stop
  kafka_secure_stop
  kafka_stop
  temporal_stop
  postgres_stop
  # Verify nothing of ours is left (matched by our own data paths, not by program name).
  local left
  left="$(pids_with_marker kafka.Kafka "$KAFKA_PROPS"; pids_with_marker start-dev "$TEMPORAL_DB"; pids_with_marker -D "$POSTGRES_DATA")"
  [[ -z "$left" ]] || die "processes still running after stop: $(echo "$left" | tr '\n' ' ')"
  if ((purge)); then
    # The lock file lives in .data/run; removing it while we hold it is harmless.
    rm -rf "$DATA_DIR"
    # A cluster kept outside it (see postgres_choose_data_dir) goes too.
    [[ "$POSTGRES_DATA" == "$DATA_DIR"/* ]] || rm -rf "$POSTGRES_DATA"
    say "deleted $DATA_DIR (tools in $TOOLS_DIR kept)"
  fi
}

# One server at a time, for the fault tests (test/faults), which stop and restart a server of
# their own pair mid-stream. Data is kept, as with `down`.
cmd_stop() {
  local server
  server="$(server_arg stop "${1:-}")"
  take_lock
  case "$server" in
    kafka) kafka_stop ;;
    temporal) temporal_stop ;;
    postgres) postgres_stop ;;
  esac
}

# A crash, for the fault tests: SIGKILL to the server and its child processes at once, so a
# PostgreSQL's backends die with its postmaster, as when the machine or container dies. (Killed
# alone, the postmaster leaves backends that still hold its shared memory until they notice, and a
# start meanwhile refuses to run; a group kill misses them, as each backend leads a process group
# of its own.) `start` then brings it back on its kept data, through crash recovery.
cmd_kill() {
  local server pid i
  server="$(server_arg kill "${1:-}")"
  take_lock
  case "$server" in
    kafka) pid="$(kafka_pid)" ;;
    temporal) pid="$(temporal_pid)" ;;
    postgres)
      if id postgres >/dev/null 2>&1; then postgres_choose_data_dir; fi
      pid="$(postgres_pid)"
      ;;
  esac
  if [[ -z "$pid" ]]; then
    say "$server not running"
    return 0
  fi
  local pids
  mapfile -t pids < <(echo "$pid"; ps -o pid= --ppid "$pid" | tr -d ' ')
  say "killing $server (SIGKILL to pid ${pids[*]})..."
  kill -KILL "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    any_alive "${pids[@]}" || break
    sleep 0.2
  done
  if any_alive "${pids[@]}"; then die "$server (pid ${pids[*]}) still alive after SIGKILL"; fi
  say "$server killed"
}

# True while one of the PIDs exists, zombies included: PostgreSQL's start takes a postmaster PID
# that still answers kill -0 for a live server, and refuses to run.
any_alive() {
  local p
  for p in "$@"; do
    [[ -e "/proc/$p" ]] && return 0
  done
  return 1
}

cmd_start() {
  local server
  server="$(server_arg start "${1:-}")"
  take_lock
  case "$server" in
    kafka)
      kafka_require_java
      kafka_fetch
      kafka_start
      kafka_wait
      ;;
    temporal)
      temporal_ensure_bin
      temporal_start
      temporal_wait
      ;;
    postgres) postgres_start ;;
  esac
}

server_arg() {
  case "$2" in
    kafka | temporal | postgres) echo "$2" ;;
    *) die "usage: infra.sh $1 kafka|temporal|postgres (got '${2:-}')" ;;
  esac
}

cmd_status() {
  local rc=0
  temporal_status || rc=3
  kafka_status || rc=3
  # Where PostgreSQL cannot be installed, `up` runs without it: it does not count against status then.
  if postgres_can_install; then postgres_status || rc=3; else postgres_status || true; fi
  return "$rc"
}

cmd_paths() {
  if [[ -z "$(temporal_find_bin)" ]] || ! test_server_locate; then
    take_lock
  fi
  temporal_ensure_bin
  # Absolute path, as @temporalio/testing's existing-path executable expects.
  TEMPORAL_BIN="$(cd "$(dirname "$TEMPORAL_BIN")" && pwd)/$(basename "$TEMPORAL_BIN")"
  echo "TEMPORAL_BIN=$TEMPORAL_BIN"
  echo "TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS"
  echo "TEMPORAL_UI_URL=$TEMPORAL_UI_URL"
  echo "KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP"
  # The local server's superuser, trusted from loopback: there is no password to leak.
  echo "DATABASE_URL=$POSTGRES_URL"
  # Only the time-skipping tests need it: without Java and Maven the line is left out (with a
  # warning) rather than failing everything else.
  if test_server_can_install; then
    test_server_ensure
    echo "TEMPORAL_TEST_SERVER_BIN=$TEMPORAL_TEST_SERVER_BIN"
  fi
}

# PostgreSQL is started by every `up` (about a second once installed; the first run installs and
# initialises it): the tests need it, and then `SINK=postgres npm run demo` needs no extra step.
# Where it cannot be installed (not root, no apt-get) `up` goes on without it, with a warning:
# only SINK=postgres and the tests that need it fail then.
postgres_up() {
  if ! postgres_locate && port_open "$POSTGRES_HOST" "$POSTGRES_PORT"; then
    say "PostgreSQL port $POSTGRES_PORT already answers (e.g. docker compose); using it"
    return 0
  fi
  if ! postgres_can_install; then
    say "WARNING: PostgreSQL is not installed and cannot be installed here (needs root and apt-get);" \
      "skipping it: SINK=postgres and the PostgreSQL tests need it (apt-get install postgresql)"
    return 0
  fi
  postgres_start
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    reset) cmd_down --purge ;;
    status) cmd_status ;;
    paths) cmd_paths ;;
    stop) cmd_stop "$@" ;;
    start) cmd_start "$@" ;;
    kill) cmd_kill "$@" ;;
    -h | --help | help) usage ;;
    *) usage; exit 2 ;;
  esac
}

main "$@"
