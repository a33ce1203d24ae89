#!/bin/bash
# --allow-subset-of-names, beside certbot 2.1 on the same Pebble: a name
# whose validation fails (its web root is one nginx does not serve) is
# dropped with certbot's "Retrying without", the names that validated are
# ordered again and make the certificate and the lineage (the setting is
# saved, as certbot saves it); without the flag the request fails as
# before; when every name fails, nothing is issued.
source "$(dirname "$0")/lib.sh"

require_cmd certbot
start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
WEB=$T/www NOWHERE=$T/nowhere
mkdir -p "$WEB" "$NOWHERE"
start_nginx "$WEB"
export REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE
CB=(certbot --config-dir "$T/le" --work-dir "$T/cb-work" --logs-dir "$T/cb-logs"
	--server "$PEBBLE_DIR_URL" --non-interactive --agree-tos -m admin@example.org)
D=$TEST_DOMAIN

# The DNS names of certificate FILE, sorted, space-separated.
sans() {
	openssl x509 -in "$1" -noout -ext subjectAltName | tail -n +2 | tr ',' '\n' |
		sed 's/^ *DNS://' | sort | tr '\n' ' '
}

start_acmed

say "one name fails validation: dropped, the others ordered again"
A=a.$D B=b.$D X=x.$D
assert_exit 0 acmectl certonly --webroot -w "$WEB" -d "$A" -d "$B" -w "$NOWHERE" -d "$X" -n \
	--agree-tos -m admin@example.org --allow-subset-of-names
assert_match "$OUT" "Could not validate $X"
assert_match "$OUT" "Unable to obtain a certificate with every requested domain. Retrying without: $X"
assert_eq "$(sans "$T/state/live/$A/cert.pem")" "$A $B " "acmed's certificate names"
assert_contains "$T/state/renewal/$A.conf" "domains = \\[ \"$A\", \"$B\" \\];"
assert_contains "$T/state/renewal/$A.conf" "allow_subset_of_names = true;"
CA=ca.$D CBN=cb.$D CX=cx.$D
certbot_is 0 certonly --webroot -w "$WEB" -d "$CA" -d "$CBN" -w "$NOWHERE" -d "$CX" \
	--allow-subset-of-names
assert_match "$CB_OUT" "Unable to obtain a certificate with every requested domain. Retrying without: $CX"
assert_eq "$(sans "$T/le/live/$CA/cert.pem")" "$CA $CBN " "certbot's certificate names"
assert_contains "$T/le/renewal/$CA.conf" "allow_subset_of_names = True"

say "without the flag the request fails, as certbot's does"
G=g.$D Y=y.$D
assert_exit 1 acmectl certonly --webroot -w "$WEB" -d "$G" -w "$NOWHERE" -d "$Y" -n
assert_match "$OUT" "validating $Y failed"
[[ ! -e $T/state/live/$G ]] || fail "a failed certonly saved lineage $G"
certbot_is 1 certonly --webroot -w "$WEB" -d "c$G" -w "$NOWHERE" -d "c$Y"
[[ ! -e $T/le/live/c$G ]] || fail "certbot saved a lineage"

say "every name fails: nothing is issued"
f0=$(grep -c "Issued certificate serial" "$T/pebble.log")
assert_exit 1 acmectl certonly --webroot -w "$NOWHERE" -d "z1.$D" -d "z2.$D" -n \
	--allow-subset-of-names
assert_match "$OUT" "All challenges have failed."
assert_eq "$(grep -c "Issued certificate serial" "$T/pebble.log")" "$f0" "certificates issued"

say "wildcards and --csr are refused with it, in certbot's words"
assert_exit 2 acmectl certonly --manual --manual-auth-hook true -d "w.$D" -d "*.w.$D" -n \
	--allow-subset-of-names
assert_match "$OUT" "Using --allow-subset-of-names with a wildcard domain is not supported."

pass
