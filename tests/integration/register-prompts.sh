#!/bin/bash
# A first certonly without -m and --agree-tos: on a terminal acmectl asks
# for the e-mail address and shows the CA's terms of service (the URL from
# its directory) with certbot's words (certbot 2.1 is asked the same, on
# the same Pebble), then registers and issues in the one command; with -n
# or without a terminal it is refused as before, and the error shows the
# terms' URL.
source "$(dirname "$0")/lib.sh"

start_pebble
start_acmed
export REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE
TOS=$(curl -sf --cacert "$PEBBLE_CA_BUNDLE" "$PEBBLE_DIR_URL" | jq -r .meta.termsOfService)
[[ -n $TOS && $TOS != null ]] || fail "Pebble's directory has no termsOfService"
A=a.$TEST_DOMAIN
certonly=("$ACMECTL" --socket "$ACMED_SOCKET" certonly --standalone --http-01-port "$HTTP01_PORT")
drive() { "$PYTHON" "$REPO_DIR/tests/integration/pty-drive.py" "$@"; }
no_account() { [[ -z $(find "$T/state/accounts" -name account.json 2>/dev/null) ]]; }

# --- nobody to ask: refused, and the error names the terms ----------------
assert_exit 1 acmectl certonly --standalone --http-01-port "$HTTP01_PORT" -d "$A" </dev/null
assert_match "$OUT" "pass --agree-tos to accept its terms of service \\($TOS\\)"
assert_match "$OUT" "--register-unsafely-without-email"
: >"$T/nosteps"
OUT=$(drive "$T/nosteps" -- "${certonly[@]}" -d "$A" -n) || fail "$OUT"
assert_match "$OUT" "exit: 1$"
[[ $OUT != *"Enter email address"* ]] || fail "-n asked"
no_account || fail "an account was registered without the terms agreed to"

# --- declining the terms: certbot's dialogue, word for word ----------------
cat >"$T/steps" <<'EOF2'
expect \(Enter 'c' to cancel\): 
send admin@example.org\n
expect \(Y\)es/\(N\)o: 
send n\n
EOF2
OUT=$(drive "$T/steps" -- "${certonly[@]}" -d "$A") || fail "$OUT"
printf '%s\n' "$OUT"
assert_match "$OUT" "exit: 1$"
assert_match "$OUT" "Registration cannot proceed without accepting Terms of Service\\."
ours=$(sed -n '/^Enter email address/,/(Y)es\/(N)o: /p' <<<"$OUT")
assert_match "$ours" "Please read the Terms of Service at $TOS\\."
no_account || fail "an account was registered though the terms were declined"
if command -v certbot >/dev/null; then
	CB_OUT=$(drive "$T/steps" -- certbot --config-dir "$T/le" --work-dir "$T/cb-work" \
		--logs-dir "$T/cb-logs" --server "$PEBBLE_DIR_URL" certonly --standalone \
		--http-01-port "$HTTP01_PORT" -d "$A") || fail "$CB_OUT"
	printf '%s\n' "$CB_OUT"
	assert_match "$CB_OUT" "exit: 1$"
	assert_eq "$ours" "$(sed -n '/^Enter email address/,/(Y)es\/(N)o: /p' <<<"$CB_OUT")" \
		"the registration dialogue, acmectl's against certbot's"
else
	say "certbot not installed: acmectl's dialogue not compared with it"
fi

# --- 'c' ends it -----------------------------------------------------------
cat >"$T/steps" <<'EOF2'
expect \(Enter 'c' to cancel\): 
send c\n
EOF2
OUT=$(drive "$T/steps" -- "${certonly[@]}" -d "c.$TEST_DOMAIN") || fail "$OUT"
assert_match "$OUT" "An e-mail address or --register-unsafely-without-email must be provided\\."
no_account || fail "an account was registered without an address"
assert_match "$OUT" "exit: 1$"

# --- a bad address, asked again; then agreed: registered and issued --------
cat >"$T/steps" <<'EOF2'
expect \(Enter 'c' to cancel\): 
send not an email\n
expect There seem to be problems with that address
expect \(Enter 'c' to cancel\): 
send admin@example.org\n
expect Do you agree\?
expect \(Y\)es/\(N\)o: 
send y\n
EOF2
OUT=$(drive "$T/steps" -- "${certonly[@]}" -d "$A") || fail "$OUT"
printf '%s\n' "$OUT"
assert_match "$OUT" "exit: 0$"
assert_match "$OUT" "Invalid email address: not an email\\."
assert_match "$OUT" "If you really want to skip this, you can run the client with"
assert_match "$OUT" "Account registered: "
assert_match "$OUT" "Successfully received certificate\\."
assert_eq "$(jq -r .email "$(find "$T/state/accounts" -name account.json)")" \
	admin@example.org "the account's address"
assert_file "$T/state/live/$A/fullchain.pem"
# Registered now: the next certonly asks nothing.
OUT=$(drive "$T/nosteps" -- "${certonly[@]}" -d "b.$TEST_DOMAIN") || fail "$OUT"
assert_match "$OUT" "exit: 0$"
[[ $OUT != *"Enter email address"* ]] || fail "asked again once registered"

pass
