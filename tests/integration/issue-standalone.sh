#!/bin/bash
# Issue certificates through acmectl -> acmed -> Pebble with acmed's own
# http-01 responder (--standalone), with real validation: Pebble resolves the
# names through pebble-challtestsrv (127.0.0.1) and connects to $HTTP01_PORT.
# Pebble's default 5% bad-nonce rejection stays on, so retries are exercised.
source "$(dirname "$0")/lib.sh"

start_pebble
start_acmed
pebble_root

D1=one.$TEST_DOMAIN
D2=two.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
register=(--agree-tos --register-unsafely-without-email -n)

check_version() { # NAME N: live/NAME links point at version N and the files check out
	local live=$T/state/live/$1 arch=$T/state/archive/$1 f
	for f in cert chain fullchain privkey; do
		assert_symlink "$live/$f.pem"
		assert_eq "$(readlink "$live/$f.pem")" "../../archive/$1/$f$2.pem" "live/$1/$f.pem target"
	done
	assert_eq "$(stat -c %a "$arch/privkey$2.pem")" 600 "privkey$2.pem mode"
	assert_eq "$(cat "$live/cert.pem" "$live/chain.pem" | sha256sum)" \
		"$(sha256sum < "$live/fullchain.pem")" "fullchain = cert + chain"
	assert_eq "$(openssl pkey -in "$live/privkey.pem" -pubout | sha256sum)" \
		"$(openssl x509 -in "$live/cert.pem" -noout -pubkey | sha256sum)" "key matches cert"
	assert_exit 0 openssl verify -CAfile "$T/pebble-root.pem" -untrusted "$live/chain.pem" \
		"$live/cert.pem"
}

# 1. A new lineage for two names.
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$D1,$D2" "${register[@]}"
assert_match "$OUT" "Requesting a certificate for $D1 and $D2"
assert_match "$OUT" "Account registered: https://127.0.0.1"
assert_match "$OUT" "Order created: https://127.0.0.1"
assert_match "$OUT" "Authorization 2/2 valid"
assert_match "$OUT" "Order finalized"
assert_match "$OUT" "Saved as version 1 of $D1"
assert_match "$OUT" "Certificate is saved at: $T/state/live/$D1/fullchain.pem"
check_version "$D1" 1
san=$(openssl x509 -in "$T/state/live/$D1/cert.pem" -noout -ext subjectAltName)
assert_match "$san" "DNS:$D1"
assert_match "$san" "DNS:$D2"
assert_match "$(openssl x509 -in "$T/state/live/$D1/cert.pem" -noout -subject)" "CN = $D1"
assert_file "$T/state/live/$D1/README"
assert_file "$T/state/renewal/$D1.conf"
assert_contains "$T/state/renewal/$D1.conf" 'name = "standalone"'
assert_contains "$T/state/renewal/$D1.conf" "http01_port = $HTTP01_PORT"
assert_eq "$(ls "$T/state/archive/$D1" | grep -c intent || true)" 0 "no intent left behind"
acct_dirs=$(find "$T/state/accounts" -name key.pem | wc -l)
assert_eq "$acct_dirs" 1 "one account"
assert_eq "$(stat -c %a "$(find "$T/state/accounts" -name key.pem)")" 600 "account key mode"

# 2. certificates, in certbot's layout and as JSON.
assert_exit 0 "$ACMECTL" certificates
assert_match "$OUT" "Found the following certs:"
assert_match "$OUT" "  Certificate Name: $D1"
assert_match "$OUT" "    Domains: $D1 $D2"
assert_match "$OUT" "    Key Type: ECDSA"
assert_match "$OUT" "(VALID: [0-9]+ days)"
assert_match "$OUT" "    Certificate Path: $T/state/live/$D1/fullchain.pem"
assert_match "$OUT" "    Private Key Path: $T/state/live/$D1/privkey.pem"
"$ACMECTL" --json certificates > "$T/certs.json"
assert_eq "$(jq -r '.certificates[0].version' "$T/certs.json")" 1 "JSON version"
assert_eq "$(jq -r '.certificates[0].domains | join(",")' "$T/certs.json")" "$D1,$D2" "JSON domains"

# 3. The same domains again: the same lineage gets version 2, the same
#    account is used, live/ moves, version 1 stays in archive/.
v1_serial=$(openssl x509 -in "$T/state/archive/$D1/cert1.pem" -noout -serial)
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$D1" -d "$D2" -n --force-renewal
[[ $OUT != *"Account registered"* ]] || fail "a second account was registered"
assert_match "$OUT" "Saved as version 2 of $D1"
check_version "$D1" 2
assert_eq "$(openssl x509 -in "$T/state/archive/$D1/cert1.pem" -noout -serial)" "$v1_serial" \
	"version 1 untouched"
assert_eq "$(find "$T/state/accounts" -name key.pem | wc -l)" 1 "still one account"

# 4. account.json lost: the account is found again by its key
#    (newAccount with onlyReturnExisting), not registered anew.
acct_json=$(find "$T/state/accounts" -name account.json)
url=$(jq -r .url "$acct_json")
rm "$acct_json"
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$D1,$D2" --cert-name "$D1" -n --force-renewal
assert_match "$OUT" "Found existing account: $url"
assert_eq "$(jq -r .url "$acct_json")" "$url" "account.json restored"
check_version "$D1" 3

# 5. Other key types; the name follows --cert-name.
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "rsa.$TEST_DOMAIN" --cert-name rsa3072 \
	--key-type rsa --rsa-key-size 3072 -n
assert_match "$(openssl pkey -in "$T/state/live/rsa3072/privkey.pem" -noout -text)" \
	"Private-Key: \\(3072 bit"
check_version rsa3072 1
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "p384.$TEST_DOMAIN" \
	--key-type ecdsa --elliptic-curve secp384r1 -n
assert_match "$(openssl pkey -in "$T/state/live/p384.$TEST_DOMAIN/privkey.pem" -noout -text)" \
	"NIST CURVE: P-384"

# 6. certbot's naming rule: a different domain set whose first domain is taken
#    gets NAME-0001; a wildcard-less base name.
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$D1" -n
assert_match "$OUT" "Saved as version 1 of $D1-0001"
check_version "$D1-0001" 1

# 7. --csr: the CSR's names are used; no lineage, PEM files in the cwd.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/csr.key" \
	-subj "/CN=csr.$TEST_DOMAIN" -addext "subjectAltName=DNS:csr.$TEST_DOMAIN" \
	-outform DER -out "$T/req.der" 2>/dev/null
mkdir "$T/csrout"
(cd "$T/csrout" && "$ACMECTL" certonly "${standalone[@]}" --csr "$T/req.der" -n) > "$T/csr.out" 2>&1 \
	|| fail "certonly --csr failed: $(cat "$T/csr.out")"
assert_file "$T/csrout/0000_cert.pem"
assert_file "$T/csrout/0000_chain.pem"
assert_file "$T/csrout/0000_fullchain.pem"
assert_eq "$(openssl pkey -in "$T/csr.key" -pubout | sha256sum)" \
	"$(openssl x509 -in "$T/csrout/0000_cert.pem" -noout -pubkey | sha256sum)" "CSR key in cert"
[ ! -e "$T/state/renewal/csr.$TEST_DOMAIN.conf" ] || fail "--csr must not create a lineage"

pass
