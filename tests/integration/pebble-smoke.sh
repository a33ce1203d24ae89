#!/bin/bash
# pebble-smoke: the harness itself works, without acmed. challtestsrv
# resolves test names to 127.0.0.1, Pebble serves its directory and root over
# the harness CA, and nginx serves a webroot on the http-01 port. If lego is
# installed, it also gets a certificate through that webroot, which proves
# Pebble can reach the http-01 port and issue for $TEST_DOMAIN names.
. "$(dirname "$0")/lib.sh"

start_pebble

# Mock DNS: any name gets A 127.0.0.1 and no AAAA (so Pebble stays on IPv4).
assert_exit 0 dns_query "anything.$TEST_DOMAIN" A
assert_eq "$OUT" 127.0.0.1 "A record from challtestsrv"
assert_exit 0 dns_query "anything.$TEST_DOMAIN" AAAA
assert_eq "$OUT" "" "AAAA record from challtestsrv"

# The ACME directory, over TLS verified with the harness CA.
assert_exit 0 curl -sSf --cacert "$PEBBLE_CA_BUNDLE" "$PEBBLE_DIR_URL"
for key in newNonce newAccount newOrder; do
	assert_eq "$(jq -r ".$key | startswith(\"https://127.0.0.1:\")" <<<"$OUT")" \
		true "directory has $key"
done

pebble_root
assert_contains "$PEBBLE_ROOT" '^-----BEGIN CERTIFICATE-----$'
assert_exit 0 openssl x509 -in "$PEBBLE_ROOT" -noout -subject
assert_match "$OUT" 'Pebble Root CA'

# nginx serves the webroot where Pebble will look for http-01 tokens.
webroot=$T/www
mkdir -p "$webroot/.well-known/acme-challenge"
echo "token-$$" >"$webroot/.well-known/acme-challenge/x"
start_nginx "$webroot"
assert_exit 0 curl -sSf "http://127.0.0.1:$HTTP01_PORT/.well-known/acme-challenge/x"
assert_eq "$OUT" "token-$$" "challenge file served by nginx"
assert_exit 22 curl -sSf "http://127.0.0.1:$HTTP01_PORT/.well-known/acme-challenge/missing"

# End to end with an independent ACME client: Pebble resolves the name via
# challtestsrv, fetches the token from nginx on $HTTP01_PORT and issues.
if command -v lego >/dev/null; then
	assert_exit 0 env LEGO_CA_CERTIFICATES="$PEBBLE_CA_BUNDLE" lego \
		--server "$PEBBLE_DIR_URL" --path "$T/lego" --accept-tos \
		--email "smoke@$TEST_DOMAIN" --key-type ec256 \
		--domains "smoke.$TEST_DOMAIN" \
		--http --http.webroot "$webroot" run
	cert=$T/lego/certificates/smoke.$TEST_DOMAIN.crt
	assert_file "$cert"
	assert_contains "$T/nginx/access.log" '"GET /.well-known/acme-challenge/[A-Za-z0-9_-]+ HTTP/1.1" 200'
	pebble_root # lego got leaf + intermediate; the root completes the chain
	assert_exit 0 openssl verify -CAfile "$PEBBLE_ROOT" -untrusted "$cert" "$cert"
	assert_exit 0 openssl x509 -in "$cert" -noout -ext subjectAltName
	assert_match "$OUT" "DNS:smoke.$TEST_DOMAIN"
else
	say "lego not installed: skipping the end-to-end issuance check"
fi

pass
