#!/bin/bash
# Alternate chains (RFC 8555 section 7.4.2, Link rel="alternate"): Pebble
# offers one per extra root with PEBBLE_ALTERNATE_ROOTS. --preferred-chain
# picks the chain whose topmost certificate was issued by that CN; without
# it, or when no chain matches, the default chain is kept.
source "$(dirname "$0")/lib.sh"

start_pebble PEBBLE_ALTERNATE_ROOTS=2
start_acmed
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" -n)

root_cn() { # N: CN of Pebble's root number N
	curl -sf --cacert "$PEBBLE_CA_BUNDLE" "$PEBBLE_MGMT/roots/$1" |
		openssl x509 -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p'
}
top_issuer() { # CHAIN-FILE: issuer CN of its last certificate
	awk '/BEGIN CERT/ {n++} {f[n] = f[n] $0 "\n"} END {printf "%s", f[n]}' "$1" |
		openssl x509 -noout -issuer -nameopt multiline | sed -n 's/^ *commonName *= //p'
}
verify_with_root() { # N NAME: the lineage's chain verifies against root N
	curl -sf --cacert "$PEBBLE_CA_BUNDLE" "$PEBBLE_MGMT/roots/$1" >"$T/root$1.pem"
	assert_exit 0 openssl verify -CAfile "$T/root$1.pem" \
		-untrusted "$T/state/live/$2/chain.pem" "$T/state/live/$2/cert.pem"
}

cn0=$(root_cn 0)
cn1=$(root_cn 1)
cn2=$(root_cn 2)
[[ -n $cn0 && -n $cn1 && -n $cn2 && $cn1 != "$cn0" && $cn2 != "$cn1" ]] ||
	fail "Pebble did not offer three distinct roots: '$cn0' '$cn1' '$cn2'"

assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "default.$TEST_DOMAIN" \
	--agree-tos --register-unsafely-without-email
assert_eq "$(top_issuer "$T/state/live/default.$TEST_DOMAIN/chain.pem")" "$cn0" "default chain"
verify_with_root 0 "default.$TEST_DOMAIN"

assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "alt.$TEST_DOMAIN" --preferred-chain "$cn2"
assert_eq "$(top_issuer "$T/state/live/alt.$TEST_DOMAIN/chain.pem")" "$cn2" "preferred chain"
verify_with_root 2 "alt.$TEST_DOMAIN"
# The choice is remembered for renewals.
assert_contains "$T/state/renewal/alt.$TEST_DOMAIN.conf" "preferred_chain = \"$cn2\";"

assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "nomatch.$TEST_DOMAIN" \
	--preferred-chain "No Such Root"
assert_eq "$(top_issuer "$T/state/live/nomatch.$TEST_DOMAIN/chain.pem")" "$cn0" "fallback chain"
assert_contains "$T/acmed.log" "no chain whose topmost issuer is 'No Such Root'; using the default"

pass
