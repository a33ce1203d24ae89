#!/bin/bash
# acmectl reconfigure (certbot's reconfigure, which certbot 2.3 added: the
# certbot 2.1 run beside it has no such verb, so it changes the same
# settings its own way, with a new certificate, and the saved settings are
# compared):
#   - the names cannot change (certbot's words), an unknown lineage is
#     refused; neither touches the renewal file;
#   - a dry run that fails (a web root the web server does not serve)
#     leaves the renewal file byte for byte as it was and says why;
#   - a web root, a deploy hook and the key type changed: saved after the
#     dry run, no new version and no certificate from the CA, what changed
#     printed; the next renewal uses them (a lineage that reuses its key
#     gets one new key of the new kind, reused from then on);
#   - --user-agent is saved for renewals, as certbot 2.1 saves it;
#   - with CERTBOT_RECONFIGURE naming a certbot that has reconfigure (2.3
#     or later), its answers to the same requests on the same Pebble: the
#     same exit statuses and words, its renewal file left as it was by a
#     failed dry run.
source "$(dirname "$0")/lib.sh"

require_cmd certbot
start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
start_ca_proxy # its log names the authorizations to drop before a dry run
WEB=$T/www WEB2=$T/www2 NOWHERE=$T/nowhere
mkdir -p "$WEB" "$WEB2" "$NOWHERE"
start_nginx "$WEB"
NGINX_PID=$SPAWNED_PID
export REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE
CB=(certbot --config-dir "$T/le" --work-dir "$T/cb-work" --logs-dir "$T/cb-logs"
	--server "$PEBBLE_DIR_URL" --non-interactive --agree-tos -m admin@example.org
	--no-random-sleep-on-renew)
D=$TEST_DOMAIN
A=recon.$D

versions() { ls "$T/state/archive/$1" | grep -c '^cert'; }
# on_tty INPUT CMD...: CMD on a pseudo-terminal; INPUT is typed once its
# menu asks. Its output in OUT, its exit status in RC.
on_tty() {
	local input=$1
	shift
	OUT=$(python3 - "$input" "$@" <<-'PY'
		import os, pty, select, sys
		pid, fd = pty.fork()
		if pid == 0:
		    os.execvp(sys.argv[2], sys.argv[2:])
		out, sent = b"", False
		while select.select([fd], [], [], 120)[0]:
		    try:
		        data = os.read(fd, 4096)
		    except OSError:
		        break
		    if not data:
		        break
		    out += data
		    if not sent and b"to cancel)" in out:
		        os.write(fd, sys.argv[1].encode())
		        sent = True
		sys.stdout.write(out.decode(errors="replace"))
		sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
	PY
	) && RC=0 || RC=$?
}
issued() { grep -c "Issued certificate serial" "$T/pebble.log"; }
key_type() { openssl pkey -in "$1" -noout -text | head -n 1; }
CONF=$T/state/renewal/$A.conf

start_acmed
assert_exit 0 acmectl certonly --webroot -w "$WEB" -d "$A" -n --agree-tos -m admin@example.org
certbot_is 0 certonly --webroot -w "$WEB" -d "$A"
cp "$CONF" "$T/conf.0"

say "the names cannot change; an unknown lineage is refused"
assert_exit 1 acmectl reconfigure --cert-name "$A" -d "$A" -d "www.$A"
assert_match "$OUT" "You have specified domains, but this function cannot be used to modify the domains in a certificate"
cmp -s "$CONF" "$T/conf.0" || fail "a refused reconfigure changed $CONF"
assert_exit 1 acmectl reconfigure --cert-name "nope.$D" --deploy-hook true
assert_match "$OUT" "An existing certificate with name nope.$D could not be found. Run \`acmectl certificates\`"
assert_exit 2 acmectl reconfigure --cert-name "$A" --force-renewal
assert_match "$OUT" "--force-renewal has no meaning for reconfigure"
# certbot 2.1 has no reconfigure at all.
certbot_is 2 reconfigure --cert-name "$A"
assert_match "$CB_OUT" "unrecognized arguments: reconfigure"

say "a failed dry run leaves the renewal file as it was"
pebble_drop_authzs # a reused authorization would need no validation
f0=$(issued)
assert_exit 1 acmectl reconfigure --cert-name "$A" -w "$NOWHERE" --deploy-hook "touch $T/deployed"
assert_match "$OUT" "the dry run with the new settings failed, so renewal/$A.conf was not changed"
assert_match "$OUT" "validating $A"
cmp -s "$CONF" "$T/conf.0" || fail "a failed dry run changed $CONF: $(diff "$T/conf.0" "$CONF")"
assert_eq "$(versions "$A")" 1 "versions after a failed reconfigure"

say "web root, deploy hook and key type changed: saved after the dry run, no certificate spent"
stop_pid "$NGINX_PID"
start_nginx "$WEB2"
assert_exit 0 acmectl reconfigure --cert-name "$A" -w "$WEB2" --deploy-hook "touch $T/deployed" \
	--key-type rsa
assert_match "$OUT" "Successfully updated configuration."
assert_match "$OUT" "Changes will apply when the certificate renews."
assert_match "$OUT" "  deploy-hook: \(none\) -> touch $T/deployed"
assert_match "$OUT" "  key: ecdsa secp256r1 -> rsa 2048"
assert_match "$OUT" "  webroot-map: $A=$WEB -> $A=$WEB2"
assert_contains "$CONF" "path = \"$WEB2\";"
assert_contains "$CONF" "deploy_hook = \"touch $T/deployed\";"
assert_contains "$CONF" "key_type = \"rsa\";"
assert_eq "$(versions "$A")" 1 "versions after reconfigure"
assert_eq "$(issued)" "$f0" "certificates the CA issued for reconfigure's dry runs"
[[ ! -e $T/deployed ]] || fail "the dry run ran the deploy hook"
# certbot 2.1's way to the same settings: certonly with them, a new
# certificate. The map is given, not -w: certbot maps a name to the last
# -w only when it meets the name's challenge, and Pebble reuses a valid
# authorization for about 1 order in 100 (then the map saved is empty).
certbot_is 0 certonly --cert-name "$A" -d "$A" --webroot --webroot-map "{\"$A\": \"$WEB2\"}" \
	--deploy-hook "touch $T/cb-deployed" --key-type rsa --force-renewal
CB_CONF=$T/le/renewal/$A.conf
assert_contains "$CB_CONF" "$A = $WEB2"
assert_contains "$CB_CONF" "renew_hook = touch $T/cb-deployed"
assert_contains "$CB_CONF" "key_type = rsa"
assert_eq "$(ls "$T/le/archive/$A" | grep -c '^cert')" 2 "certbot's versions"

say "the next renewal uses the new settings"
assert_exit 0 acmectl renew --cert-name "$A" --force-renewal
assert_eq "$(versions "$A")" 2 "versions after the renewal"
assert_match "$(key_type "$T/state/live/$A/privkey.pem")" "Private-Key: \(2048 bit, 2 primes\)" \
	"the renewed key"
[[ -e $T/deployed ]] || fail "the saved deploy hook did not run at the renewal"

say "a lineage that reuses its key: one new key of the new kind, then reused"
K=reuse.$D
assert_exit 0 acmectl certonly --webroot -w "$WEB2" -d "$K" -n --reuse-key
assert_exit 0 acmectl reconfigure --cert-name "$K" --key-type rsa --rsa-key-size 3072
assert_match "$OUT" "  key: ecdsa secp256r1 -> rsa 3072"
assert_exit 0 acmectl renew --cert-name "$K" --force-renewal
assert_match "$(key_type "$T/state/live/$K/privkey.pem")" "Private-Key: \(3072 bit, 2 primes\)" \
	"the key after the renewal"
first=$(sha256sum <"$T/state/live/$K/privkey.pem")
assert_exit 0 acmectl renew --cert-name "$K" --force-renewal
assert_eq "$(sha256sum <"$T/state/live/$K/privkey.pem")" "$first" "the new key, reused"

say "nothing to change"
cp "$CONF" "$T/conf.1"
assert_exit 0 acmectl reconfigure --cert-name "$A"
assert_match "$OUT" "No changes were made to the renewal configuration."
cmp -s "$CONF" "$T/conf.1" || fail "reconfigure without changes rewrote $CONF"
# --json: the reply on stdout (the job's progress goes to stderr).
json=$(acmectl --json reconfigure --cert-name "$A" --no-autorenew 2>/dev/null) ||
	fail "reconfigure --no-autorenew --json failed: $json"
assert_eq "$(jq -c '.changes' <<<"$json")" '[{"setting":"autorenew","old":"yes","new":"no"}]' \
	"--json changes"
assert_contains "$CONF" "autorenew = false;"

say "no --cert-name: certbot's question on a terminal, an error elsewhere"
assert_exit 2 acmectl reconfigure --deploy-hook "echo picked"
assert_match "$OUT" "say which certificate with --cert-name NAME"
on_tty $'1\n' "$ACMECTL" --socket "$ACMED_SOCKET" reconfigure --deploy-hook "echo picked"
assert_eq "$RC" 0 "reconfigure with the certificate picked on a terminal"
assert_match "$OUT" "Which certificate would you like to reconfigure\?"
assert_match "$OUT" "1: $A"
assert_match "$OUT" "Successfully updated configuration."
assert_contains "$CONF" "deploy_hook = \"echo picked\";"
on_tty $'1\n' "$ACMECTL" --socket "$ACMED_SOCKET" reconfigure --deploy-hook "echo no" -n
assert_eq "$RC" 2 "reconfigure -n without --cert-name on a terminal"

say "certbot's own reconfigure, when there is one to run"
if [[ -n ${CERTBOT_RECONFIGURE:-} ]]; then
	CB=("$CERTBOT_RECONFIGURE" "${CB[@]:1}")
	certbot_is 1 reconfigure --cert-name "$A" -d "$A" -d "www.$A"
	assert_match "$CB_OUT" "You have specified domains, but this function cannot be used to modify the domains in a certificate"
	certbot_is 1 reconfigure --cert-name "nope.$D"
	assert_match "$CB_OUT" "An existing certificate with name nope.$D could not be found"
	cp "$CB_CONF" "$T/cb-conf.0"
	certbot_is 1 reconfigure --cert-name "$A" -w "$NOWHERE"
	cmp -s "$CB_CONF" "$T/cb-conf.0" || fail "certbot's failed dry run changed its renewal file"
	certbot_is 0 reconfigure --cert-name "$A" --deploy-hook true
	assert_match "$CB_OUT" "Successfully updated configuration."
	assert_match "$CB_OUT" "Changes will apply when the certificate renews."
	certbot_is 0 reconfigure --cert-name "$A"
	assert_match "$CB_OUT" "No changes were made to the renewal configuration."
	CB=(certbot "${CB[@]:1}")
else
	say "CERTBOT_RECONFIGURE is not set: only certbot 2.1, which has no reconfigure"
fi

say "--user-agent is saved for renewals, as certbot saves it"
U=ua.$D
assert_exit 0 acmectl certonly --webroot -w "$WEB2" -d "$U" -n --user-agent "probe/1.0"
certbot_is 0 certonly --webroot -w "$WEB2" -d "$U" --user-agent "probe/1.0"
assert_contains "$T/le/renewal/$U.conf" "user_agent = probe/1.0"
assert_contains "$T/state/renewal/$U.conf" "user_agent = \"probe/1.0\";"
assert_exit 0 acmectl reconfigure --cert-name "$U" --user-agent "probe/2.0"
assert_match "$OUT" "  user-agent: probe/1.0 -> probe/2.0"
assert_contains "$T/state/renewal/$U.conf" "user_agent = \"probe/2.0\";"

pass
