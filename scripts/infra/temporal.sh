# shellcheck shell=bash
# Temporal dev server (temporal CLI `server start-dev`): find or build the CLI, start,
# health-check, stop. Sourced by scripts/infra.sh after common.sh.

# Custom search attributes the app's workflows set (NAME=Type, one per --search-attribute).
# The dev server's SQLite visibility store has a fixed number of slots per type: at most
# 3 Int, 3 Double, 3 Bool, 3 Datetime, 3 Text, 3 KeywordList and 10 Keyword. A 4th Int is
# refused at startup ("cannot have more than 3 search attributes of type Int"), so the
# offsets and partition take the Int slots (range queries: FirstOffset <= X AND
# LastOffset >= X), MessageCount is a Double (still range-queryable) and SensorReplica, an
# identifier, is a Keyword. KafkaGroup (the consumer group) and KafkaTopic together name a
# pipeline. The app's search-attribute keys (src/search-attributes.ts) must use the same types.
TEMPORAL_SEARCH_ATTRIBUTES=(
  KafkaTopic=Keyword
  KafkaGroup=Keyword
  KafkaPartition=Int
  FirstOffset=Int
  LastOffset=Int
  MessageCount=Double
  SensorReplica=Keyword
)

# The CLI reads Temporal's client settings from the environment too; those a user exported for
# the app (say, from `eval "$(infra.sh up secure)"`: the TLS front) must not reach the checks of
# the local dev server, which speaks plaintext on its own port.
unset TEMPORAL_API_KEY TEMPORAL_TLS TEMPORAL_TLS_CLIENT_CERT_PATH TEMPORAL_TLS_CLIENT_KEY_PATH \
  TEMPORAL_TLS_SERVER_CA_CERT_PATH TEMPORAL_TLS_SERVER_NAME TEMPORAL_PROFILE TEMPORAL_CONFIG_FILE \
  TEMPORAL_TLS_CLIENT_CERT_DATA TEMPORAL_TLS_CLIENT_KEY_DATA TEMPORAL_TLS_SERVER_CA_CERT_DATA

# v1.5.1 is the newest CLI tag that `go install` accepts (newer tags carry replace
# directives that go install refuses).
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
# The server's own Prometheus metrics (/metrics). Derived from the UI port, so the fault tests'
# second pair (UI 18233) gets 18235 without being told. 0 leaves the port to the CLI (a random one).
TEMPORAL_SERVER_METRICS_PORT="${TEMPORAL_SERVER_METRICS_PORT:-$((TEMPORAL_UI_PORT + 2))}"
TEMPORAL_HOST=127.0.0.1
TEMPORAL_NAMESPACE=default
TEMPORAL_DATA="$DATA_DIR/temporal"
TEMPORAL_DB="$TEMPORAL_DATA/temporal.sqlite"
TEMPORAL_LOG="$LOG_DIR/temporal.log"
TEMPORAL_PIDFILE="$RUN_DIR/temporal.pid"
TEMPORAL_START_TIMEOUT="${TEMPORAL_START_TIMEOUT:-60}"
# The SQLite journal of the server's store. The CLI leaves SQLite's default (a rollback journal,
# `delete`), where each write locks the whole file against the server's readers: every workflow
# task, timer and activity hand-off waited on it. In WAL mode readers and the writer go on side by
# side. Measured with `npm run bench` (docs/BENCHMARKS.md, "2026-12-07, afternoon: the dev
# server's SQLite journal"):
# the Temporal hops on a steady record's path 3-4x shorter, steady p99 2.35 s -> 1.45-1.50 s,
# drains about 1.2x faster. The mode is kept in the file, so going back needs
# TEMPORAL_SQLITE_JOURNAL_MODE=delete, not just its absence.
TEMPORAL_SQLITE_JOURNAL_MODE="${TEMPORAL_SQLITE_JOURNAL_MODE:-wal}"
TEMPORAL_ADDRESS="$TEMPORAL_HOST:$TEMPORAL_PORT"
TEMPORAL_UI_URL="http://localhost:$TEMPORAL_UI_PORT"

# Prints the path of a usable temporal binary without building anything; empty if none.
# Order: $TEMPORAL_BIN, then `temporal` on PATH, then .tools/bin/temporal.
temporal_find_bin() {
  if [[ -n "${TEMPORAL_BIN:-}" ]]; then
    echo "$TEMPORAL_BIN"
  elif command -v temporal >/dev/null 2>&1; then
    command -v temporal
  elif [[ -x "$TOOLS_DIR/bin/temporal" ]]; then
    echo "$TOOLS_DIR/bin/temporal"
  fi
}

# Sets TEMPORAL_BIN to a usable binary, building it with `go install` if there is none.
temporal_ensure_bin() {
  local bin
  bin="$(temporal_find_bin)"
  if [[ -n "${TEMPORAL_BIN:-}" ]]; then
    [[ -x "$TEMPORAL_BIN" ]] || die "TEMPORAL_BIN=$TEMPORAL_BIN is not an executable file"
    return 0
  fi
  if [[ -z "$bin" ]]; then
    temporal_build
    bin="$TOOLS_DIR/bin/temporal"
  fi
  TEMPORAL_BIN="$bin"
}

temporal_build() {
  local target="$TOOLS_DIR/bin/temporal" i
  # Someone (e.g. a developer by hand) may already be running the same go install into
  # .tools/bin; wait for it instead of compiling twice on a 2-core machine.
  if pgrep -f "go install github.com/temporalio/cli/cmd/temporal" >/dev/null 2>&1; then
    say "a 'go install' of the Temporal CLI is already running; waiting for $target (up to 15 min)..."
    for ((i = 0; i < 900; i++)); do
      [[ -x "$target" ]] && return 0
      pgrep -f "go install github.com/temporalio/cli/cmd/temporal" >/dev/null 2>&1 || break
      sleep 1
    done
    [[ -x "$target" ]] && return 0
  fi
  command -v go >/dev/null 2>&1 || die "no Temporal CLI found and Go is not installed: install Go 1.25+ (https://go.dev/dl), or put 'temporal' on PATH, or set TEMPORAL_BIN=/path/to/temporal, or use 'docker compose up'"
  mkdir -p "$TOOLS_DIR/bin"
  local buildlog="$LOG_DIR/temporal-build.log"
  say "building Temporal CLI $TEMPORAL_CLI_VERSION with go install (first run only, a few minutes; log: $buildlog)..."
  local t0=$SECONDS
  if ! GOBIN="$TOOLS_DIR/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >"$buildlog" 2>&1; then
    tail_log_hint "$buildlog"
    die "go install of the Temporal CLI failed (full log: $buildlog)"
  fi
  say "built $target in $((SECONDS - t0))s"
}

# True if a Temporal frontend answers on our address and has the namespace.
temporal_healthy() {
  "$TEMPORAL_BIN" operator cluster health --address "$TEMPORAL_ADDRESS" --command-timeout 3s >/dev/null 2>&1 &&
    "$TEMPORAL_BIN" operator namespace describe --address "$TEMPORAL_ADDRESS" --command-timeout 3s \
      -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1
}

# A server we did not start may lack our custom search attributes: say which are missing.
temporal_check_search_attributes() {
  local list sa missing=()
  list="$("$TEMPORAL_BIN" operator search-attribute list --address "$TEMPORAL_ADDRESS" \
    -n "$TEMPORAL_NAMESPACE" --command-timeout 5s 2>/dev/null)" || return 0
  for sa in "${TEMPORAL_SEARCH_ATTRIBUTES[@]}"; do
    grep -qE "^ *${sa%%=*} +${sa#*=}\b" <<<"$list" || missing+=("$sa")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    say "WARNING: that server lacks search attributes ${missing[*]}; add them with"
    say "  temporal operator search-attribute create --address $TEMPORAL_ADDRESS --name NAME --type TYPE"
  fi
}

# Our server's PID if it is alive, else empty. The DB path identifies our process.
temporal_pid() {
  live_pid "$TEMPORAL_PIDFILE" start-dev "$TEMPORAL_DB"
}

# Appends --ui-codec-endpoint to the array named $1 when TEMPORAL_UI_CODEC_ENDPOINT is set. Not by
# default: the UI then calls the endpoint for every workflow page and shows a red "Codec Server
# could not connect" banner whenever no worker serves it, while with the default
# BATCH_PAYLOAD=offsets no payload is large enough to be compressed. Set it (e.g. to
# http://127.0.0.1:8234, the endpoint `npm run worker` serves on CODEC_SERVER_PORT) with
# BATCH_PAYLOAD=records, or enter that address in the Web UI's Codec Server setting instead.
temporal_ui_codec_args() {
  local -n into="$1"
  if [[ -n "${TEMPORAL_UI_CODEC_ENDPOINT:-}" ]]; then
    into+=(--ui-codec-endpoint "$TEMPORAL_UI_CODEC_ENDPOINT")
  fi
}

# Starts the server if needed (does not wait; see temporal_wait). Sets TEMPORAL_STARTED=1
# when it launched a process.
temporal_start() {
  TEMPORAL_STARTED=0
  # Checked even when a running server is reused, so a typo is seen at once, not at the next start.
  case "$TEMPORAL_SQLITE_JOURNAL_MODE" in
    wal | delete | truncate | persist | memory | off) ;;
    *) die "TEMPORAL_SQLITE_JOURNAL_MODE=$TEMPORAL_SQLITE_JOURNAL_MODE is not a SQLite journal mode (wal, delete, truncate, persist, memory or off)" ;;
  esac
  local pid
  pid="$(temporal_pid)"
  if [[ -n "$pid" ]]; then
    # Alive but not answering yet: probably still starting (another up); temporal_wait waits for it.
    reusing_ours Temporal "$TEMPORAL_ADDRESS" "$TEMPORAL_PIDFILE" "$pid" temporal_healthy || TEMPORAL_STARTED=1
    return 0
  fi
  rm -f "$TEMPORAL_PIDFILE"
  if port_open "$TEMPORAL_HOST" "$TEMPORAL_PORT"; then
    if temporal_healthy; then
      say "port $TEMPORAL_PORT already serves a Temporal server not started by this script; reusing it"
      temporal_check_search_attributes
      return 0
    fi
    die "port $TEMPORAL_PORT is in use by something that is not a Temporal server; stop it or set TEMPORAL_PORT"
  fi
  if port_open "$TEMPORAL_HOST" "$TEMPORAL_UI_PORT"; then
    die "Temporal UI port $TEMPORAL_UI_PORT is already in use; stop that process or set TEMPORAL_UI_PORT"
  fi
  if [[ "$TEMPORAL_SERVER_METRICS_PORT" != 0 ]] && port_open "$TEMPORAL_HOST" "$TEMPORAL_SERVER_METRICS_PORT"; then
    die "Temporal metrics port $TEMPORAL_SERVER_METRICS_PORT is already in use; stop that process or set TEMPORAL_SERVER_METRICS_PORT (0: any free port)"
  fi

  mkdir -p "$TEMPORAL_DATA"
  rotate_log "$TEMPORAL_LOG"
  local args=(server start-dev
    --ip "$TEMPORAL_HOST" --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT"
    --db-filename "$TEMPORAL_DB" --sqlite-pragma "journal_mode=$TEMPORAL_SQLITE_JOURNAL_MODE"
    --namespace "$TEMPORAL_NAMESPACE" --log-level warn)
  temporal_ui_codec_args args
  if [[ "$TEMPORAL_SERVER_METRICS_PORT" != 0 ]]; then args+=(--metrics-port "$TEMPORAL_SERVER_METRICS_PORT"); fi
  local sa
  for sa in "${TEMPORAL_SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa"); done

  say "starting Temporal dev server on $TEMPORAL_ADDRESS (UI $TEMPORAL_UI_URL)..."
  printf '\n==== %s start: %s %s\n' "$(date -Is)" "$TEMPORAL_BIN" "${args[*]}" >>"$TEMPORAL_LOG"
  pid="$(spawn_detached "$TEMPORAL_LOG" "$TEMPORAL_BIN" "${args[@]}")"
  echo "$pid" >"$TEMPORAL_PIDFILE"
  TEMPORAL_STARTED=1
}

temporal_wait() {
  [[ "${TEMPORAL_STARTED:-0}" == 1 ]] || return 0
  wait_until_healthy Temporal "$TEMPORAL_ADDRESS" "$TEMPORAL_PIDFILE" "$TEMPORAL_LOG" "$TEMPORAL_START_TIMEOUT" 0.5 temporal_healthy
}

temporal_stop() {
  stop_server Temporal "$TEMPORAL_PIDFILE" "$(temporal_pid)" start-dev "$TEMPORAL_DB"
}

# Where the server we start serves its metrics (empty with TEMPORAL_SERVER_METRICS_PORT=0).
temporal_metrics_url() {
  if [[ "$TEMPORAL_SERVER_METRICS_PORT" != 0 ]]; then echo "http://$TEMPORAL_HOST:$TEMPORAL_SERVER_METRICS_PORT/metrics"; fi
}

# One status line on stdout; returns 0 if ours (or a reused one) is serving.
temporal_status() {
  local pid bin
  pid="$(temporal_pid)"
  bin="$(temporal_find_bin)"
  if [[ -n "$bin" ]]; then TEMPORAL_BIN="$bin"; fi
  if [[ -n "$pid" ]] && [[ -n "$bin" ]] && temporal_healthy; then
    echo "temporal: running  pid=$pid  grpc=$TEMPORAL_ADDRESS  ui=$TEMPORAL_UI_URL  metrics=$(temporal_metrics_url)  log=$TEMPORAL_LOG"
    return 0
  elif [[ -n "$pid" ]]; then
    echo "temporal: starting/unhealthy  pid=$pid  grpc=$TEMPORAL_ADDRESS  log=$TEMPORAL_LOG"
    return 1
  elif [[ -n "$bin" ]] && port_open "$TEMPORAL_HOST" "$TEMPORAL_PORT" && temporal_healthy; then
    echo "temporal: running (not started by infra.sh)  grpc=$TEMPORAL_ADDRESS  ui=$TEMPORAL_UI_URL"
    return 0
  fi
  echo "temporal: stopped  grpc=$TEMPORAL_ADDRESS  ui=$TEMPORAL_UI_URL  log=$TEMPORAL_LOG"
  return 1
}
