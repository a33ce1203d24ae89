#!/bin/bash
# ARI (RFC 9773) and ACME profiles. Pebble 2.4 has neither, so the test
# proxy (ca-proxy.py) adds "renewalInfo" and meta.profiles to Pebble's
# directory and answers the renewal-info queries itself.
#   - profiles: --profile is sent in newOrder and saved; a profile the CA
#     does not offer is a clear error before any order; acmed.conf's
#     profile is the default.
#   - ARI: a window far ahead is taken and nothing is renewed; a window in
#     the past renews at once, with "replaces" naming the old certificate;
#     a malformed or inverted answer falls back to renew_before_expiry;
#     the answer's Retry-After (clamped to 12 h) sets the next question.
source "$(dirname "$0")/lib.sh"

start_pebble
start_ca_proxy
far_start=$(date -u -d '+300 days' +%FT%TZ)
far_end=$(date -u -d '+301 days' +%FT%TZ)
proxy_config "{\"profiles\": {\"classic\": \"the default\", \"shortlived\": \"6 days\"},
	\"ari\": {\"start\": \"$far_start\", \"end\": \"$far_end\", \"retry_after\": 86400,
	\"explanation\": \"https://ca.example/why\"}}"
echo 'renew_jitter = 0;' >"$T/acmed.conf"
start_acmed

A=a.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
# The newOrder requests Pebble did not refuse for a bad nonce (it refuses 5%,
# with 400, and acmed sends the request again).
orders() {
	proxy_requests '.path == "/order-plz" and .status != 400'
}
cert_has() { # NAME FIELD: FIELD of NAME is set
	[[ $(cert_json "$1" "$2") != null ]]
}
ari_queried() { # ID: the proxy was asked for this certificate's window
	[[ -n $(proxy_requests ".cert_id == \"$1\"") ]]
}
# ari_id FILE: RFC 9773's certificate ID, computed with openssl and python
# rather than by the code under test.
ari_id() {
	local aki serial
	aki=$(openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | tr -d ' :' |
		grep -io '[0-9a-f]\{16,\}' | head -n 1)
	serial=$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)
	"$PYTHON" - "$aki" "$serial" <<-'EOF'
		import base64, sys
		aki, serial = sys.argv[1], sys.argv[2]
		if len(serial) % 2:
		    serial = "0" + serial
		if int(serial[:2], 16) >= 0x80:
		    serial = "00" + serial  # DER INTEGER: positive
		b = lambda h: base64.urlsafe_b64encode(bytes.fromhex(h)).decode().rstrip("=")
		print(b(aki) + "." + b(serial))
	EOF
}

# 1. Profiles.
assert_exit 1 "$ACMECTL" certonly "${standalone[@]}" -d "$A" --agree-tos \
	--register-unsafely-without-email --profile nosuch
assert_match "$OUT" "choosing the profile failed: the CA does not offer profile 'nosuch'; it offers: classic shortlived"
assert_eq "$(orders | wc -l)" 0 "orders placed for a bad profile"
[[ ! -e $T/state/renewal/$A.conf ]] || fail "a failed certonly created a lineage"
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$A" --profile shortlived --agree-tos \
	--register-unsafely-without-email
assert_eq "$(orders | jq -r .payload.profile)" shortlived \
	"profile in newOrder"
assert_contains "$T/state/renewal/$A.conf" 'profile = "shortlived";'

# 2. The new certificate's window is asked for at once: it is far ahead,
#    so that is when A renews, and nothing happens now.
id1=$(ari_id "$T/state/live/$A/cert.pem")
wait_until 10 "an ARI query for $A" ari_queried "$id1"
wait_until 5 "the window in certificates" cert_has "$A" ari.window_start
ws=$(date -d "$far_start" +%s)
we=$(date -d "$far_end" +%s)
assert_eq "$(cert_json "$A" ari.window_start)/$(cert_json "$A" ari.window_end)" "$ws/$we" "window"
next=$(cert_json "$A" next_renewal)
((next >= ws && next <= we)) || fail "next renewal $next is outside the window $ws..$we"
checked=$(proxy_requests ".cert_id == \"$id1\"" | jq -r '.t | floor' | tail -n 1)
nc=$(cert_json "$A" ari.next_check)
((nc >= checked + 43200 - 2 && nc <= checked + 43200 + 2)) ||
	fail "next ARI check $nc is not 12 h after $checked (Retry-After 1 day, clamped)"
assert_exit 0 "$ACMECTL" certificates --cert-name "$A"
assert_match "$OUT" "Renewal Window \\(ARI\\): $(date -u -d "$far_start" '+%F %T')\\+00:00 to "
assert_match "$OUT" "Renewal Window Explanation: https://ca.example/why"
sleep 2
assert_eq "$(live_version "$A")" 1 "no renewal for a window far ahead"

# 3. The CA moves this certificate's window into the past (other
#    certificates keep the far one). After a restart acmed asks again and
#    renews at once, telling the CA which certificate this replaces.
past_start=$(date -u -d '-2 days' +%FT%TZ)
past_end=$(date -u -d '-1 day' +%FT%TZ)
profiles='"profiles": {"classic": "the default", "shortlived": "6 days"}'
past_window() { # ID [EXTRA-JSON]: the proxy config with ID's window in the past
	proxy_config "{$profiles, \"ari\": {\"start\": \"$far_start\", \"end\": \"$far_end\",
		\"windows\": {\"$1\": {\"start\": \"$past_start\", \"end\": \"$past_end\"}}${2:-}}}"
}
past_window "$id1"
stop_acmed
start_acmed
wait_until 15 "the renewal ARI asked for" live_at_least "$A" 2
orders=$(orders)
assert_eq "$(jq -r .payload.replaces <<<"$orders" | tail -n 1)" "$id1" "replaces"
assert_eq "$(jq -r .payload.profile <<<"$orders" | tail -n 1)" shortlived "renewal keeps the profile"
assert_contains "$T/acmed.log" "$A: the CA suggests renewing between $past_start and $past_end"
sleep 2
assert_eq "$(live_version "$A")" 2 "the new certificate has the far window: no loop"

# 3b. A CA that refuses the order naming the certificate it replaces (an
#     account or names it does not match) gets the order again without it.
id2=$(ari_id "$T/state/live/$A/cert.pem")
proxy_config "{$profiles, \"ari\": {\"start\": \"$far_start\", \"end\": \"$far_end\"},
	\"faults\": [{\"path\": \"order-plz\", \"status\": 403, \"type\": \"unauthorized\",
	\"detail\": \"requester account did not request the certificate being replaced\",
	\"times\": 1}]}"
assert_exit 0 "$ACMECTL" renew --force-renewal --cert-name "$A"
orders=$(orders | tail -n 2)
assert_eq "$(jq -r '.injected // false' <<<"$orders" | tr '\n' ' ')" "true false " "refused, then placed"
assert_eq "$(jq -r '.payload.replaces // "none"' <<<"$orders" | tr '\n' ' ')" "$id2 none " \
	"the second order without replaces"
assert_eq "$(live_version "$A")" 3 "renewed after the retry"

# 3c. An answer about a certificate the lineage no longer has (it was
#     renewed while the answer was on its way) is not applied to the new
#     one: no second renewal.
id3=$(ari_id "$T/state/live/$A/cert.pem")
past_window "$id3" ', "delay": 3'
stop_acmed
start_acmed
assert_exit 0 "$ACMECTL" renew --force-renewal --cert-name "$A"
assert_eq "$(live_version "$A")" 4 "renewed by hand during the ARI check"
wait_until 10 "the late answer" grep -q "ARI check of 1 certificate(s)" "$T/acmed.log"
sleep 4
assert_eq "$(live_version "$A")" 4 "the late answer for version 3 renewed version 4"

# 4. A malformed answer, then an inverted window: the rule applies again.
for answer in malformed inverted; do
	proxy_config "{\"ari\": {\"start\": \"$far_start\", \"end\": \"$far_end\", \"answer\": \"$answer\"}}"
	stop_acmed
	start_acmed
	wait_until 10 "the $answer ARI answer noticed" cert_has "$A" ari.error
	na=$(cert_json "$A" not_after)
	assert_eq "$(cert_json "$A" next_renewal)" "$((na - 30 * 86400))" \
		"next renewal falls back to the rule ($answer)"
	assert_eq "$(cert_json "$A" ari.window_start)" null "no window kept ($answer)"
done
assert_match "$(cert_json "$A" ari.error)" "suggestedWindow ends before it starts"

# 5. acmed.conf's profile is the default for certonly without --profile.
stop_acmed
proxy_config '{"profiles": {"classic": "the default", "shortlived": "6 days"}}'
printf 'renew_jitter = 0;\nprofile = "classic";\n' >"$T/acmed.conf"
start_acmed
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "b.$TEST_DOMAIN"
assert_eq "$(orders | jq -r .payload.profile | tail -n 1)" \
	classic "acmed.conf's profile"
if grep -q profile "$T/state/renewal/b.$TEST_DOMAIN.conf"; then
	fail "acmed.conf's profile was copied into the renewal file"
fi
stop_acmed
pass
