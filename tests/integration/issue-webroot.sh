#!/bin/bash
# --webroot: acmed writes the challenge files under the web root and a real
# nginx on loopback serves them to Pebble's validation (Pebble resolves every
# name to 127.0.0.1 through pebble-challtestsrv and connects to $HTTP01_PORT).
source "$(dirname "$0")/lib.sh"

start_pebble
pebble_root
WEBROOT=$T/www
mkdir -p "$WEBROOT"
start_nginx "$WEBROOT"
start_acmed

D1=web.$TEST_DOMAIN
D2=www.web.$TEST_DOMAIN
assert_exit 0 "$ACMECTL" certonly --webroot -w "$WEBROOT" -d "$D1" -d "$D2" \
	--agree-tos -m admin@example.org -n
assert_match "$OUT" "Authorization 2/2 valid"
assert_match "$OUT" "Saved as version 1 of $D1"
live=$T/state/live/$D1
assert_exit 0 openssl verify -CAfile "$T/pebble-root.pem" -untrusted "$live/chain.pem" "$live/cert.pem"
assert_eq "$(openssl pkey -in "$live/privkey.pem" -pubout | sha256sum)" \
	"$(openssl x509 -in "$live/cert.pem" -noout -pubkey | sha256sum)" "key matches cert"
assert_eq "$(readlink "$live/fullchain.pem")" "../../archive/$D1/fullchain1.pem" "live -> v1"
# The challenge files and the directories acmed created are gone again.
[ ! -e "$WEBROOT/.well-known" ] || fail "challenge files left in the webroot: $(find "$WEBROOT")"
# The renewal file remembers the webroot for each domain.
assert_contains "$T/state/renewal/$D1.conf" "domain = \"$D2\";"
assert_contains "$T/state/renewal/$D1.conf" "path = \"$WEBROOT\";"
# The account carries the contact address.
assert_contains "$(find "$T/state/accounts" -name account.json)" '"email": ?"admin@example.org"'

# A web root that already has .well-known keeps it; only our files go.
mkdir -p "$WEBROOT/.well-known/acme-challenge"
echo keep > "$WEBROOT/.well-known/acme-challenge/keep.txt"
assert_exit 0 "$ACMECTL" certonly --webroot -w "$WEBROOT" -d "$D1,$D2" -n --force-renewal
assert_match "$OUT" "Saved as version 2 of $D1"
assert_eq "$(readlink "$live/fullchain.pem")" "../../archive/$D1/fullchain2.pem" "live -> v2"
assert_eq "$(ls "$WEBROOT/.well-known/acme-challenge")" "keep.txt" "only our files removed"

pass
