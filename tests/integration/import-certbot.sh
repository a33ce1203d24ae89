#!/bin/bash
# acmectl import-certbot against real certbot state: Debian's certbot issues
# certificates from Pebble (standalone, webroot with ECDSA and RSA keys,
# manual with hooks; one renewed twice so its archive holds version 3),
# then acmed imports them:
#   - --dry-run changes nothing anywhere; a malformed renewal file is
#     reported by name and line and skipped; certbot's lock is honoured;
#   - the import leaves certbot's directory byte for byte as it was, copies
#     every version with its number and key mode, points live/ where
#     certbot's did, and `acmectl check` passes; a second run imports
#     nothing twice;
#   - renewals through acmed use certbot's account (the CA sees no new
#     account), the deploy hook imported from certbot runs, and with
#     --keep-paths an nginx configured with certbot's paths serves the
#     certificate acmed renewed.
# Pebble sits behind the test proxy (tests/integration/ca-proxy.py), which
# forwards everything and logs each request, so new-account calls can be
# counted at the CA's door.
source "$(dirname "$0")/lib.sh"

require_cmd certbot
start_pebble PEBBLE_AUTHZREUSE=0 # renewals answer challenges again
pebble_root
start_ca_proxy
export REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE
LE=$T/le
WEB=$T/www
mkdir -p "$WEB"
CB=(certbot --config-dir "$LE" --work-dir "$T/cb-work" --logs-dir "$T/cb-logs"
	--server "$ACMED_SERVER" --non-interactive --agree-tos -m admin@example.org)
D=$TEST_DOMAIN
SA=sa.$D WR=web.$D RSA=rsa.$D MAN=man.$D

# certbot_ok ARGS...: run certbot. Pebble rejects 5% of good nonces and
# certbot retries a badNonce only once; Debian 12's certbot 2.1 sometimes
# even dies on one with "AttributeError: can't set attribute" in its error
# path. A run that failed that way (and only that way) is run again, up to
# three times in all.
certbot_ok() {
	local try
	for try in 1 2 3; do
		"${CB[@]}" "$@" >"$T/certbot.out" 2>&1 && { cat "$T/certbot.out" >>"$T/certbot.log"; return; }
		cat "$T/certbot.out" >>"$T/certbot.log"
		grep -qE "$CERTBOT_BAD_NONCE" "$T/certbot.out" || break
		say "certbot hit Pebble's badNonce twice in a row (attempt $try); again"
	done
	cat "$T/certbot.log" >&2
	fail "certbot $*"
}
new_accounts() {
	proxy_requests '.path == "/sign-me-up"' | wc -l
}

say "certbot issues four lineages"
# standalone first, while the http-01 port is free
certbot_ok certonly --standalone --http-01-port "$HTTP01_PORT" -d "$SA"
start_nginx "$WEB"
NGINX_PID=$SPAWNED_PID
cat >"$T/deploy.sh" <<EOF
#!/bin/sh
echo "deploy \$RENEWED_LINEAGE" >>"$T/deploy.log"
[ -f "$T/nginx-tls/nginx.pid" ] && $(nginx_tls_reload_cmd)
exit 0
EOF
chmod +x "$T/deploy.sh"
certbot_ok certonly --webroot -w "$WEB" -d "$WR" -d "www.$WR" --deploy-hook "$T/deploy.sh"
certbot_ok renew --cert-name "$WR" --force-renewal --no-random-sleep-on-renew
certbot_ok renew --cert-name "$WR" --force-renewal --no-random-sleep-on-renew
certbot_ok certonly --webroot -w "$WEB" -d "$RSA" --key-type rsa --rsa-key-size 2048 \
	--pre-hook "echo pre >>$T/hooks.log" --post-hook "echo post >>$T/hooks.log"
cat >"$T/auth.sh" <<EOF
#!/bin/sh
mkdir -p "$WEB/.well-known/acme-challenge"
printf '%s' "\$CERTBOT_VALIDATION" >"$WEB/.well-known/acme-challenge/\$CERTBOT_TOKEN"
echo "auth \$CERTBOT_DOMAIN" >>"$T/manual.log"
EOF
cat >"$T/cleanup.sh" <<EOF
#!/bin/sh
rm -f "$WEB/.well-known/acme-challenge/\$CERTBOT_TOKEN"
echo "cleanup \$CERTBOT_DOMAIN" >>"$T/manual.log"
EOF
chmod +x "$T/auth.sh" "$T/cleanup.sh"
certbot_ok certonly --manual --preferred-challenges http -d "$MAN" \
	--manual-auth-hook "$T/auth.sh" --manual-cleanup-hook "$T/cleanup.sh"
assert_eq "$(readlink "$LE/live/$WR/cert.pem")" "../../archive/$WR/cert3.pem" "certbot at v3"

# nginx serves the web lineage from certbot's paths, as sites do.
start_nginx_tls "$LE/live/$WR/fullchain.pem" "$LE/live/$WR/privkey.pem"
assert_eq "$(tls_serial)" "$(cert_serial "$LE/live/$WR/cert.pem")" "nginx serves certbot's"

# Malformed renewal files beside the good ones.
printf 'version = 2.1.0\narchive_dir = /x\narchive_dir = /y\n' >"$LE/renewal/dup.conf"
printf 'version = 2.1.0\n[renewalparams]\nserver = "https://x\n' >"$LE/renewal/quote.conf"
printf '[renewalparams]\nauthenticator = nginx\n' >"$LE/renewal/noarch.conf"

# snapshot DIR: every path with its type, mode, link target and content hash.
snapshot() {
	(cd "$1" && find . ! -name .certbot.lock -printf '%p %y %m %l\n' | sort &&
		find . -type f ! -name .certbot.lock -exec sha256sum {} + | sort)
}

start_acmed --server "$ACMED_SERVER"
snapshot "$LE" >"$T/le.before"
snapshot "$T/state" >"$T/state.before"

say "a dry run changes nothing"
assert_exit 1 "$ACMECTL" --socket "$ACMED_SOCKET" import-certbot --config-dir "$LE" --dry-run
assert_match "$OUT" "$WR: would import \(versions 1-3, live 3; webroot\)"
assert_match "$OUT" "$SA: would import \(version 1, live 1; standalone\)"
# Checked against acmed.service's limits: the web root ($T is not one the
# unit lets acmed write into) with the drop-in that allows it, once; the
# deploy hook runs as certbot ran it.
assert_match "$OUT" "note: under acmed.service, acmed may not write into webroot $WEB \(.*: its renewals will fail until you allow it: run \`systemctl edit acmed.service\`, add the lines \`\[Service\]\` and \`ReadWritePaths=$WEB\`, then \`systemctl restart acmed.service\`"
assert_eq "$(grep -c "may not write into webroot $WEB " <<<"$OUT")" 2 \
	"web root notes (one for each of the two webroot lineages)"
assert_match "$OUT" "note: its hooks run as certbot ran them, as root; under acmed.service in a transient unit"
assert_match "$OUT" "$MAN: would import"
assert_match "$OUT" "$RSA: would import"
assert_match "$OUT" "dup: skipped: $LE/renewal/dup.conf:3: duplicate key 'archive_dir'"
assert_match "$OUT" "quote: skipped: $LE/renewal/quote.conf:3: no closing \""
assert_match "$OUT" "noarch: skipped: $LE/renewal/noarch.conf: archive_dir is missing"
assert_match "$OUT" "Dry run, nothing changed: 4 to import, 0 already imported, 3 skipped"
snapshot "$LE" | diff "$T/le.before" - || fail "--dry-run changed certbot's directory"
snapshot "$T/state" | diff "$T/state.before" - || fail "--dry-run changed acmed's state"

say "certbot's lock is honoured"
"$PYTHON" -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what certbot does
print("locked", flush=True)
time.sleep(60)' "$LE/.certbot.lock" >"$T/locker.out" &
LOCKER=$!
wait_until 10 "the lock is held" grep -q locked "$T/locker.out"
assert_exit 1 "$ACMECTL" --socket "$ACMED_SOCKET" import-certbot --config-dir "$LE"
assert_match "$OUT" "certbot is running \(it holds $LE/.certbot.lock\)"
kill "$LOCKER"
wait "$LOCKER" 2>/dev/null || true
rm -f "$LE/.certbot.lock"
snapshot "$T/state" | diff "$T/state.before" - || fail "a locked import changed acmed's state"

say "the import"
assert_exit 1 "$ACMECTL" --socket "$ACMED_SOCKET" import-certbot --config-dir "$LE"
assert_match "$OUT" "$WR: imported \(versions 1-3, live 3; webroot\)"
assert_match "$OUT" "4 imported, 0 already imported, 3 skipped"
assert_match "$OUT" "$LE/live/$WR/fullchain.pem -> $T/state/live/$WR/fullchain.pem"
assert_match "$OUT" "acmed reloaded"
snapshot "$LE" | diff "$T/le.before" - || fail "the import changed certbot's directory"
for n in 1 2 3; do
	for f in cert chain fullchain privkey; do
		cmp "$LE/archive/$WR/$f$n.pem" "$T/state/archive/$WR/$f$n.pem" ||
			fail "$f$n.pem differs"
	done
	assert_eq "$(stat -c %a "$T/state/archive/$WR/privkey$n.pem")" \
		"$(stat -c %a "$LE/archive/$WR/privkey$n.pem")" "privkey$n.pem mode"
done
assert_eq "$(live_version "$WR")" 3 "acmed's live/ at certbot's version"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" check
conf=$T/state/renewal
assert_contains "$conf/$WR.conf" "name = \"webroot\";"
assert_contains "$conf/$WR.conf" "domain = \"www.$WR\";"
assert_contains "$conf/$WR.conf" "deploy_hook = \"$T/deploy.sh\";"
assert_contains "$conf/$SA.conf" "name = \"standalone\";"
assert_contains "$conf/$SA.conf" "http01_port = $HTTP01_PORT;"
assert_contains "$conf/$RSA.conf" "key_type = \"rsa\";"
assert_contains "$conf/$WR.conf" "key_type = \"ecdsa\";"
assert_contains "$conf/$WR.conf" "elliptic_curve = \"secp256r1\";"
assert_contains "$conf/$RSA.conf" "pre_hook = \"echo pre >>$T/hooks.log\";"
assert_contains "$conf/$MAN.conf" "manual_auth_hook = \"$T/auth.sh\";"
assert_contains "$conf/$MAN.conf" "manual_cleanup_hook = \"$T/cleanup.sh\";"
acct=$(find "$T/state/accounts" -name account.json)
assert_eq "$(wc -l <<<"$acct")" 1 "one account imported"
assert_eq "$(jq -r .url "$acct")" "$(jq -r .uri "$LE"/accounts/*/*/*/regr.json)" "account URL"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" --json certificates
assert_eq "$(jq '.certificates | length' <<<"$OUT")" 4 "lineages acmed lists"

say "a second run imports nothing twice"
snapshot "$T/state" >"$T/state.imported"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" import-certbot --config-dir "$LE" \
	--cert-name "$WR" --cert-name "$SA" --cert-name "$RSA" --cert-name "$MAN"
assert_match "$OUT" "0 imported, 4 already imported, 0 skipped"
snapshot "$T/state" | diff "$T/state.imported" - || fail "a second run changed acmed's state"

say "--keep-paths: certbot's live links follow acmed's"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" --json import-certbot --config-dir "$LE" \
	--cert-name "$WR" --keep-paths
assert_eq "$(jq -r '.lineages[0].paths_kept' <<<"$OUT")" true "paths kept"
assert_eq "$(readlink "$LE/live/$WR/fullchain.pem")" "$T/state/live/$WR/fullchain.pem" \
	"certbot's link"

say "acmed renews the imported lineages with certbot's account"
before=$(new_accounts)
: >"$T/deploy.log"
# certbot_ok may have run the RSA issuance (and so its hooks) more than once.
: >"$T/hooks.log"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" renew --cert-name "$WR" --force-renewal
assert_eq "$(live_version "$WR")" 4 "version 4 after certbot's 3"
assert_eq "$(cat "$T/deploy.log")" "deploy $T/state/live/$WR" "the imported deploy hook ran"
wait_until 10 "nginx serves the renewed certificate" \
	serial_is "$(cert_serial "$T/state/live/$WR/cert.pem")"
assert_eq "$(cat "$T/hooks.log")" "" "the RSA lineage's hooks are not run for another"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" renew --cert-name "$RSA" --force-renewal
assert_eq "$(openssl pkey -in "$T/state/live/$RSA/privkey.pem" -noout -text | head -1)" \
	"Private-Key: (2048 bit, 2 primes)" "an RSA key again"
assert_eq "$(cat "$T/hooks.log")" $'pre\npost' "the imported pre and post hooks"
: >"$T/manual.log"
pebble_drop_authzs # certbot's valid one for $MAN would need no hook
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" renew --cert-name "$MAN" --force-renewal
assert_eq "$(cat "$T/manual.log")" $'auth '"$MAN"$'\ncleanup '"$MAN" "the manual hooks ran"
stop_pid "$NGINX_PID"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" renew --cert-name "$SA" --force-renewal
for n in "$WR" "$RSA" "$MAN" "$SA"; do
	assert_eq "$(live_version "$n")" "$(($(ls "$LE/archive/$n" | grep -c '^cert') + 1))" \
		"$n renewed once by acmed"
done
assert_eq "$(new_accounts)" "$before" "new accounts at the CA during acmed's renewals"
assert_eq "$(find "$T/state/accounts" -name key.pem | wc -l)" 1 "acmed's accounts"
assert_exit 0 "$ACMECTL" --socket "$ACMED_SOCKET" check

pass
