#!/bin/bash
# acmed --oneshot, for cron and containers: load the state, renew what is
# due (with the hooks), exit 0 when nothing failed and 1 otherwise; no
# control socket. Pebble issues 40 s certificates: X and Z are due 20 s
# after issue; Y's renewal file asks for renew_before_expiry = 5s, so it is
# due only 35 s after issue. X and Y use Pebble through the test proxy, Z
# Pebble directly: two CAs, each asked first whether it offers ARI.
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
Z=z.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$X" --agree-tos \
	--register-unsafely-without-email
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$Y"
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$Z" --server "$PEBBLE_DIR_URL" \
	--agree-tos --register-unsafely-without-email
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

# 2. When X and Z are due: they are renewed, Y is not; the hooks run once;
#    no socket. The proxy's CA answers its first directory request 3 s late:
#    meanwhile the other CA's due lineage must not spin the timer.
proxy_config '{"faults": [{"method": "GET", "path": "^/dir$", "delay": 3, "times": 1}]}'
sleep_until $(($(not_after "$Z") - 19))
assert_exit 0 oneshot
[[ ! -e $T/oneshot.sock ]] || fail "--oneshot created a control socket"
assert_eq "$(live_version "$X")/$(live_version "$Y")/$(live_version "$Z")" "2/1/2" \
	"versions after the first run"
# (The two renewals run in parallel: their deploy hooks in either order.)
assert_eq "$(head -n 1 "$T/hooks.log")/$(tail -n 1 "$T/hooks.log")" "pre/post $X $Z /" \
	"pre and post hooks of the first run"
assert_eq "$(sed '1d;$d' "$T/hooks.log" | sort | tr '\n' ' ')" "deploy $X deploy $Z " \
	"deploy hooks of the first run"
assert_match "$OUT" "batch [0-9]+ done: 2 renewed, 0 failed, 0 hook failure"
wakeups=$(grep -c "next wake-up: now" <<<"$OUT" || true)
((wakeups < 10)) || fail "the timer fired $wakeups times while a CA was slow"

# 3. When Y is due and the CA is unreachable: exit 1, the failure counted.
proxy_config '{"down": true}'
sleep_until $(($(not_after "$Y") - 4))
assert_exit 1 oneshot
assert_contains "$T/state/renewal/$Y.conf" "failures = 1;"
assert_match "$OUT" "loading the CA's directory failed"
pass
