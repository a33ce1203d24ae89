#!/bin/bash
# certonly decides as certbot does, with certbot 2.1 run side by side on the
# same Pebble and the same web root, each decision and exit status compared:
#   - the same command twice: one certificate, "Certificate not yet due for
#     renewal; no action taken." (exit 0); --force-renewal replaces it;
#   - more names than a lineage has: refused under -n without --expand
#     (exit 1, naming --expand and --duplicate); --expand extends the
#     lineage; --duplicate makes NAME-0001 on purpose;
#   - the key type stays with the lineage unless --key-type comes with
#     --cert-name; --key-type alone is refused; --reuse-key on a new lineage
#     makes its first key; secp521r1;
#   - --dry-run never finalizes at the "production" CA: a second Pebble
#     plays its staging server (acmed.conf's ca entry names it) and the
#     production Pebble sees no new order; certbot's dry run against a
#     server without staging, for comparison, finalizes there.
source "$(dirname "$0")/lib.sh"

require_cmd certbot
start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
WEB=$T/www
mkdir -p "$WEB"
start_nginx "$WEB"
export REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE
CB=(certbot --config-dir "$T/le" --work-dir "$T/cb-work" --logs-dir "$T/cb-logs"
	--server "$PEBBLE_DIR_URL" --non-interactive --agree-tos -m admin@example.org
	--no-random-sleep-on-renew)
D=$TEST_DOMAIN

acmed_is() {
	assert_exit "$1" "$ACMECTL" certonly --webroot -w "$WEB" -n --agree-tos -m admin@example.org "${@:2}"
}
versions() { ls "$T/state/archive/$1" | grep -c '^cert'; }
cb_versions() { ls "$T/le/archive/$1" | grep -c '^cert'; }
key_type() { openssl pkey -in "$1" -noout -text | head -n 1; }

start_acmed


say "the same certonly twice: one certificate"
A=twice.$D
acmed_is 0 -d "$A"
acmed_is 0 -d "$A"
assert_match "$OUT" "Certificate not yet due for renewal; no action taken."
certbot_is 0 certonly --webroot -w "$WEB" -d "$A"
certbot_is 0 certonly --webroot -w "$WEB" -d "$A"
assert_match "$CB_OUT" "Certificate not yet due for renewal; no action taken."
assert_eq "$(versions "$A")/$(cb_versions "$A")" 1/1 "versions after two certonly"
# --json says so too, and --keep-until-expiring is certbot's way to insist.
assert_exit 0 "$ACMECTL" --json certonly --webroot -w "$WEB" -d "$A" --keep-until-expiring -n
assert_eq "$(jq -r .kept <<<"$OUT")" true "--json: kept"
certbot_is 0 certonly --webroot -w "$WEB" -d "$A" --keep-until-expiring
say "--force-renewal replaces it"
acmed_is 0 -d "$A" --force-renewal
certbot_is 0 certonly --webroot -w "$WEB" -d "$A" --force-renewal
assert_eq "$(versions "$A")/$(cb_versions "$A")" 2/2 "versions after --force-renewal"

say "more names: --expand, or refused"
acmed_is 1 -d "$A" -d "www.$A"
assert_match "$OUT" "You can set this with the --expand flag"
assert_match "$OUT" "--duplicate"
certbot_is 1 certonly --webroot -w "$WEB" -d "$A" -d "www.$A"
assert_match "$CB_OUT" "You can set this with the --expand flag"
assert_eq "$(versions "$A")/$(cb_versions "$A")" 2/2 "nothing ordered when refused"
[[ ! -e $T/state/live/$A-0001 && ! -e $T/le/live/$A-0001 ]] || fail "a lineage was forked"
acmed_is 0 -d "$A" -d "www.$A" --expand
certbot_is 0 certonly --webroot -w "$WEB" -d "$A" -d "www.$A" --expand
assert_eq "$(versions "$A")/$(cb_versions "$A")" 3/3 "--expand: a new version of the lineage"
for cert in "$T/state/live/$A/cert.pem" "$T/le/live/$A/cert.pem"; do
	assert_match "$(openssl x509 -in "$cert" -noout -ext subjectAltName)" "www.$A" "$cert's names"
done
say "--duplicate: NAME-0001 on purpose"
acmed_is 0 -d "$A" -d "www.$A" --duplicate
certbot_is 0 certonly --webroot -w "$WEB" -d "$A" -d "www.$A" --duplicate
[[ -L $T/state/live/$A-0001/cert.pem && -L $T/le/live/$A-0001/cert.pem ]] ||
	fail "--duplicate made no $A-0001"

say "the key type stays with the lineage"
R=rsa.$D
acmed_is 0 -d "$R" --key-type rsa --rsa-key-size 3072
certbot_is 0 certonly --webroot -w "$WEB" -d "$R" --key-type rsa --rsa-key-size 3072
acmed_is 0 -d "$R" --force-renewal
certbot_is 0 certonly --webroot -w "$WEB" -d "$R" --force-renewal
# Both keep RSA; certbot 2.1 forgets the size (2048 again), acmed keeps it.
assert_eq "$(key_type "$T/state/live/$R/privkey.pem")" "Private-Key: (3072 bit, 2 primes)" \
	"acmed's key after a renewal"
assert_match "$(key_type "$T/le/live/$R/privkey.pem")" "bit, 2 primes" "certbot's: RSA still"
say "--key-type alone is refused; with --cert-name it changes the lineage"
acmed_is 1 -d "$R" --key-type ecdsa --force-renewal
assert_match "$OUT" "Please provide both --cert-name and --key-type"
certbot_is 1 certonly --webroot -w "$WEB" -d "$R" --key-type ecdsa --force-renewal
assert_match "$CB_OUT" "Please provide both --cert-name and --key-type"
acmed_is 0 -d "$R" --key-type ecdsa --cert-name "$R" --force-renewal
certbot_is 0 certonly --webroot -w "$WEB" -d "$R" --key-type ecdsa --cert-name "$R" \
	--force-renewal
for k in "$T/state/live/$R/privkey.pem" "$T/le/live/$R/privkey.pem"; do
	assert_match "$(key_type "$k")" "Private-Key: \(256 bit" "$k after --key-type ecdsa"
done

say "--reuse-key on a new lineage makes its first key, and keeps it"
K=reuse.$D
acmed_is 0 -d "$K" --reuse-key --elliptic-curve secp521r1
certbot_is 0 certonly --webroot -w "$WEB" -d "$K" --reuse-key
assert_match "$(key_type "$T/state/live/$K/privkey.pem")" "Private-Key: \(521 bit" "secp521r1"
first=$(sha256sum <"$T/state/live/$K/privkey.pem")
acmed_is 0 -d "$K" --force-renewal
assert_eq "$(sha256sum <"$T/state/live/$K/privkey.pem")" "$first" "the key reused"
acmed_is 0 -d "$K" --force-renewal --new-key
[[ $(sha256sum <"$T/state/live/$K/privkey.pem") != "$first" ]] || fail "--new-key kept the key"
assert_contains "$T/state/renewal/$K.conf" "reuse_key = true;"

say "--dry-run never finalizes at the production CA"
# A second Pebble plays the staging server of the first.
port2=$(free_port) mgmt2=$(free_port)
jq --arg l "127.0.0.1:$port2" --arg m "127.0.0.1:$mgmt2" \
	'.pebble.listenAddress = $l | .pebble.managementListenAddress = $m' \
	"$T/pebble.json" >"$T/pebble2.json"
spawn pebble2 "$T/pebble2.log" env PEBBLE_VA_NOSLEEP=1 pebble -config "$T/pebble2.json" \
	-dnsserver "$CHALLTESTSRV_DNS" -strict=false
STAGING=https://127.0.0.1:$port2/dir
wait_until 20 "the staging Pebble answers" curl -fsS --cacert "$PEBBLE_CA_BUNDLE" "$STAGING"
stop_acmed
cat >>"$T/acmed.conf" <<EOF
ca = ( { server = "$PEBBLE_DIR_URL"; staging = "$STAGING"; } );
EOF
start_acmed
# Certificates each Pebble issued (a badNonce POST is logged but refused).
issued() { grep -c "Issued certificate serial" "$T/pebble.log"; }
issued_staging() { grep -c "Issued certificate serial" "$T/pebble2.log"; }
f0=$(issued) s0=$(issued_staging) v0=$(versions "$A")
assert_exit 0 "$ACMECTL" certonly --webroot -w "$WEB" -d "dry.$D" --dry-run -n
assert_match "$OUT" "Simulating a certificate request for dry.$D at $STAGING"
assert_exit 0 "$ACMECTL" renew --cert-name "$A" --dry-run
assert_eq "$(issued)" "$f0" "certificates the production CA issued for dry runs"
assert_eq "$(($(issued_staging) - s0))" 2 "certificates its staging server issued"
[[ ! -e $T/state/live/dry.$D ]] || fail "a dry run saved a lineage"
assert_eq "$(versions "$A")" "$v0" "versions of $A after renew --dry-run"
say "--staging: the staging server for real"
assert_exit 0 "$ACMECTL" certonly --webroot -w "$WEB" -d "staged.$D" --staging -n
assert_contains "$T/state/renewal/staged.$D.conf" "server = \"$STAGING\";"
say "a dry run at a CA without a known staging server validates only"
stop_acmed
sed -i '/^ca = /d' "$T/acmed.conf"
start_acmed
f0=$(issued)
assert_exit 0 "$ACMECTL" certonly --webroot -w "$WEB" -d "dry2.$D" --dry-run -n
assert_match "$OUT" "the order was not finalized"
assert_eq "$(issued)" "$f0" "certificates issued for a validation-only dry run"
certbot_is 0 certonly --webroot -w "$WEB" -d "dry2.$D" --dry-run
# At least one: a certbot run that Pebble's badNonce stopped after it
# finalized is run again (certbot_is), and finalizes again.
(($(issued) - f0 >= 1)) || fail "certbot's dry run was not issued by the CA it is given"

pass
