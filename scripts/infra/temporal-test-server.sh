# shellcheck shell=bash
# Temporal's time-skipping test server, for TestWorkflowEnvironment.createTimeSkipping() in tests.
# @temporalio/testing would download it as a native binary from a host this project cannot reach;
# the same server is published on Maven Central as io.temporal:temporal-test-server (a Java
# program). This gathers its jars once into .tools/temporal-test-server-<version>/libs and writes
# .tools/bin/temporal-test-server, an executable that takes what @temporalio/testing passes to an
# `existing-path` time-skipping server (the port, then `extraArgs`) and runs
#   java -cp <its jars> io.temporal.testserver.TestServer <port> [--enable-time-skipping]
# Sourced by scripts/infra.sh after common.sh; `infra.sh paths` prints TEMPORAL_TEST_SERVER_BIN.
#
# @temporalio/testing gives the server 5 s to answer. A cold JVM needs about 2 s for this one on
# two idle cores, so the install also records a class-data-sharing archive of the server's
# startup (JDK 13+), which brings a start to about 0.7 s; it is remade when the JVM changes.

TEMPORAL_TEST_SERVER_VERSION="${TEMPORAL_TEST_SERVER_VERSION:-1.31.0}"
# Set by the user: an executable of their own (e.g. the native test server); used as it is.
TEMPORAL_TEST_SERVER_BIN_GIVEN="${TEMPORAL_TEST_SERVER_BIN:-}"
TEMPORAL_TEST_SERVER_HOME="$TOOLS_DIR/temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION"
TEMPORAL_TEST_SERVER_WRAPPER="$TOOLS_DIR/bin/temporal-test-server"
TEMPORAL_TEST_SERVER_MAIN=io.temporal.testserver.TestServer
# JVM options of every start. C1 only: starts faster, and ran a 6,000-iteration timer loop faster
# than the full JIT (7.6 against 9.5 ms an iteration on 2 busy cores). Serial GC: fewer threads
# beside the test on a small machine. The heap holds every history of the server's life (a 14-day
# loop: about 250 MB). TEMPORAL_TEST_SERVER_JAVA_OPTS (at run time) adds or overrides options.
TEMPORAL_TEST_SERVER_JVM_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx1g
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.logFile=System.err)

# Identifies the JVM the wrapper and the archive were made for: its real path and modification time.
test_server_jvm_id() {
  local java
  java="$(command -v java 2>/dev/null)" || return 1
  java="$(realpath "$java")"
  echo "$java $(stat -c %Y "$java")"
}

# Sets TEMPORAL_TEST_SERVER_BIN without fetching anything; returns 1 if it is not installed yet (or
# was installed for another JVM).
test_server_locate() {
  if [[ -n "$TEMPORAL_TEST_SERVER_BIN_GIVEN" ]]; then
    [[ -x "$TEMPORAL_TEST_SERVER_BIN_GIVEN" ]] ||
      die "TEMPORAL_TEST_SERVER_BIN=$TEMPORAL_TEST_SERVER_BIN_GIVEN is not an executable file"
    TEMPORAL_TEST_SERVER_BIN="$(realpath "$TEMPORAL_TEST_SERVER_BIN_GIVEN")"
    return 0
  fi
  [[ -f "$TEMPORAL_TEST_SERVER_HOME/.complete" && -x "$TEMPORAL_TEST_SERVER_WRAPPER" ]] || return 1
  local jvm
  jvm="$(test_server_jvm_id)" || return 1
  # The wrapper names its install and JVM in a comment line; another version or JVM: remake it.
  grep -qxF "# install: $TEMPORAL_TEST_SERVER_HOME" "$TEMPORAL_TEST_SERVER_WRAPPER" || return 1
  grep -qxF "# jvm: $jvm" "$TEMPORAL_TEST_SERVER_WRAPPER" || return 1
  TEMPORAL_TEST_SERVER_BIN="$TEMPORAL_TEST_SERVER_WRAPPER"
}

# True if what an install needs is here (or it is installed already): Java 17+ and Maven.
# Prints why not on stderr otherwise. Does not die: the servers and most tests work without it.
test_server_can_install() {
  test_server_locate && return 0
  if [[ -f "$TEMPORAL_TEST_SERVER_HOME/.complete" ]]; then
    command -v java >/dev/null 2>&1 && return 0 # only the wrapper needs remaking
  elif command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
    return 0
  fi
  say "no time-skipping test server: io.temporal:temporal-test-server needs Java 17+ (and Maven 3.6+ to fetch it)"
  say "  (or set TEMPORAL_TEST_SERVER_BIN to a test server executable); tests that need it will fail"
  return 1
}

# Makes sure TEMPORAL_TEST_SERVER_BIN is usable: fetches the jars (first run only, ~1 min) and
# writes the wrapper and its startup archive (a few seconds) when missing or made for another JVM.
test_server_ensure() {
  test_server_locate && return 0
  test_server_require_java
  [[ -f "$TEMPORAL_TEST_SERVER_HOME/.complete" ]] || test_server_fetch
  test_server_write_wrapper
  test_server_locate || die "could not install the time-skipping test server in $TEMPORAL_TEST_SERVER_HOME"
}

test_server_require_java() { require_java17 "the Temporal test server" ", or set TEMPORAL_TEST_SERVER_BIN"; }

# Gathers temporal-test-server:<version> and its runtime dependencies into
# .tools/temporal-test-server-<version>/libs. Built in a temp folder and renamed, so an
# interrupted download is never mistaken for a complete one.
test_server_fetch() {
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found: install Maven 3.6+ (apt-get install maven) so the Temporal test server can be fetched from Maven Central, or set TEMPORAL_TEST_SERVER_BIN"
  local final="$TEMPORAL_TEST_SERVER_HOME" tmp="$TEMPORAL_TEST_SERVER_HOME.tmp.$$"
  local fetchlog="$LOG_DIR/temporal-test-server-fetch.log" t0=$SECONDS rc
  say "fetching the Temporal test server $TEMPORAL_TEST_SERVER_VERSION (io.temporal:temporal-test-server) from Maven Central (first run only, about a minute; log: $fetchlog)..."
  rm -rf "$tmp"
  rc=0
  maven_copy_dependencies "$INFRA_DIR/temporal-test-server-pom.xml" "$tmp/libs" "$fetchlog" \
    -Dtemporal.test.server.version="$TEMPORAL_TEST_SERVER_VERSION" || rc=$?
  if [[ $rc -ne 0 ]] || [[ ! -f "$tmp/libs/temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION.jar" ]]; then
    rm -rf "$tmp"
    grep -E '^\[ERROR\]' "$fetchlog" | head -n 5 | sed 's/^/    /' >&2 || true
    die "could not fetch the Temporal test server $TEMPORAL_TEST_SERVER_VERSION from Maven Central (full log: $fetchlog)"
  fi
  # The class path in a fixed order: the startup archive is only used with the exact class path
  # it was recorded with (a '*' wildcard does not guarantee that).
  find "$tmp/libs" -name '*.jar' | sed "s|^$tmp/|$final/|" | sort | paste -sd: >"$tmp/classpath"
  touch "$tmp/.complete"
  rm -rf "$final"
  mv "$tmp" "$final"
  say "Temporal test server jars ready in $final ($(find "$final/libs" -name '*.jar' | wc -l) jars, $((SECONDS - t0))s)"
}

# Writes .tools/bin/temporal-test-server for the current JVM, then records its startup archive.
test_server_write_wrapper() {
  local jvm java wrapper="$TEMPORAL_TEST_SERVER_WRAPPER" tmp="$TEMPORAL_TEST_SERVER_WRAPPER.tmp.$$"
  jvm="$(test_server_jvm_id)" || die "java not found"
  java="${jvm% *}"
  mkdir -p "$TOOLS_DIR/bin"
  rm -f "$TEMPORAL_TEST_SERVER_HOME/server.jsa"
  {
    cat <<EOF
#!/usr/bin/env bash
# Temporal's time-skipping test server (io.temporal:temporal-test-server $TEMPORAL_TEST_SERVER_VERSION from Maven
# Central), for TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type:
# 'existing-path', path: <this file> } } }). Written by scripts/infra/temporal-test-server.sh, and
# rewritten when the JVM changes: edit that script, not this file.
#
# Usage: temporal-test-server <port> [--enable-time-skipping]
# @temporalio/testing passes the port, then the server's extraArgs. Without the flag, time is
# skipped only while a client asks for it (what the SDK expects); with it, from the start.
# TEMPORAL_TEST_SERVER_JAVA_OPTS adds JVM options.
# install: $TEMPORAL_TEST_SERVER_HOME
# jvm: $jvm
set -euo pipefail
home='$TEMPORAL_TEST_SERVER_HOME'
java='$java'
main='$TEMPORAL_TEST_SERVER_MAIN'
opts=($(printf "'%s' " "${TEMPORAL_TEST_SERVER_JVM_OPTS[@]}"))
EOF
    cat <<'EOF'
# The Java server answers a wrong argument with a usage line and exit code 0, which the SDK only
# reports as "did not start within 5s": refuse it here, saying what was passed.
if [[ $# -lt 1 || $# -gt 2 || ! "$1" =~ ^[0-9]+$ || ($# -eq 2 && "$2" != --enable-time-skipping) ]]; then
  echo "temporal-test-server: expected <port> [--enable-time-skipping], got: $*" >&2
  exit 2
fi
if [[ -x "$java" ]]; then
  # Class data of the server's startup, recorded at install for this JVM (0.7 s to start, not 2 s).
  if [[ -f "$home/server.jsa" ]]; then opts+=("-XX:SharedArchiveFile=$home/server.jsa"); fi
else
  java=java # that JVM is gone: any java on PATH, without the archive
fi
# shellcheck disable=SC2086 # TEMPORAL_TEST_SERVER_JAVA_OPTS is a list of options
exec "$java" "${opts[@]}" ${TEMPORAL_TEST_SERVER_JAVA_OPTS:-} -cp "$(<"$home/classpath")" "$main" "$@"
EOF
  } >"$tmp"
  chmod +x "$tmp"
  mv -f "$tmp" "$wrapper"
  test_server_record_archive
}

# Starts the server once with -XX:ArchiveClassesAtExit and stops it when it listens: the JVM
# writes the classes it loaded to server.jsa, which later starts map instead of loading them.
# Optional: without it the server starts in ~2 s instead of ~0.7 s.
test_server_record_archive() {
  local port pid i archive="$TEMPORAL_TEST_SERVER_HOME/server.jsa" log="$LOG_DIR/temporal-test-server-archive.log"
  port="$(test_server_free_port)"
  say "recording the Temporal test server's startup archive (a few seconds)..."
  TEMPORAL_TEST_SERVER_JAVA_OPTS="-XX:ArchiveClassesAtExit=$archive.tmp" \
    "$TEMPORAL_TEST_SERVER_WRAPPER" "$port" </dev/null >"$log" 2>&1 9>&- &
  pid=$!
  for ((i = 0; i < 300; i++)); do
    port_open 127.0.0.1 "$port" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1 # let it finish starting up
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ -s "$archive.tmp" ]]; then
    mv -f "$archive.tmp" "$archive"
  else
    rm -f "$archive.tmp"
    say "could not record a startup archive (see $log); the test server will start more slowly"
  fi
}

# A TCP port nothing listens on (for the one-off start above).
test_server_free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    port_open 127.0.0.1 "$port" || break
  done
  echo "$port"
}
