#!/bin/bash
# Resumable orders: before an order is finalized, its URL and the new key
# are saved (archive/NAME/.pending, 0600), so a crash between finalize and
# the publish of live/ costs no second order.
#   - a renewal is killed (SIGKILL to every acmed process) while it waits
#     for the certificate download, which the test proxy (ca-proxy.py, in
#     front of Pebble) holds back: live/ is untouched, the order is saved;
#   - after a restart the next renewal finishes that order: no new order at
#     the CA, no second finalize, and the certificate saved is the one
#     Pebble issued before the crash, with the key saved with the order;
#   - an order the CA no longer has is dropped and a new one placed;
#   - a saved order whose certificate was already published (a crash after
#     the publish) is dropped too: live/ never goes back to it.
source "$(dirname "$0")/lib.sh"

start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
start_ca_proxy
start_acmed
N=resume.$TEST_DOMAIN
A=$T/state/archive/$N

orders() { proxy_requests '.method == "POST" and .path == "/order-plz" and .status == 201' | wc -l; }
# Accepted finalizes only: a badNonce (Pebble refuses 5% of nonces) is retried.
finalizes() { proxy_requests '.method == "POST" and (.path | startswith("/finalize-order/")) and .status == 200' | wc -l; }
# The daemon, its workers and their signers: all run with --state-dir.
# ("[-]" keeps the pattern from matching the command that carries it.)
acmed_procs() { pgrep -f -- "[-]-state-dir $T/state"; }
no_acmed() { ! acmed_procs >/dev/null; }
kill_acmed() {
	pkill -KILL -f -- "[-]-state-dir $T/state" || true
	wait_until 10 "every acmed process is gone" no_acmed
	stop_pid "$ACMED_PID" || true # reaped, and no longer the harness's to stop
}

assert_exit 0 "$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" -d "$N" \
	--agree-tos -m admin@example.org -n
assert_eq "$(live_version "$N")" 1 "first version"

say "a renewal is killed after finalize, before the download"
proxy_config '{"faults": [{"path": "^/certZ/", "delay": 60}]}'
o0=$(orders) f0=$(finalizes)
"$ACMECTL" renew --cert-name "$N" --force-renewal >"$T/renew1.out" 2>&1 &
renew=$!
wait_until 30 "the order was finalized" grep -q "Order finalized" "$T/renew1.out"
assert_file "$A/.pending"
assert_eq "$(stat -c %a "$A/.pending")" 600 ".pending mode"
assert_eq "$(jq -r .names[0] "$A/.pending")" "$N" "the saved order's names"
cp "$A/.pending" "$T/pending.saved"
kill_acmed
wait "$renew" 2>/dev/null || true
assert_eq "$(live_version "$N")" 1 "live/ after the crash"
[[ ! -e $A/cert2.pem ]] || fail "a version 2 appeared although nothing was downloaded"
assert_eq "$(($(orders) - o0))" 1 "orders placed by the killed attempt"
issued=$(grep -oE "Issued certificate serial [0-9a-f]+ for order" "$T/pebble.log" | tail -1 |
	awk '{print $4}')

say "after a restart, the next renewal finishes that order"
proxy_config '{}'
start_acmed
assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "Resuming order https://[^ ]+/my-order/[^ ]+ \(valid\), left by an interrupted attempt"
assert_match "$OUT" "Saved as version 2 of $N"
assert_eq "$(($(orders) - o0))" 1 "orders for the renewal, crash and restart included"
assert_eq "$(($(finalizes) - f0))" 1 "finalize requests"
assert_eq "$(cert_serial "$A/cert2.pem")" "$(sed 's/^0*//' <<<"$issued")" \
	"the certificate issued before the crash"
assert_eq "$(openssl pkey -in "$A/privkey2.pem" -pubout | sha256sum)" \
	"$(jq -r .key "$T/pending.saved" | openssl pkey -pubout | sha256sum)" "the key saved with the order"
[[ ! -e $A/.pending ]] || fail ".pending left after the publish"
assert_exit 0 "$ACMECTL" check --cert-name "$N"

say "an order the CA no longer has is dropped"
url=$(jq -r .order "$T/pending.saved")
jq --arg u "${url%/*}/no-such-order" '.order = $u' "$T/pending.saved" >"$A/.pending"
chmod 600 "$A/.pending"
o1=$(orders)
assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "Saved as version 3 of $N"
assert_contains "$T/acmed.log" "no-such-order left by an interrupted attempt cannot be finished"
assert_eq "$(($(orders) - o1))" 1 "a new order"
[[ ! -e $A/.pending ]] || fail ".pending left after the publish"

say "an order already published is not published again"
cp "$T/pending.saved" "$A/.pending"
o2=$(orders)
assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "left by an interrupted attempt is saved already \(version 2\); placing a new one"
assert_match "$OUT" "Saved as version 4 of $N"
cmp -s "$A/cert2.pem" "$A/cert4.pem" && fail "version 2's certificate was published again"
assert_eq "$(($(orders) - o2))" 1 "a new order"
assert_exit 0 "$ACMECTL" check

pass
