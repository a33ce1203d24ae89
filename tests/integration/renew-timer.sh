#!/bin/bash
# The daemon renews on its own: Pebble issues certificates valid for 30 s,
# so acmed's rule (renew_before_expiry, capped at half the lifetime under 10
# days) makes one due 15 s after issue. With renew_jitter = 0 the timer must
# fire at that moment without any acmectl call; live/ moves to version 2,
# and the deploy hook reloads a real nginx that serves live/fullchain.pem
# over TLS, so a TLS handshake then shows the new certificate's serial.
source "$(dirname "$0")/lib.sh"

start_pebble --validity 30
cat >"$T/acmed.conf" <<EOF
renew_jitter = 0;
EOF
start_acmed

D=tls.$TEST_DOMAIN
live=$T/state/live/$D
# A deploy hook as an administrator writes one: record what certbot's
# variables say, then reload nginx once it runs.
cat >"$T/deploy.sh" <<EOF
#!/bin/sh
echo "\$ACMED_HOOK \$RENEWED_LINEAGE [\$RENEWED_DOMAINS] v\$ACMED_VERSION \$ACMED_SERIAL" >>"$T/deploy.log"
if [ -f "$T/nginx-tls/nginx.pid" ]; then exec $(nginx_tls_reload_cmd); fi
EOF
chmod +x "$T/deploy.sh"
assert_exit 0 "$ACMECTL" certonly --standalone --http-01-address 127.0.0.1 \
	--http-01-port "$HTTP01_PORT" -d "$D" --agree-tos --register-unsafely-without-email \
	--deploy-hook "$T/deploy.sh"
assert_contains "$T/state/renewal/$D.conf" "deploy_hook = \"$T/deploy.sh\""
assert_eq "$(readlink "$live/cert.pem")" "../../archive/$D/cert1.pem" "live -> v1"

# The computed time: notAfter minus half the lifetime (renew_before_expiry
# is 30 days, more than half of 30 s).
nb=$(date -d "$(openssl x509 -in "$live/cert.pem" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$live/cert.pem" -noout -enddate | cut -d= -f2)" +%s)
due=$((na - (na - nb) / 2))
assert_eq "$(cert_json "$D" next_renewal)" "$due" "next_renewal"
assert_exit 0 "$ACMECTL" status
assert_match "$OUT" "Next wake-up: "

# nginx serves version 1 over TLS.
start_nginx_tls "$live/fullchain.pem" "$live/privkey.pem"
v1_serial=$(cert_serial "$live/cert.pem")
assert_eq "$(tls_serial)" "$v1_serial" "nginx serves v1"

# No acmectl from here on: the daemon's timer alone renews.
say "waiting for the timer to renew $D (due at $(date -d "@$due" +%T))"
wait_until 40 "live/$D moved to version 2" live_at_least "$D" 2
v2=$T/state/archive/$D/cert2.pem
nb2=$(date -d "$(openssl x509 -in "$v2" -noout -startdate | cut -d= -f2)" +%s)
((nb2 >= due)) || fail "version 2 was issued at $nb2, before the due time $due"
((nb2 <= due + 8)) || fail "version 2 was issued at $nb2, more than 8 s after the due time $due"
assert_contains "$T/acmed.log" "$D is due for renewal"
assert_contains "$T/acmed.log" "Renewing $D \\($D\\)"

# The deploy hook ran with certbot's variables and nginx now serves v2.
v2_serial=$(cert_serial "$v2")
wait_until 10 "nginx serves version 2" serial_is "$v2_serial"
assert_contains "$T/deploy.log" "^deploy $live \\[$D\\] v2 $v2_serial\$"
assert_contains "$T/nginx-tls/error.log" "reconfiguring"
stop_acmed
pass
