#!/bin/bash
# CAs that are not Pebble, shown through the test proxy (Pebble itself
# cannot do these):
#   - a CA that validates inside the challenge POST and answers it with
#     the challenge invalid: the job fails at once with the CA's reason;
#   - one that leaves the authorization pending and only the challenge
#     invalid: the same, at the first poll, not after 300 s;
#   - one that leaves the challenge pending with an error until it is
#     POSTed again (a DNS record that appeared late): acmed asks again, a
#     bounded number of times, and the certificate is issued; if the error
#     stays, the job ends after those retries with the CA's last error;
#   - registration refused: the step is named, with the CA's words;
#   - no key change (none in the directory, or keyChange answering 501):
#     said plainly, with the HTTP status;
#   - an authorization for a name not in the order: refused;
#   - escape sequences in an identifier, a Location, a problem detail:
#     nothing of them reaches acmectl's output.
source "$(dirname "$0")/lib.sh"
require_cmd jq

start_pebble PEBBLE_AUTHZREUSE=0
start_ca_proxy
start_acmed
N=ca.$TEST_DOMAIN
standalone=(--standalone --http-01-port "$HTTP01_PORT")
no_escapes() {
	! grep -q $'[\x1b\x07\x7f]' <<<"$OUT" || fail "$1: a control character reached acmectl's output"
	! grep -qP '\xc2[\x80-\x9f]' <<<"$OUT" || fail "$1: a C1 control reached acmectl's output"
}

say "registration refused by the CA: the step is named"
proxy_config '{"faults": [{"path": "^/sign-me-up", "status": 403, "type": "unauthorized",
	"detail": "no accounts \u001b[31mtoday\u0007"}]}'
assert_exit 1 "$ACMECTL" certonly "${standalone[@]}" -d "$N" --agree-tos -m admin@example.org -n
assert_match "$OUT" "registering an account failed: urn:ietf:params:acme:error:unauthorized: no accounts"
no_escapes "registration"
proxy_config '{}'
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$N" --agree-tos -m admin@example.org -n

conn_error='{"type": "urn:ietf:params:acme:error:connection", "detail": "could not connect to 192.0.2.1"}'
pebble_drop_authzs
say "the challenge POST answered with the challenge invalid: fails at once"
proxy_config '{"faults": [{"path": "^/chalZ/", "edit": {"json": {"status": "invalid",
	"error": {"type": "urn:ietf:params:acme:error:incorrectResponse", "detail": "wrong key authorization"}}}}]}'
t0=$(date +%s)
assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "answering the http-01 challenge for $N failed: the CA found the challenge invalid: urn:ietf:params:acme:error:incorrectResponse: wrong key authorization"
(($(date +%s) - t0 < 20)) || fail "an invalid challenge took $(($(date +%s) - t0)) s"

pebble_drop_authzs
say "the authorization stays pending, the challenge is invalid: fails at the first poll"
proxy_config '{"faults": [{"path": "^/authZ/", "edit": {"json": {"status": "pending"},
	"challenges": {"status": "invalid", "error": '"$conn_error"'}}}]}'
t0=$(date +%s)
assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "validating $N failed: the CA found the challenge invalid: urn:ietf:params:acme:error:connection: could not connect to 192.0.2.1"
(($(date +%s) - t0 < 20)) || fail "a pending authorization with an invalid challenge took $(($(date +%s) - t0)) s"

pebble_drop_authzs
say "the challenge pending with an error until asked again: acmed asks again"
v0=$(live_version "$N") r0=$(wc -l <"$CA_PROXY_LOG")
rm -f "$T/state/archive/$N/.pending"
proxy_config '{"faults": [{"path": "^/authZ/", "until_posts": 2, "edit": {"json": {"status": "pending"},
	"challenges": {"status": "pending", "error": '"$conn_error"'}}}]}'
assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_eq "$(live_version "$N")" "$((v0 + 1))" "issued after the challenge was asked again"
assert_contains "$T/acmed.log" "the CA could not validate the challenge \\(urn:ietf:params:acme:error:connection: could not connect to 192.0.2.1\\); asking it to try again \\(1/5\\)"
posts=$(tail -n +$((r0 + 1)) "$CA_PROXY_LOG" | jq -c 'select((.path | test("^/chalZ/")) and .method == "POST" and .payload == {} and (.status == 200 or .repost))' | wc -l)
assert_eq "$posts" 2 "challenge POSTs"

pebble_drop_authzs
say "an error that stays: the job ends after 5 retries with the CA's last error"
proxy_config '{"faults": [{"path": "^/authZ/", "until_posts": 100, "edit": {"json": {"status": "pending"},
	"challenges": {"status": "pending", "error": '"$conn_error"'}}}]}'
t0=$(date +%s)
assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "validating $N failed: the CA could not validate the challenge, also after 5 retries: urn:ietf:params:acme:error:connection: could not connect to 192.0.2.1"
took=$(($(date +%s) - t0))
((took >= 25 && took < 60)) || fail "5 retries took ${took}s (1, 2, 4, 8, 8 and 8 s apart)"
proxy_config '{}'

pebble_drop_authzs
say "an authorization for a name the order did not ask for"
proxy_config '{"faults": [{"path": "^/authZ/", "edit": {"json": {"identifier":
	{"type": "dns", "value": "evil\u001b]0;pwned\u0007.example\u009b2J"}}}}]}'
assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "the CA sent an authorization for evil.*example.*, which the order did not ask for"
no_escapes "an identifier"
proxy_config '{}'

say "escape sequences in a Location header and a problem detail"
proxy_config '{"faults": [{"path": "^/order-plz", "edit": {"set_headers":
	{"Location": "'"${ACMED_SERVER%/dir}"'/my-order/x\u001b[2J\u001b]0;t\u0007"}}}]}'
assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "Order created: https://127.0.0.1:[0-9]+/my-order/x"
no_escapes "a Location"
"$ACMECTL" --json renew --cert-name "$N" --force-renewal >"$T/out.json" 2>&1 || true
OUT=$(cat "$T/out.json")
no_escapes "a Location, --json"
proxy_config '{"faults": [{"path": "^/order-plz", "status": 400, "type": "malformed",
	"detail": "bad \u001b[31morder\u001b[0m\u007f"}]}'
assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "creating the order failed: urn:ietf:params:acme:error:malformed: bad"
no_escapes "a problem detail"
proxy_config '{}'

say "no key change: said plainly"
proxy_config '{"faults": [{"path": "^/dir$", "method": "GET", "edit": {"json": {"keyChange": null}}}]}'
assert_exit 1 "$ACMECTL" account rollover
assert_match "$OUT" "this CA does not support changing an account's key: its directory has no keyChange"
proxy_config '{"faults": [{"path": "^/rollover-account-key", "status": 501, "type": "serverInternal",
	"detail": "not implemented"}]}'
assert_exit 1 "$ACMECTL" account rollover
assert_match "$OUT" "this CA does not support changing an account's key: keyChange answered HTTP 501"
proxy_config '{}'
assert_exit 0 "$ACMECTL" account rollover
assert_exit 0 "$ACMECTL" check
pass
