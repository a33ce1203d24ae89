#!/bin/bash
# Failed renewals back off: 1 min, 10 min, 100 min, a day, and never before
# the CA's Retry-After (seconds or an HTTP date). The failures, the last
# error and the next attempt are kept in the renewal file, survive a
# restart and show in `acmectl certificates`.
#
# Pebble cannot be told to fail, so the test proxy (ca-proxy.py) sits in
# front of it: first it drops every connection (the CA is unreachable),
# then it answers newOrder with 503 and 429 and a Retry-After.
source "$(dirname "$0")/lib.sh"

start_pebble --validity 12
start_ca_proxy
cat >"$T/acmed.conf" <<EOF
renew_jitter = 0;
EOF
start_acmed

A=a.$TEST_DOMAIN
B=b.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$A" --agree-tos \
	--register-unsafely-without-email
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$B"
# Both are due 6 s after issue; from now on the CA is unreachable.
proxy_config '{"down": true}'

failures_at_least() { # NAME N
	local f
	f=$(cert_json "$1" failures) && ((f >= $2))
}

# 1. The timer's first attempt fails: 1 failure, next attempt a minute later.
wait_until 20 "a first failed attempt for $A" failures_at_least "$A" 1
t1=$(cert_json "$A" last_attempt)
assert_eq "$(cert_json "$A" next_attempt)" "$((t1 + 60))" "next attempt after 1 failure"
assert_match "$(cert_json "$A" last_error)" "loading the CA's directory failed"
assert_contains "$T/state/renewal/$A.conf" "failures = 1;"
assert_contains "$T/state/renewal/$A.conf" "next_attempt = \"$(date -u -d "@$((t1 + 60))" +%FT%TZ)\""
assert_exit 0 "$ACMECTL" certificates --cert-name "$A"
assert_match "$OUT" "Renewal Failures: 1 in a row"
assert_match "$OUT" "Last Error: loading the CA's directory failed"
assert_match "$OUT" "Next Attempt: $(date -u -d "@$((t1 + 60))" '+%F %T')"

# 2. The second attempt comes a minute later, not before; then 10 minutes.
say "waiting a minute for the second attempt"
wait_until 75 "a second failed attempt for $A" failures_at_least "$A" 2
t2=$(cert_json "$A" last_attempt)
((t2 >= t1 + 60 && t2 <= t1 + 62)) || fail "second attempt at +$((t2 - t1)) s, not +60 s"
assert_eq "$(cert_json "$A" next_attempt)" "$((t2 + 600))" "next attempt after 2 failures"
# B was issued a moment later: its attempts come a moment later too.
wait_until 5 "a second failed attempt for $B" failures_at_least "$B" 2
tb=$(cert_json "$B" last_attempt)
between=$(proxy_requests ".t > $t1 + 2 and .t < $t2 - 1 and (.t < $tb - 61 or .t > $tb - 59)" |
	wc -l)
assert_eq "$between" 0 "requests to the CA between the two attempts"

# 3. A restart keeps the count and the schedule.
stop_acmed
start_acmed
assert_eq "$(cert_json "$A" failures)" 2 "failures after a restart"
assert_eq "$(cert_json "$A" next_attempt)" "$((t2 + 600))" "next attempt after a restart"

# 4. The CA is back but answers newOrder with 503 and Retry-After: 7200. An
#    administrator's `renew` tries at once (no backoff for a command); the
#    next attempt then waits for the Retry-After, beyond the backoff.
proxy_config '{"faults": [{"path": "order-plz", "status": 503, "retry_after": "7200",
	"type": "serverInternal", "detail": "maintenance"}]}'
assert_exit 1 "$ACMECTL" renew --cert-name "$A"
assert_match "$OUT" "creating the order failed: urn:ietf:params:acme:error:serverInternal: maintenance"
now=$(date +%s)
ra=$(cert_json "$A" retry_after)
((ra >= now + 7195 && ra <= now + 7200)) || fail "retry_after $ra is not now + 7200"
assert_eq "$(cert_json "$A" next_attempt)" "$ra" "the next attempt waits for Retry-After"
assert_eq "$(cert_json "$A" failures)" 3 "failures"

# 5. Before that deadline nothing reaches the CA for A: not a command, not a
#    restart.
lines=$(wc -l <"$CA_PROXY_LOG")
assert_exit 1 "$ACMECTL" renew --cert-name "$A" --force-renewal
assert_match "$OUT" "the CA asked not to be contacted before $(date -u -d "@$ra" +%FT%TZ)"
stop_acmed
start_acmed
assert_exit 0 "$ACMECTL" certificates
assert_eq "$(wc -l <"$CA_PROXY_LOG")" "$lines" "requests to the CA during its Retry-After"

# 6. 429 rateLimited with an HTTP-date Retry-After, for B.
when=$(($(date +%s) + 3 * 3600))
http_date=$(LC_ALL=C date -u -d "@$when" '+%a, %d %b %Y %H:%M:%S GMT')
proxy_config "{\"faults\": [{\"path\": \"order-plz\", \"status\": 429, \"type\": \"rateLimited\",
	\"retry_after\": \"$http_date\", \"detail\": \"too many certificates\"}]}"
assert_exit 1 "$ACMECTL" renew --cert-name "$B"
assert_match "$OUT" "rateLimited: too many certificates"
assert_eq "$(cert_json "$B" retry_after)" "$when" "HTTP-date Retry-After"
assert_eq "$(cert_json "$B" next_attempt)" "$when" "B waits for the date"
assert_exit 0 "$ACMECTL" certificates --cert-name "$B"
assert_match "$OUT" "CA Retry-After: $(date -u -d "@$when" '+%F %T')"

stop_acmed
pass
