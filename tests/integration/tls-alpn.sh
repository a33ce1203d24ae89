#!/bin/bash
# tls-alpn-01 (RFC 8737): acmed's standalone responder answers Pebble's
# validation for real on Pebble's tlsPort: a TLS handshake for the
# "acme-tls/1" protocol only, with a certificate carrying the name and the
# critical acmeIdentifier extension; for an IP address the name asked for
# is its reverse-DNS name (RFC 8738).
source "$(dirname "$0")/lib.sh"

require_cmd openssl
start_pebble PEBBLE_AUTHZREUSE=0 # a renewal answers challenges again
pebble_root
start_acmed

D=alpn.$TEST_DOMAIN
assert_exit 0 acmectl certonly --standalone --preferred-challenges tls-alpn-01 \
	--http-01-address 127.0.0.1 --tls-alpn-01-port "$TLSALPN_PORT" -d "$D" -d 127.0.0.1 \
	--agree-tos --register-unsafely-without-email
assert_match "$OUT" "valid: $D \\(tls-alpn-01\\)"
assert_match "$OUT" "valid: 127.0.0.1 \\(tls-alpn-01\\)"
assert_match "$OUT" "Saved as version 1 of $D"
assert_exit 0 openssl verify -CAfile "$PEBBLE_ROOT" -untrusted "$T/state/live/$D/chain.pem" \
	"$T/state/live/$D/cert.pem"
conf=$T/state/renewal/$D.conf
assert_contains "$conf" "preferred_challenges = \"tls-alpn-01\";"
assert_contains "$conf" "tlsalpn01_port = $TLSALPN_PORT;"
# The responder is gone with the job: nothing listens on the port.
! (exec 3<>"/dev/tcp/127.0.0.1/$TLSALPN_PORT") 2>/dev/null || fail "the responder still listens"
# The renewal validates the same way, unattended.
assert_exit 0 acmectl renew --cert-name "$D" --force-renewal
assert_eq "$(live_version "$D")" 2 "version after the renewal"
assert_match "$(grep 'valid:' "$T/acmed.log" | tail -2)" "tls-alpn-01"
# --webroot cannot answer it.
assert_exit 2 acmectl certonly --webroot -w "$T" --preferred-challenges tls-alpn -d "x.$TEST_DOMAIN"
assert_match "$OUT" "the webroot authenticator answers http-01 only"
pass
