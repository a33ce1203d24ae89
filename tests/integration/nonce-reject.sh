#!/bin/bash
# A CA that rejects most nonces: Pebble with PEBBLE_WFE_NONCEREJECT=90
# answers badNonce to 90% of requests whose nonce was good. acmed retries
# each with the nonce the error carries (RFC 8555 section 6.5), so 20
# issuances out of 20 succeed; the log shows the retries that took.
source "$(dirname "$0")/lib.sh"

start_pebble PEBBLE_WFE_NONCEREJECT=90
grep -q "reject 90% of good nonces" "$T/pebble.log" || fail "Pebble is not rejecting 90% of nonces"
start_acmed

ok=0
for i in $(seq 1 20); do
	if command "$ACMECTL" --socket "$ACMED_SOCKET" -q certonly --standalone \
		--http-01-port "$HTTP01_PORT" -d "n$i.$TEST_DOMAIN" --agree-tos \
		--register-unsafely-without-email -n >>"$T/issue.log" 2>&1; then
		ok=$((ok + 1))
	else
		say "issuance $i failed: $(tail -1 "$T/issue.log")"
	fi
done
assert_eq "$ok" 20 "issuances that succeeded"
retries=$(grep -c "badNonce from .*, retrying" "$T/acmed.log")
say "$retries badNonce answers retried"
((retries > 100)) || fail "only $retries badNonce retries: the fault was not active"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" check
assert_match "$OUT" "All 20 lineage\(s\) are whole"

pass
