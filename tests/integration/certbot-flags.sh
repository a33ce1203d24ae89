#!/bin/bash
# certbot's flags and verbs as a certbot user types them, with certbot 2.1
# run side by side on the same Pebble (through the test proxy, which logs
# what the CA is sent) wherever certbot has an answer, and the same exit
# status asserted:
#   - -m a,b gives the account two contacts; --user-agent reaches the CA
#     after acmed's own product token; --no-eff-email, --eff-email,
#     --disable-hook-validation, --issuance-timeout are accepted, and -v
#     shows the job's debug lines although acmed logs at info and says
#     what a no-op flag does not do;
#   - -q prints nothing, before or after the verb, for certonly, renew
#     (so cron mails nothing) and certificates; renew -q still says what
#     failed, and exits 1;
#   - --webroot-map issues with two web roots, alone and with -w and -d;
#   - --issuance-timeout bounds the wait for an order the CA keeps
#     "processing";
#   - certbot's verbs run acmectl's (register, show_account,
#     update_account, unregister, update_symlinks, plugins) or name the
#     acmectl command and exit 2; an unknown verb gets "did you mean";
#     help VERB, --help VERB and VERB --help print the verb's help;
#   - acmed made renewal-hooks/{pre,deploy,post}.
source "$(dirname "$0")/lib.sh"

require_cmd certbot
# No bad nonces: certbot 2.1 retries one only once.
start_pebble PEBBLE_WFE_NONCEREJECT=0
start_ca_proxy
export REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE
# At info: the debug lines -v shows come from the job, not from the log.
start_acmed --log-level info
D=$TEST_DOMAIN
VERSION=$("$ACMECTL" --version | awk '{print $2}')
CB=(certbot --config-dir "$T/le" --work-dir "$T/cb-work" --logs-dir "$T/cb-logs"
	--server "$ACMED_SERVER")
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
AGENT="flags-test/1.0 (+https://example.org/flags)"

# both WANT ACMECTL-ARGS... -- CERTBOT-ARGS...: acmectl and certbot both
# exit WANT; $OUT is acmectl's output, $CB_OUT certbot's.
both() {
	local want=$1
	local -a a=()
	shift
	while [[ $1 != -- ]]; do
		a+=("$1")
		shift
	done
	shift
	certbot_is "$want" "$@"
	assert_exit "$want" "$ACMECTL" --socket "$ACMED_SOCKET" "${a[@]}"
}

say "renewal-hooks/{pre,deploy,post} are there, 0755"
for k in pre deploy post; do
	assert_eq "$(stat -c %a "$T/state/renewal-hooks/$k")" 755 "renewal-hooks/$k"
done

say "certbot's flags are accepted; -m a,b and --user-agent reach the CA"
both 0 certonly "${standalone[@]}" -d "flags.$D" --agree-tos -n -v \
	-m a@example.org,b@example.org --no-eff-email --user-agent "$AGENT" \
	--issuance-timeout 120 --disable-hook-validation -- \
	certonly "${standalone[@]}" -d "flags.$D" --agree-tos -n -v \
	-m c@example.org,d@example.org --no-eff-email --user-agent "$AGENT" \
	--issuance-timeout 120 --disable-hook-validation
assert_match "$OUT" "^debug: POST https://127\.0\.0\.1:[0-9]+/order-plz: 201"
assert_match "$OUT" "^debug: GET https://127\.0\.0\.1:[0-9]+/dir: 200"
assert_match "$OUT" "note: --no-eff-email does nothing"
assert_match "$OUT" "Successfully received certificate"
grep -q 'acmed\[debug\]' "$T/acmed.log" && fail "acmed logged debug lines at --log-level info"
contacts=$(proxy_requests '.path == "/sign-me-up" and (.payload | type) == "object"' |
	jq -c '.payload.contact' | sort)
assert_eq "$contacts" '["mailto:a@example.org","mailto:b@example.org"]
["mailto:c@example.org","mailto:d@example.org"]' "two contacts for each client's account"
agents=$(proxy_requests '.user_agent != null' | jq -r '.user_agent' | sort -u)
grep -qxF "acmed/$VERSION $AGENT" <<<"$agents" || fail "no request with acmed's token and ours: $agents"
grep -qxF "$AGENT" <<<"$agents" || fail "certbot's --user-agent not seen: $agents"
# Without --user-agent, acmed's own token alone.
: >"$CA_PROXY_LOG"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" certonly "${standalone[@]}" -d "plain.$D" -n
assert_eq "$(proxy_requests '.user_agent != null' | jq -r '.user_agent' | sort -u)" \
	"acmed/$VERSION" "the User-Agent without --user-agent"
# Without -v, no debug line; a malformed --user-agent is refused before
# anything is sent.
assert_match "$OUT" "Successfully received certificate"
grep -q "debug:" <<<"$OUT" && fail "debug lines without -v"
assert_exit 2 "$ACMECTL" --socket "$ACMED_SOCKET" certonly "${standalone[@]}" -d "plain.$D" \
	-n --user-agent "$(printf 'x\r\nX-Injected: 1')"
assert_match "$OUT" "--user-agent: at most 256 printable ASCII characters"

say "-q prints nothing, before or after the verb"
both 0 certonly -q "${standalone[@]}" -d "quiet.$D" -n -- \
	certonly -q "${standalone[@]}" -d "quiet.$D" -n
assert_eq "$OUT" "" "acmectl certonly -q"
assert_eq "$CB_OUT" "" "certbot certonly -q"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" -q certificates
assert_eq "$OUT" "" "acmectl -q certificates"
both 0 certificates -q -- certificates -q
assert_eq "$OUT" "" "acmectl certificates -q"
both 0 renew -q --force-renewal --cert-name "quiet.$D" --no-random-sleep-on-renew -- \
	renew -q --force-renewal --cert-name "quiet.$D" --no-random-sleep-on-renew
assert_eq "$OUT" "" "acmectl renew -q"
assert_eq "$CB_OUT" "" "certbot renew -q"
assert_eq "$(live_version "quiet.$D")" 2 "renewed"
# What failed is still said, on stderr, and the exit status is 1.
proxy_config '{"faults": [{"path": "^/order-plz", "status": 500, "type": "serverInternal",
	"detail": "the CA is down"}]}'
both 1 renew -q --force-renewal --cert-name "quiet.$D" -- \
	renew -q --force-renewal --cert-name "quiet.$D" --no-random-sleep-on-renew
assert_match "$OUT" "^acmectl: renewing quiet\.$D failed: .*the CA is down"
proxy_config '{}'
# -v on renew: the job's lines, with its lineage's name; a no-op said.
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" renew -v --force-renewal \
	--cert-name "flags.$D" --no-random-sleep-on-renew
assert_match "$OUT" "^flags\.$D: debug: POST https://127\.0\.0\.1:[0-9]+/finalize-order/"
assert_match "$OUT" "note: --no-random-sleep-on-renew does nothing"

say "--webroot-map: two web roots"
WA=$T/www-a WB=$T/www-b
mkdir -p "$WA" "$WB" "$T/www-none" "$T/nginx"
cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log info;
events { worker_connections 64; }
http {
    access_log $T/nginx/access.log;
    client_body_temp_path $T/nginx/client_body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    default_type text/plain;
    server { listen 127.0.0.1:$HTTP01_PORT default_server; root $T/www-none; }
    server { listen 127.0.0.1:$HTTP01_PORT; server_name wa.$D www.wa.$D; root $WA; }
    server { listen 127.0.0.1:$HTTP01_PORT; server_name wb.$D; root $WB; }
}
EOF
[[ -x /usr/sbin/nginx ]] || skip "/usr/sbin/nginx is not installed"
spawn nginx "$T/nginx/error.log" /usr/sbin/nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" \
	-e "$T/nginx/error.log"
wait_for nginx "$SPAWNED_PID" curl -s -o /dev/null "http://127.0.0.1:$HTTP01_PORT/"
map="{\"wa.$D,www.wa.$D\": \"$WA\", \"wb.$D\": \"$WB\"}"
both 0 certonly --webroot-map "$map" -n --eff-email -- \
	certonly --webroot --webroot-map "$map" -n --eff-email
assert_contains "$T/state/renewal/wa.$D.conf" "domain = \"www.wa.$D\";"
assert_contains "$T/state/renewal/wa.$D.conf" "path = \"$WA\";"
assert_contains "$T/state/renewal/wa.$D.conf" "path = \"$WB\";"
assert_eq "$(openssl x509 -in "$T/state/live/wa.$D/cert.pem" -noout -ext subjectAltName |
	tail -n 1 | tr -d ' ')" "DNS:wa.$D,DNS:www.wa.$D,DNS:wb.$D" "the names of the map"
# With -w and -d: the map's domains are added to -d's.
both 0 certonly -w "$WA" -d "wa.$D" --webroot-map "{\"wb.$D\": \"$WB\"}" --cert-name mixed -n -- \
	certonly --webroot -w "$WA" -d "wa.$D" --webroot-map "{\"wb.$D\": \"$WB\"}" \
	--cert-name mixed -n
assert_eq "$(openssl x509 -in "$T/state/live/mixed/cert.pem" -noout -ext subjectAltName |
	tail -n 1 | tr -d ' ')" "DNS:wa.$D,DNS:wb.$D" "-d and the map's names"
# Refused before anything is sent (certbot dies on a traceback here).
assert_exit 2 "$ACMECTL" --socket "$ACMED_SOCKET" certonly --webroot-map 'not json' -n
assert_match "$OUT" "--webroot-map: not a JSON object such as"
assert_exit 2 "$ACMECTL" --socket "$ACMED_SOCKET" certonly -d "wa.$D" -w "$WA" -w "$WB" -n
assert_match "$OUT" "one of them must precede all domain flags"

say "--issuance-timeout bounds the wait for an order the CA keeps processing"
proxy_config '{"faults": [{"path": "^/(finalize-order|my-order)/",
	"edit": {"json": {"status": "processing"}}}]}'
start=$SECONDS
both 1 certonly -w "$WA" -d "wa.$D" --cert-name slow --issuance-timeout 2 -n -- \
	certonly --webroot -w "$WA" -d "wa.$D" --cert-name slow --issuance-timeout 2 -n
assert_match "$OUT" "still not done after 2 seconds"
((SECONDS - start < 60)) || fail "--issuance-timeout 2 took $((SECONDS - start)) s"
proxy_config '{}'

say "certbot's verbs"
both 0 show_account -- show_account
assert_match "$OUT" "Contact: mailto:a@example.org mailto:b@example.org"
both 0 update_account -m e@example.org,f@example.org --no-eff-email -- \
	update_account -m e@example.org,f@example.org --no-eff-email -n
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" -v show_account
assert_match "$OUT" "Contact: mailto:e@example.org mailto:f@example.org"
assert_match "$OUT" "note: certbot's 'show_account' is 'acmectl account show' here"
both 0 update_symlinks -- update_symlinks
both 0 plugins -- plugins
assert_match "$OUT" "^\* dns-rfc2136$"
assert_match "$OUT" "^Challenges: http-01, tls-alpn-01$"
both 0 unregister -- unregister -n
assert_match "$OUT" "Account deactivated"
# A new account, as certbot registers one.
both 0 register --agree-tos -m g@example.org --no-eff-email -- \
	register --agree-tos -m g@example.org --no-eff-email -n
assert_match "$OUT" "Account registered"
for v in enhance config_changes; do
	assert_exit 2 "$ACMECTL" --socket "$ACMED_SOCKET" "$v" -d "x.$D"
	assert_match "$OUT" "certbot's '$v' has no acmectl verb of its own; use acmectl [a-z]+"
done
# run and install install into nginx only (tests/integration/nginx-install.sh).
assert_exit 2 "$ACMECTL" --socket "$ACMED_SOCKET" run --webroot -w "$T" -d "x.$D"
assert_match "$OUT" "run installs into nginx and proves control through it: use --nginx"
assert_exit 2 "$ACMECTL" --socket "$ACMED_SOCKET" install --nginx
assert_match "$OUT" "install needs --cert-name NAME"
assert_exit 2 "$ACMECTL" --socket "$ACMED_SOCKET" certonly --nginx --redirect -d "x.$D"
assert_match "$OUT" "--redirect is for installing the certificate, which certonly does not do"
both 2 certonyl -d "x.$D" -- certonyl -d "x.$D"
assert_match "$OUT" "unknown command 'certonyl'; did you mean 'certonly'\?"
assert_exit 2 "$ACMECTL" --socket "$ACMED_SOCKET" updte_account
assert_match "$OUT" "did you mean 'update_account'\?"

say "help VERB, --help VERB, VERB --help"
assert_exit 0 "$ACMECTL" help certonly
help=$OUT
assert_match "$help" "^Usage: acmectl certonly"
assert_match "$help" "--webroot-map JSON"
both 0 --help certonly -- --help certonly
assert_eq "$OUT" "$help" "--help certonly"
both 0 certonly --help -- certonly --help
assert_eq "$OUT" "$help" "certonly --help"
assert_exit 0 "$ACMECTL" help renew
assert_match "$OUT" "^Usage: acmectl renew"
assert_exit 0 "$ACMECTL" help register
assert_match "$OUT" "^Usage: acmectl account"
assert_exit 2 "$ACMECTL" help certonyl
assert_match "$OUT" "did you mean 'certonly'"
assert_exit 0 "$ACMECTL" help
assert_match "$OUT" "certbot's verbs work too: register, unregister"

pass
