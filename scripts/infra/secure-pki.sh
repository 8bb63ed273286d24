# shellcheck shell=bash
# Certificates and secrets of the secure test endpoints (`infra.sh up secure`), made once with
# openssl into $DATA_DIR/secure/pki: a test CA, a server certificate for localhost/127.0.0.1 (the
# secure Kafka broker and the TLS front of Temporal), a client certificate (mTLS), a second CA that
# signed nothing (for "a CA that does not match" tests), the Kafka SCRAM user's password and the
# Temporal API key. Nothing here is a real secret: it guards loopback test servers. Sourced by
# scripts/infra.sh after common.sh; `down secure --purge` deletes them.

SECURE_DIR="$DATA_DIR/secure"
PKI_DIR="$SECURE_DIR/pki"
PKI_CA="$PKI_DIR/ca.crt"
PKI_OTHER_CA="$PKI_DIR/other-ca.crt"
PKI_SERVER_CERT="$PKI_DIR/server.crt"
PKI_SERVER_KEY="$PKI_DIR/server.key"
PKI_SERVER_PEM="$PKI_DIR/server.pem"     # key + certificate: Kafka's PEM keystore
PKI_CLIENT_CERT="$PKI_DIR/client.crt"
PKI_CLIENT_KEY="$PKI_DIR/client.key"
PKI_CLIENT_PEM="$PKI_DIR/client.pem"     # key + certificate, for Kafka's own tools
KAFKA_SCRAM_USER=microbatch
KAFKA_SCRAM_PASSWORD_FILE="$PKI_DIR/kafka-scram.password"
TEMPORAL_API_KEY_FILE="$PKI_DIR/temporal-api-key"

pki_openssl() { openssl "$@" >>"$LOG_DIR/secure-pki.log" 2>&1; }

# Makes whatever is missing; idempotent. Built in a temp folder and renamed, so a half-made set is
# never used.
pki_ensure() {
  [[ -f "$PKI_DIR/.complete" ]] && return 0
  command -v openssl >/dev/null 2>&1 || die "openssl not found: apt-get install openssl"
  local tmp="$PKI_DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp" "$LOG_DIR"
  say "making test certificates in $PKI_DIR..."
  (
    cd "$tmp" || exit 1
    umask 077
    for ca in ca other-ca; do
      pki_openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=microbatch test $ca" \
        -keyout "$ca.key" -out "$ca.crt" || exit 1
    done
    # One certificate for both servers: they share the host. SANs are what clients check.
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
    pki_openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr || exit 1
    pki_openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile server.ext -out server.crt || exit 1
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    pki_openssl req -newkey rsa:2048 -nodes -subj "/CN=microbatch-client" -keyout client.key -out client.csr || exit 1
    pki_openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out client.crt || exit 1
    cat server.key server.crt >server.pem
    cat client.key client.crt >client.pem
    # Hex: no character that would need quoting in a SCRAM credential or an HTTP header.
    openssl rand -hex 16 >kafka-scram.password
    openssl rand -hex 24 >temporal-api-key
    rm -f ./*.csr ./*.ext ./*.srl
  ) || { rm -rf "$tmp"; die "making test certificates failed; see $LOG_DIR/secure-pki.log"; }
  touch "$tmp/.complete"
  rm -rf "$PKI_DIR"
  mv "$tmp" "$PKI_DIR"
}
