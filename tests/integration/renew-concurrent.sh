#!/bin/bash
# 100 `acmectl renew --cert-name X --force-renewal` at once: one renewal
# runs, and every other request is told it is running (and skipped): the
# CA sees exactly one new order, live/ moves by exactly one version, and
# the daemon answers all 100 clients. The test proxy (ca-proxy.py) in front
# of Pebble holds the finalize request 5 s, so the renewal is still running
# when the last of the 100 clients asks.
source "$(dirname "$0")/lib.sh"

start_pebble
pebble_root
start_ca_proxy
start_acmed
N=busy.$TEST_DOMAIN
assert_exit 0 "$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" -d "$N" \
	--agree-tos -m admin@example.org -n
orders0=$(grep -c 'Added order' "$T/pebble.log")
proxy_config '{"faults": [{"path": "^/finalize-order/", "delay": 5}]}'

pids=()
for i in $(seq 1 100); do
	command "$ACMECTL" --socket "$ACMED_SOCKET" renew --cert-name "$N" --force-renewal \
		>"$T/renew.$i.out" 2>&1 &
	pids+=($!)
done
renewed=0 running=0 other=0
for i in $(seq 1 100); do
	rc=0
	wait "${pids[i - 1]}" || rc=$?
	if ((rc == 0)) && grep -q "Saved as version 2 of $N" "$T/renew.$i.out"; then
		renewed=$((renewed + 1))
	elif grep -q "a renewal of it is already running" "$T/renew.$i.out"; then
		running=$((running + 1))
	else
		other=$((other + 1))
		say "client $i (exit $rc): $(tr '\n' ' ' <"$T/renew.$i.out")"
	fi
done
say "$renewed renewed, $running told it is running, $other other"
assert_eq "$renewed" 1 "clients whose request renewed"
assert_eq "$running" 99 "clients told a renewal is running"
assert_eq "$(($(grep -c 'Added order' "$T/pebble.log") - orders0))" 1 "new orders at the CA"
assert_eq "$(live_version "$N")" 2 "live/ after 100 requests"
assert_exit 0 "$ACMECTL" check

pass
