#!/bin/bash
# Clock jumps: acmed runs under libfaketime (Debian's faketime), its wall
# clock moved by editing a file while it runs; its timers stay on the real
# boot clock (FAKETIME_DONT_FAKE_MONOTONIC). Pebble issues 90-day
# certificates on the real clock.
#   +61 days: A (renew_before_expiry 30 d) is due and is renewed, B (10 d)
#             is not; the renewal does not loop although A's new certificate,
#             seen from 61 days ahead, is due again at once.
#   -30 days: nothing is due, nothing is renewed (the certificates are not
#             even valid yet by that clock).
#   A failed renewal's backoff is 1 minute by the clock it failed at; a
#   clock set back a day afterwards does not push the next attempt out by
#   a day: the backoff counts from then.
source "$(dirname "$0")/lib.sh"

LIBFAKETIME=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[[ -f $LIBFAKETIME ]] || fail "$LIBFAKETIME missing: apt-get install faketime"
start_pebble --validity 7776000 PEBBLE_AUTHZREUSE=0
pebble_root
start_ca_proxy
printf 'renew_jitter = 0;\n' >"$T/acmed.conf"
# The jobs' processes are confined to the state directory (Landlock) and
# must read the faked time too: the file lives there.
mkdir -m 0755 "$T/state"
FT=$T/state/faketime
echo "+0d" >"$FT"
# (A sanitizer build wants its runtime first among the preloads; it works
# with libfaketime before it once told not to check.)
ACMED_WRAP=(env "LD_PRELOAD=$LIBFAKETIME" "FAKETIME_TIMESTAMP_FILE=$FT"
	FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1
	"ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
start_acmed
A=a.$TEST_DOMAIN B=b.$TEST_DOMAIN
for n in "$A" "$B"; do
	assert_exit 0 "$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" -d "$n" \
		--agree-tos -m admin@example.org -n
done
echo 'renew_before_expiry = "10d";' >>"$T/state/renewal/$B.conf"
assert_exit 0 "$ACMECTL" reload
orders() { proxy_requests '.path == "/order-plz" and .status == 201' | wc -l; }

say "61 days ahead: A is due, B is not"
o0=$(orders)
echo "+61d" >"$FT"
assert_exit 0 "$ACMECTL" renew
# Any wake-up of the daemon's own timer after the jump (an ARI check, the
# alert check) finds A due first and renews it itself; renew then says so.
if [[ $OUT == *"a renewal of it is already running"* ]]; then
	wait_until 30 "the daemon's own renewal of A" live_at_least "$A" 2
else
	assert_match "$OUT" "$A/fullchain.pem \(success\)"
fi
assert_match "$OUT" "$B/fullchain.pem expires on .* \(skipped\)"
assert_eq "$(live_version "$A")" 2 "A renewed"
assert_eq "$(live_version "$B")" 1 "B not renewed"
# A's new certificate expires 90 real days from now, 29 by this clock: due
# at once again. The daemon must not renew it in a loop.
sleep 3
assert_eq "$(($(orders) - o0))" 1 "orders while 61 days ahead"
assert_eq "$(live_version "$A")" 2 "A after 3 s"
assert_contains "$T/acmed.log" "clock"

say "30 days back: nothing is due"
echo "-30d" >"$FT"
o1=$(orders)
assert_exit 0 "$ACMECTL" renew
assert_match "$OUT" "No renewals were attempted"
assert_eq "$(($(orders) - o1))" 0 "orders 30 days back"

say "the backoff follows the clock a renewal failed at"
echo "+85d" >"$FT" # B is due: 5 days left, renew_before_expiry 10 d
proxy_config '{"faults": [{"path": "^/order-plz", "status": 500, "type": "serverInternal"}]}'
assert_exit 1 "$ACMECTL" renew --cert-name "$B"
last=$(cert_json "$B" last_attempt) next=$(cert_json "$B" next_attempt)
assert_eq "$((next - last))" 60 "the first backoff"
fake_now=$(($(date +%s) + 85 * 86400))
((last - fake_now < 30 && fake_now - last < 30)) ||
	fail "the failure is dated $((last - fake_now)) s from the faked clock"
echo "+84d" >"$FT" # set back a day
assert_exit 0 "$ACMECTL" status
at=$(cert_json "$B" next_renewal)
fake_now=$(($(date +%s) + 84 * 86400))
((at - fake_now <= 61)) ||
	fail "a day back, the next attempt is $((at - fake_now)) s away instead of the 1 min backoff"
assert_contains "$T/acmed.log" "which was set back: the backoff counts from now"
proxy_config '{}'

pass
