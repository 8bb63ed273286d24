# shellcheck shell=bash
# Shared paths and helpers for scripts/infra.sh. Sourced, never run directly.
# Everything is resolved from this file's location so infra.sh works from any cwd.

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_DIR/../.." && pwd)"

TOOLS_DIR="$REPO_ROOT/.tools"   # downloaded/built tools, reusable across runs (gitignored)
# Server state; kept by `down`, removed by `down --purge`. INFRA_DATA_DIR lets a second pair of
# servers (other ports, e.g. for fault tests that stop them) live beside the usual one.
# Made absolute: the path is the marker that tells our servers from the other pair's (see
# pid_matches), so it must not depend on the caller's working directory.
DATA_DIR="$(realpath -ms "${INFRA_DATA_DIR:-$REPO_ROOT/.data}")"
LOG_DIR="$DATA_DIR/logs"
RUN_DIR="$DATA_DIR/run"         # PID files and the lock

# A log over this size is moved aside to <name>.1 when its server starts, so logs
# never grow without bound across many test runs.
LOG_ROTATE_BYTES=$((50 * 1024 * 1024))

# Progress goes to stderr so the stdout of `paths` and `status` stays machine-readable.
say() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# Copies a pom's runtime dependencies into a folder with Maven, logging to a file and printing a
# progress line every 50 downloaded files so a cold run does not look hung. Returns Maven's status.
# Usage: maven_copy_dependencies POM OUTDIR LOGFILE [more mvn arguments...]
maven_copy_dependencies() {
  local pom="$1" out="$2" log="$3" n=0 line rc
  shift 3
  set +e
  mvn -B -f "$pom" "$@" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out" 2>&1 |
    tee "$log" | while IFS= read -r line; do
      if [[ "$line" == *"Downloaded from"* ]]; then
        n=$((n + 1))
        ((n % 50 == 0)) && say "  ... $n files downloaded"
      fi
    done
  rc=${PIPESTATUS[0]}
  set -e
  return "$rc"
}

# Stops with a readable message unless a JDK 17+ is on PATH. $1: what needs it; $2: the way out
# when there is none (appended to the message).
require_java17() {
  local who="$1" otherwise="$2" major
  command -v java >/dev/null 2>&1 ||
    die "java not found: $who needs a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless)$otherwise"
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1)"
  if [[ -n "$major" && "$major" -lt 17 ]]; then
    die "java $major found but $who needs Java 17+: install a JDK 17+ or put it first on PATH"
  fi
}

ensure_dirs() { mkdir -p "$TOOLS_DIR" "$LOG_DIR" "$RUN_DIR"; }

# Serialise every mutating command (up, down, paths' build): tests' global setup and a
# user may call infra.sh at the same time. fd 9 holds the lock until this shell exits;
# servers are started with 9>&- so they do not inherit (and keep) it.
take_lock() {
  ensure_dirs
  exec 9>"$RUN_DIR/infra.lock"
  if ! flock -n 9; then
    say "another infra.sh is running; waiting for it (up to 15 min)..."
    flock -w 900 9 || die "timed out waiting for $RUN_DIR/infra.lock"
  fi
}

# True if a TCP connect to host:port succeeds within ~1s (bash /dev/tcp, no nc needed).
port_open() {
  # shellcheck disable=SC2016 # $0/$1 expand in the inner bash
  timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

read_pid() { if [[ -f "$1" ]]; then tr -dc '0-9' <"$1"; fi; }

# True if pid is alive AND every marker given is one whole argument of its command line.
# Markers (the program's main class/subcommand plus a path under DATA_DIR) guard against a
# recycled PID and against unrelated processes that merely mention our files (an editor,
# tail). Whole arguments, not substrings: /x/.data/kafka/server.properties must not match
# a second pair's /y/x/.data/kafka/server.properties.
pid_matches() {
  local pid="$1" m a found args=(); shift
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  mapfile -d '' -t args 2>/dev/null <"/proc/$pid/cmdline" || return 1 # builtin: no fork per process
  for m in "$@"; do
    found=0
    for a in "${args[@]}"; do
      if [[ "$a" == "$m" ]]; then found=1; break; fi
    done
    ((found)) || return 1
  done
}

# PIDs of live processes matching all markers, so status/up/down also find servers of ours
# whose PID file was lost. The markers include a full DATA_DIR path: nothing broad is matched,
# and a second pair of servers (another INFRA_DATA_DIR) is never mistaken for this one.
pids_with_marker() {
  local p
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [[ "$p" == "$$" || "$p" == "$BASHPID" ]] && continue
    if pid_matches "$p" "$@"; then echo "$p"; fi
  done
  return 0
}

# live_pid PIDFILE MARKER... : the PID of our server if it is alive, from its PID file or, that
# lost, by looking for a process matching the markers; empty if none is. Every server uses it.
live_pid() {
  local pidfile="$1" pid; shift
  pid="$(read_pid "$pidfile")"
  if pid_matches "$pid" "$@"; then
    echo "$pid"
  else
    pid="$(pids_with_marker "$@")"
    echo "${pid%%$'\n'*}"
  fi
}

# stop_pids NAME PID... : SIGTERM, wait up to 20s, then SIGKILL.
stop_pids() {
  local name="$1"; shift
  local pids=("$@") p i alive
  [[ ${#pids[@]} -gt 0 ]] || return 0
  say "stopping $name (pid ${pids[*]})..."
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [[ ${#alive[@]} -eq 0 ]] && return 0
    sleep 0.5
  done
  say "$name did not exit within 20s; sending SIGKILL to ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
  sleep 0.5
}

# reusing_ours NAME ADDRESS PIDFILE PID HEALTHY : a start function found the process of its own PID
# file alive. Keeps the PID file; says so and returns 0 when the server answers (HEALTHY, a
# function), 1 while it does not answer yet (another `up` is starting it) for the caller to wait.
reusing_ours() {
  local name="$1" address="$2" pidfile="$3" pid="$4" healthy="$5"
  echo "$pid" >"$pidfile"
  "$healthy" || return 1
  say "$name already running (pid $pid, $address)"
}

# stop_server NAME PIDFILE KNOWN_PID [MARKER...] : stops a server of ours, the process in its PID
# file (KNOWN_PID, may be empty) and, given markers, any process carrying them (one whose PID file
# was lost); says what it did and removes the PID file.
stop_server() {
  local name="$1" pidfile="$2" known="$3"; shift 3
  local pids=() p
  [[ -n "$known" ]] && pids+=("$known")
  if (($# > 0)); then
    for p in $(pids_with_marker "$@"); do
      [[ " ${pids[*]} " == *" $p "* ]] || pids+=("$p")
    done
  fi
  if [[ ${#pids[@]} -eq 0 ]]; then
    say "$name not running"
  else
    stop_pids "$name" "${pids[@]}"
    say "$name stopped"
  fi
  rm -f "$pidfile"
}

rotate_log() {
  local f="$1"
  if [[ -f "$f" ]] && (($(stat -c %s "$f") > LOG_ROTATE_BYTES)); then
    mv -f "$f" "$f.1"
  fi
}

# Start a command detached from the caller: own session (setsid) so it survives the
# calling shell and its Ctrl-C, stdin closed, output appended to a log, lock fd closed.
# Prints the PID (setsid execs in place when not a group leader, so $! is the server).
spawn_detached() {
  local log="$1"; shift
  setsid nohup "$@" </dev/null >>"$log" 2>&1 9>&- &
  echo $!
}

# Installs a Debian package once, as root (`npm test` needs no install step of its own on a fresh
# machine); dies naming it where that cannot be done. Usage: apt_install PACKAGE "what needs it".
apt_install() {
  local package="$1" who="$2"
  [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1 ||
    die "$package not found: $who needs it (apt-get install $package)"
  local log="$LOG_DIR/$package-install.log"
  say "installing $package with apt-get (first run only; log: $log)..."
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package"; } >"$log" 2>&1; then
    tail_log_hint "$log"
    die "apt-get could not install $package; see $log"
  fi
}

tail_log_hint() {
  local log="$1"
  if [[ -s "$log" ]]; then
    say "last lines of $log:"
    tail -n 15 "$log" | sed 's/^/    /' >&2
  fi
}

# Waits until a server just started answers its health check; dies with the end of its log if it
# exits first or does not answer in time. Usage:
#   wait_until_healthy NAME ADDRESS PIDFILE LOG TIMEOUT_S POLL_S HEALTH_FUNCTION
wait_until_healthy() {
  local name="$1" address="$2" pidfile="$3" log="$4" timeout="$5" poll="$6" healthy="$7"
  local deadline=$((SECONDS + timeout)) pid
  pid="$(read_pid "$pidfile")"
  while ! "$healthy"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      tail_log_hint "$log"
      die "$name exited during startup; see $log"
    fi
    if ((SECONDS >= deadline)); then
      tail_log_hint "$log"
      die "$name did not answer on $address within ${timeout}s (pid $pid still running); see $log"
    fi
    sleep "$poll"
  done
  say "$name ready on $address (pid $pid)"
}
