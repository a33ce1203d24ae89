#!/bin/bash
# A certonly the CA refuses with 429 and a Retry-After is remembered: the
# same certonly again (even with --force-renewal, which says a certificate
# need not be due, not that the CA may be ignored) is answered by acmed at
# once, saying until when, without a request to the CA; so is `renew` of
# that lineage. After a successful certonly nothing is held. The test proxy
# in front of Pebble plays the rate-limited CA and counts the requests.
source "$(dirname "$0")/lib.sh"

start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
start_ca_proxy
start_acmed
D=$TEST_DOMAIN
certonly() {
	"$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" --agree-tos \
		-m admin@example.org -n "$@"
}
requests() { wc -l <"$CA_PROXY_LOG"; }
limited='{"faults": [{"path": "^/order-plz", "status": 429, "retry_after": "120",
	"type": "rateLimited"}]}'

say "a new lineage refused with 429: held until its Retry-After"
N=new.$D
proxy_config "$limited"
assert_exit 1 certonly -d "$N"
assert_match "$OUT" "rateLimited.*; the CA asks not to be asked again before [0-9-]+T[0-9:]+Z \\(Retry-After\\)"
proxy_config '{}'
r0=$(requests)
assert_exit 1 certonly -d "$N"
assert_match "$OUT" "the CA \\($ACMED_SERVER\\) refused $N with a rate limit and asked not to be asked again before [0-9-]+T[0-9:]+Z \\(Retry-After\\); try again after that time"
assert_exit 1 certonly -d "$N" --force-renewal
assert_match "$OUT" "--force-renewal does not override the CA"
rc=0
certonly -d "$N" --json >"$T/held.json" 2>/dev/null || rc=$?
assert_eq "$rc/$(jq -r .error.code "$T/held.json")" 1/rate-limited "--json: held"
assert_eq "$(requests)" "$r0" "requests to the CA while it asked to wait"
assert_contains "$T/acmed.log" "certonly for $N not sent: .* asked for no new request before"
[[ ! -e $T/state/renewal/$N.conf ]] || fail "a refused certonly left a lineage"
# Other names are not held.
assert_exit 0 certonly -d "other.$D"

say "an existing lineage: certonly --force-renewal refused with 429, then held; so is renew"
E=other.$D
proxy_config "$limited"
assert_exit 1 certonly -d "$E" --force-renewal
proxy_config '{}'
r0=$(requests)
assert_exit 1 certonly -d "$E" --force-renewal
assert_match "$OUT" "refused $E with a rate limit"
assert_exit 1 "$ACMECTL" renew --cert-name "$E" --force-renewal
assert_match "$OUT" "the CA asked not to be contacted before .* \\(Retry-After\\)"
assert_eq "$(requests)" "$r0" "requests to the CA while it asked to wait"
assert_eq "$(live_version "$E")" 1 "live/ after the refusals"

stop_acmed
pass
