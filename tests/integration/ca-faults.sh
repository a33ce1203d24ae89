#!/bin/bash
# A CA that misbehaves. Pebble 2.4 cannot be told to, so the test proxy
# (tests/integration/ca-proxy.py) sits in front of it and changes its
# answers: 500, a reset connection, a truncated body, a 10 MiB body, a
# wrong Content-Type, a missing Replay-Nonce or Location, an unknown order
# status, a challenge token "../x", a certificate for another key, a stall
# longer than acme_timeout (10 s here, 60 s by default), 503 and 429 with
# Retry-After (seconds and HTTP-date).
# For each, a forced renewal: it fails with an error that says what was
# wrong (or, where acmed can carry on, succeeds), in a bounded number of
# requests; the failure and its backoff are recorded; live/ is untouched
# and `acmectl check` passes; acmed keeps running.
source "$(dirname "$0")/lib.sh"

start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
start_ca_proxy
echo 'acme_timeout = "10s";' >"$T/acmed.conf"
start_acmed
N=faults.$TEST_DOMAIN
assert_exit 0 "$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" -d "$N" \
	--agree-tos -m admin@example.org -n
cp "$T/state/archive/$N/fullchain1.pem" "$T/other-key.pem" # a chain for the old key

requests() { wc -l <"$CA_PROXY_LOG"; }

# fails NAME FAULT-JSON REGEX: a forced renewal with FAULT fails, saying
# REGEX; everything else stays as it was.
fails() {
	local name=$1 fault=$2 want=$3 v0 f0 r0
	pebble_drop_authzs
	say "$name"
	v0=$(live_version "$N") f0=$(cert_json "$N" failures) r0=$(requests)
	proxy_config "{\"faults\": [$fault]}"
	assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
	assert_match "$OUT" "$want"
	proxy_config '{}'
	(($(requests) - r0 <= 40)) || fail "$name: $(($(requests) - r0)) requests for one renewal"
	assert_eq "$(live_version "$N")" "$v0" "$name: live/"
	assert_eq "$(cert_json "$N" failures)" "$((f0 + 1))" "$name: failures recorded"
	(($(cert_json "$N" next_attempt) > $(date +%s))) || fail "$name: no backoff"
	assert_exit 0 "$ACMECTL" check --cert-name "$N"
	[[ -z $(find "$T/state" -regextype posix-extended -regex '.*/\..+\.[0-9a-f]{12}') ]] ||
		fail "$name: temp files left"
}
# succeeds NAME FAULT-JSON: acmed carries on through FAULT.
succeeds() {
	local name=$1 fault=$2 v0
	pebble_drop_authzs
	say "$name"
	v0=$(live_version "$N")
	proxy_config "{\"faults\": [$fault]}"
	assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
	proxy_config '{}'
	assert_eq "$(live_version "$N")" "$((v0 + 1))" "$name: renewed"
	assert_exit 0 "$ACMECTL" check --cert-name "$N"
}

fails "HTTP 500" '{"path": "^/order-plz", "status": 500}' \
	"creating the order failed: .*serverInternal"
fails "a reset connection" '{"path": "^/order-plz", "drop": true}' \
	"creating the order failed: .*(reset|Empty reply|closed|recv)"
fails "a truncated body" '{"path": "^/order-plz", "edit": {"truncate": true}}' \
	"creating the order failed: .*(transfer closed|partial|Transferred a partial)"
fails "a 10 MiB body" '{"path": "^/order-plz", "edit": {"pad_mb": 10}}' \
	"creating the order failed: .*(too large|1 MiB|limit)"
fails "no Location for the new order" \
	'{"path": "^/order-plz", "edit": {"drop_headers": ["Location"]}}' \
	"creating the order failed: .*Location"
fails "an unknown order status" '{"path": "^/order-plz", "edit": {"json": {"status": "exploded"}}}' \
	"creating the order failed: .*a status RFC 8555 does not know: \"exploded\""
fails "a challenge token ../x" '{"path": "^/authZ/", "edit": {"token": "../x"}}' \
	"authorizing $N failed: the CA offers no challenge"
assert_contains "$T/acmed.log" 'refused: its token "../x" is not base64url'
fails "a certificate for another key" \
	"{\"path\": \"^/certZ/\", \"edit\": {\"body_file\": \"$T/other-key.pem\"}}" \
	"checking the certificate the CA sent failed: the certificate is for another key"
# The order is kept: once the CA sends the right certificate, it is taken.
[[ -e $T/state/archive/$N/.pending ]] || fail "the order of the refused certificate was dropped"
rm -f "$T/state/archive/$N/.pending" # that order would resume; the next test wants a new one
fails "a 15 s stall" '{"path": "^/order-plz", "delay": 15}' \
	"creating the order failed: .*timed out after 1[0-9]{4} milliseconds"
succeeds "no Replay-Nonce (a new one is fetched)" \
	'{"path": "^/order-plz", "edit": {"drop_headers": ["Replay-Nonce"]}}'
succeeds "Content-Type text/html on a JSON answer" \
	'{"path": "^/my-order/", "edit": {"content_type": "text/html"}}'

# Retry-After: recorded, and the CA not asked again before it.
fails "503 with Retry-After: 120" '{"path": "^/order-plz", "status": 503, "retry_after": "120"}' \
	"serverInternal"
ra=$(cert_json "$N" retry_after)
(((ra - $(date +%s)) > 100 && (ra - $(date +%s)) <= 121)) || fail "retry_after $ra"
r0=$(requests)
assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "Retry-After"
assert_eq "$(requests)" "$r0" "requests to the CA before its Retry-After"
assert_exit 0 "$ACMECTL" status

pass
