#!/bin/bash
# RFC 8738 IP identifiers: -d 127.0.0.1 -d ::1 become "ip" identifiers and
# IP SANs, validated over http-01 for real (Pebble connects to the address
# itself, IPv4 and IPv6, on the port acmed's standalone server listens on).
source "$(dirname "$0")/lib.sh"

start_pebble
pebble_root
start_acmed

assert_exit 0 acmectl certonly --standalone --http-01-port "$HTTP01_PORT" -d 127.0.0.1 \
	-d 0:0::1 --agree-tos --register-unsafely-without-email
# (The CA lists the authorizations in any order.)
assert_match "$OUT" "Authorization ./2 valid: 127.0.0.1 \\(http-01\\)"
# The IPv6 address in its canonical form (RFC 5952), as the CA names it.
assert_match "$OUT" "Authorization ./2 valid: ::1 \\(http-01\\)"
assert_match "$OUT" "Saved as version 1 of 127.0.0.1"
live=$T/state/live/127.0.0.1
assert_exit 0 openssl verify -CAfile "$PEBBLE_ROOT" -untrusted "$live/chain.pem" "$live/cert.pem"
sans=$(openssl x509 -in "$live/cert.pem" -noout -ext subjectAltName)
assert_match "$sans" "IP Address:127.0.0.1"
assert_match "$sans" "IP Address:0:0:0:0:0:0:0:1"
[[ $sans != *DNS:* ]] || fail "a DNS SAN in an IP certificate: $sans"
assert_contains "$T/state/renewal/127.0.0.1.conf" '"::1"'
# A lineage named after an IPv6 address: ':' becomes '_'.
assert_exit 0 acmectl certonly --standalone --http-01-port "$HTTP01_PORT" -d ::1
assert_match "$OUT" "Saved as version 1 of __1"
assert_exit 0 acmectl certificates --cert-name __1
assert_match "$OUT" "Domains: ::1"
# Renewal works as for names.
assert_exit 0 acmectl renew --cert-name 127.0.0.1 --force-renewal
assert_eq "$(live_version 127.0.0.1)" 2 "version after the renewal"
# What is neither a name nor an address is refused before any CA traffic.
assert_exit 2 acmectl certonly --standalone -d 192.0.2.256
assert_match "$OUT" "its last label is a number"
pass
