#!/bin/bash
# Several certonly commands at once on a fresh host (as configuration
# management runs them) share one account: the first job for a CA without
# an account registers it, and the others for that CA wait for it, then
# run side by side. Later certonly and renew commands find exactly one
# account (no "several accounts ... keep one"). `acmectl register` beside
# the first certonly takes its turn too.
source "$(dirname "$0")/lib.sh"

start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
WEB=$T/www
mkdir -p "$WEB"
start_nginx "$WEB"
start_acmed

accounts() { find "$T/state/accounts" -mindepth 3 -maxdepth 3 -type d | wc -l; }

say "four certonly commands at once, no account yet"
certonly_together "$WEB" {a,b,c,d}."$TEST_DOMAIN"
for n in a b c d; do
	assert_contains "$T/$n.$TEST_DOMAIN.out" "Successfully received certificate"
	assert_file "$T/state/live/$n.$TEST_DOMAIN/fullchain.pem"
done
assert_eq "$(accounts)" 1 "accounts registered"
# (Pebble logs every newAccount POST, a badNonce one too, and each account
# it creates.)
assert_eq "$(grep -c 'There are now [0-9]* accounts in memory' "$T/pebble.log")" 1 \
	"accounts created at Pebble"
# Those that came while the first was running waited, and the log says so
# (all three, unless a slow client came after the first had finished).
waited=$(grep -c 'waits for job [0-9]* to register an account' "$T/acmed.log")
((waited >= 1 && waited <= 3)) || fail "$waited jobs waited for the registration"

say "with the account there, certonly commands run side by side"
certonly_together "$WEB" {e,f}."$TEST_DOMAIN"
assert_eq "$(grep -c 'waits for job [0-9]* to register an account' "$T/acmed.log")" "$waited" \
	"jobs that waited, once the account existed"
assert_exit 0 "$ACMECTL" renew --force-renewal --cert-name "a.$TEST_DOMAIN"
assert_eq "$(accounts)" 1 "accounts after a renewal"
assert_exit 0 "$ACMECTL" check

say "a new host: account register and a certonly at once, twice"
# Either the register job goes first and the certonly uses its account, or
# the certonly registers and `account register` finds an account: one
# account either way (before, each registered one).
for round in 1 2; do
	stop_acmed
	rm -rf "$T/state"
	start_acmed
	"$ACMECTL" register --agree-tos -m admin@example.org -n >"$T/reg.out" 2>&1 &
	reg=$!
	"$ACMECTL" certonly --webroot -w "$WEB" -n --agree-tos -m admin@example.org \
		-d "g.$TEST_DOMAIN" >"$T/g.out" 2>&1 || fail "certonly beside a register: $(cat "$T/g.out")"
	rc=0
	wait "$reg" || rc=$?
	if ((rc != 0)); then
		assert_contains "$T/reg.out" "there is an account for .* already"
	fi
	assert_eq "$(accounts)" 1 "accounts after register and certonly at once (round $round)"
done
pass
