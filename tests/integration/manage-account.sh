#!/bin/bash
# acmectl account against a Pebble that requires external account binding
# (EAB): registering without it and with a wrong MAC key fails clearly,
# with the right one (given to certonly) it works; show, update; rollover
# replaces the key
# (the CA then refuses the old one, and a new order with the new key
# works); deactivate. Also: the same account serves certonly.
source "$(dirname "$0")/lib.sh"

KID=kid-acmed-test
KEY=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W
WRONG=9sGwTS6t4xb7JHY6Jd2lXyIDTa9KLqh2Wnh4a1KsaR3RZ4WvUh4UmO0T8tFXNHG7
start_pebble --eab "$KID" "$KEY"
start_acmed
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
accounts=$T/state/accounts

# 1. This CA registers only with EAB: said before anything is sent.
assert_exit 1 "$ACMECTL" certonly "${standalone[@]}" -d "a.$TEST_DOMAIN" --agree-tos \
	-m admin@example.org
assert_match "$OUT" "registering an account failed: this CA registers accounts only with an external account binding: pass --eab-kid and --eab-hmac-key"
[[ ! -e $accounts ]] || [[ -z $(find "$accounts" -name key.pem) ]] ||
	fail "a key was saved for a registration that could not happen"

# 2. Usage errors: the two EAB options go together; no command; unknown one.
assert_exit 2 "$ACMECTL" account register --agree-tos -m admin@example.org --eab-kid "$KID"
assert_match "$OUT" "--eab-kid and --eab-hmac-key go together"
assert_exit 2 "$ACMECTL" account
assert_exit 2 "$ACMECTL" account frobnicate
assert_exit 2 "$ACMECTL" account update
assert_match "$OUT" "pass --email ADDRESS"
assert_exit 2 "$ACMECTL" account register --agree-tos -m admin@example.org \
	--eab-kid "$KID" --eab-hmac-key 'not base64url!'
assert_match "$OUT" "--eab-hmac-key: not the base64url key the CA gave"

# 3. A wrong MAC key: the CA's answer, exit 1.
assert_exit 1 "$ACMECTL" account register --agree-tos -m admin@example.org \
	--eab-kid "$KID" --eab-hmac-key "$WRONG"
assert_match "$OUT" "registering an account failed: urn:ietf:params:acme:error:"

# 4. The right one, given to certonly: registered (with the key the failed
#    attempt saved), and the certificate issued.
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "a.$TEST_DOMAIN" --agree-tos \
	-m admin@example.org --eab-kid "$KID" --eab-hmac-key "$KEY"
assert_match "$OUT" "Account registered: "
assert_eq "$(find "$accounts" -name key.pem | wc -l)" 1 "one account key"
acct_dir=$(dirname "$(find "$accounts" -name key.pem)")
url=$(jq -r .url "$acct_dir/account.json")
assert_exit 1 "$ACMECTL" account register --agree-tos -m admin@example.org \
	--eab-kid "$KID" --eab-hmac-key "$KEY"
assert_match "$OUT" "there is an account for .* already"
"$ACMECTL" --json account show >"$T/show.json" || fail "account show failed"
assert_eq "$(jq -r '.status, .url, .contact[0], .schema' "$T/show.json" | tr '\n' ' ')" \
	"valid $url mailto:admin@example.org 1 " "account show"

# 5. Later orders use that account.
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "c.$TEST_DOMAIN"
[[ $OUT != *"Account registered"* ]] || fail "certonly registered another account"

# 6. update the contact.
assert_exit 0 "$ACMECTL" account update -m ops@example.org
assert_match "$OUT" "Contact: mailto:ops@example.org"
assert_eq "$(jq -r .email "$acct_dir/account.json")" ops@example.org "account.json email"

# 7. rollover: a new key; the old one is kept aside, and the CA refuses it.
cp "$acct_dir/key.pem" "$T/old-key.pem"
old_tp=$(jq -r .thumbprint "$T/show.json")
"$ACMECTL" --json account rollover >"$T/roll.json" || fail "rollover failed: $(cat "$T/roll.json")"
new_tp=$(jq -r .thumbprint "$T/roll.json")
[[ $new_tp != "$old_tp" ]] || fail "the thumbprint did not change"
assert_eq "$(stat -c %a "$acct_dir/key.pem")" 600 "new key mode"
cmp -s "$T/old-key.pem" "$acct_dir"/key.replaced-*.pem || fail "the old key was not kept"
[[ ! -e $acct_dir/key.next.pem ]] || fail "key.next.pem left behind"
post() { # KEY: POST-as-GET the account URL signed with KEY: "STATUS PROBLEM-TYPE"
	"$PYTHON" "$REPO_DIR/tests/integration/jws-post.py" "$PEBBLE_DIR_URL" \
		"$PEBBLE_CA_BUNDLE" "$1" "$url" "$url" >"$T/post.out" || fail "jws-post.py failed"
	printf '%s %s\n' "$(head -n 1 "$T/post.out")" \
		"$(tail -n +2 "$T/post.out" | jq -r '.type // "-"' 2>/dev/null)"
}
refused=$(post "$T/old-key.pem")
say "the old key: $refused ($(tail -n +2 "$T/post.out" | jq -r .detail))"
assert_match "$refused" "^4[0-9][0-9] urn:ietf:params:acme:error:"
assert_eq "$(post "$acct_dir/key.pem")" "200 -" "the CA takes the new key"
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "b.$TEST_DOMAIN"

# 8. deactivate: the account is put aside; a new one needs registering.
assert_exit 0 "$ACMECTL" account deactivate
assert_match "$OUT" "Status: deactivated"
[[ -d $(dirname "$acct_dir")/.deactivated-$(basename "$acct_dir") ]] ||
	fail "the deactivated account was not moved aside"
assert_match "$(post "$(dirname "$acct_dir")/.deactivated-$(basename "$acct_dir")/key.pem")" \
	"^4[0-9][0-9] urn:ietf:params:acme:error:unauthorized"
assert_exit 1 "$ACMECTL" account show
assert_match "$OUT" "no account for this CA yet"
pass
