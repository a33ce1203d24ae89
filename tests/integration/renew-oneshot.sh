#!/bin/bash
# acmed --oneshot, for cron and containers: load the state, renew what is
# due (with the hooks), exit 0 when nothing failed and 1 otherwise; no
# control socket. Pebble issues 40 s certificates: X is due 20 s after
# issue; Y's renewal file asks for renew_before_expiry = 5s, so it is due
# only 35 s after issue.
source "$(dirname "$0")/lib.sh"

start_pebble --validity 40
start_ca_proxy
cat >"$T/acmed.conf" <<EOF
renew_jitter = 0;
pre_hook = "echo pre >>$T/hooks.log";
post_hook = "echo post \$ACMED_RENEWED / \$ACMED_FAILED >>$T/hooks.log";
EOF
start_acmed
X=x.$TEST_DOMAIN
Y=y.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$X" --agree-tos \
	--register-unsafely-without-email
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$Y"
stop_acmed
rm -f "$T/hooks.log"
echo 'renew_before_expiry = "5s";' >>"$T/state/renewal/$Y.conf"
mkdir -p "$T/state/renewal-hooks/deploy"
printf '#!/bin/sh\necho "deploy ${RENEWED_LINEAGE##*/}" >>%s\n' "$T/hooks.log" \
	>"$T/state/renewal-hooks/deploy/record"
chmod +x "$T/state/renewal-hooks/deploy/record"

oneshot() {
	"$ACMED" --oneshot --log-level debug --config "$T/acmed.conf" --state-dir "$T/state" \
		--socket "$T/oneshot.sock" --server "$ACMED_SERVER" --ca-bundle "$PEBBLE_CA_BUNDLE"
}
not_after() {
	date -d "$(openssl x509 -in "$T/state/live/$1/cert.pem" -noout -enddate | cut -d= -f2)" +%s
}
sleep_until() {
	local now
	now=$(date +%s)
	(($1 > now)) && sleep $(($1 - now))
	return 0
}

# 1. Before anything is due: nothing to do, exit 0, no hooks.
assert_exit 0 oneshot
assert_match "$OUT" "no certificate is due for renewal"
[[ ! -e $T/hooks.log ]] || fail "hooks ran with nothing due"

# 2. When X is due: X is renewed, Y is not; the hooks run once; no socket.
sleep_until $(($(not_after "$X") - 19))
assert_exit 0 oneshot
[[ ! -e $T/oneshot.sock ]] || fail "--oneshot created a control socket"
assert_eq "$(live_version "$X")/$(live_version "$Y")" "2/1" "versions after the first run"
assert_eq "$(cat "$T/hooks.log")" "pre
deploy $X
post $X /" "hooks of the first run"
assert_match "$OUT" "batch [0-9]+ done: 1 renewed, 0 failed, 0 hook failure"

# 3. When Y is due and the CA is unreachable: exit 1, the failure counted.
proxy_config '{"down": true}'
sleep_until $(($(not_after "$Y") - 4))
assert_exit 1 oneshot
assert_contains "$T/state/renewal/$Y.conf" "failures = 1;"
assert_match "$OUT" "loading the CA's directory failed"
pass
