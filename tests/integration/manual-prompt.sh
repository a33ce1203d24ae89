#!/bin/bash
# certonly --manual without hooks on a terminal: the job shows each
# response to put in place with certbot's words (certbot 2.1 is run the
# same way, its text compared with the values masked) and waits for Enter;
# the test plays the user and puts it in place:
#   - dns-01 for a wildcard and its apex, through pebble-challtestsrv;
#   - http-01, a file under a real nginx's web root;
#   - Ctrl-C at the prompt, answered y, cancels the job; acmectl killed
#     there, the job fails at once instead of waiting for job_timeout;
#   - -n or no terminal: refused as before.
source "$(dirname "$0")/lib.sh"

start_pebble PEBBLE_AUTHZREUSE=0
WEBROOT=$T/www
mkdir -p "$WEBROOT"
start_nginx "$WEBROOT"
start_acmed
export REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE CHALLTESTSRV_URL WEBROOT
certonly=("$ACMECTL" --socket "$ACMED_SOCKET" certonly --manual --agree-tos
	--register-unsafely-without-email)
drive() { "$PYTHON" "$REPO_DIR/tests/integration/pty-drive.py" "$@"; }
# The instructions from the first rule to the last prompt, values masked.
masked() {
	sed -n '/^- - - -/,$p' <<<"$1" | sed -n '1,/Press Enter to Continue/p;/Press Enter to Continue/,/Press Enter to Continue/p' |
		sed -E 's/^[A-Za-z0-9_-]{43}$/VALUE/' | grep -v '^Waiting for the'
}

# --- dns-01: a wildcard and its apex ----------------------------------------
W=wild.$TEST_DOMAIN
# shellcheck disable=SC2016 # expanded by the sh step, from its match
set_txt='curl -sSf -o /dev/null -d "{\"host\":\"_acme-challenge.$M1.\",\"value\":\"$M2\"}" "$CHALLTESTSRV_URL/set-txt"'
cat >"$T/steps" <<EOF2
expect under the name:\\s+_acme-challenge\\.(\\S+)\\.\\s+with the following value:\\s+([A-Za-z0-9_-]{43})\\s
sh $set_txt
expect Press Enter to Continue
send \\n
expect under the name:\\s+_acme-challenge\\.(\\S+)\\.\\s+with the following value:\\s+([A-Za-z0-9_-]{43})\\s
sh $set_txt
expect Press Enter to Continue
send \\n
EOF2
OUT=$(drive "$T/steps" -- "${certonly[@]}" --preferred-challenges dns -d "$W" -d "*.$W") ||
	fail "$OUT"
printf '%s\n' "$OUT"
assert_match "$OUT" "exit: 0$"
assert_match "$OUT" "Please deploy a DNS TXT record under the name:"
assert_match "$OUT" "\\(This must be set up in addition to the previous challenges"
assert_match "$OUT" "Successfully received certificate\\."
sans=$(openssl x509 -in "$T/state/live/$W/cert.pem" -noout -ext subjectAltName)
assert_match "$sans" "DNS:\\*\\.$W"
ours=$(masked "$OUT")
if command -v certbot >/dev/null; then
	CB_OUT=$(drive "$T/steps" -- certbot --config-dir "$T/le" --work-dir "$T/cb-work" \
		--logs-dir "$T/cb-logs" --server "$PEBBLE_DIR_URL" certonly --manual \
		--preferred-challenges dns -d "$W" -d "*.$W" --agree-tos -m a@example.org \
		--no-eff-email) || fail "$CB_OUT"
	printf '%s\n' "$CB_OUT"
	assert_eq "$ours" "$(masked "$CB_OUT")" "the dns-01 instructions, acmectl's against certbot's"
else
	say "certbot not installed: the instructions not compared with certbot's"
fi
# Nothing about it is saved that a renewal could not do: it says so.
assert_contains "$T/state/renewal/$W.conf" 'name = "manual";'
assert_exit 1 acmectl renew --cert-name "$W" --force-renewal

assert_match "$OUT" "--manual needs --manual-auth-hook"

# --- http-01: a file under the web root -------------------------------------
H=http.$TEST_DOMAIN
cat >"$T/steps" <<'EOF2'
expect Create a file containing just this data:\s+(\S+)\s+And make it available on your web server at this URL:\s+http://\S+/\.well-known/acme-challenge/([A-Za-z0-9_-]+)\s
sh mkdir -p "$WEBROOT/.well-known/acme-challenge" && printf %s "$M1" >"$WEBROOT/.well-known/acme-challenge/$M2"
expect Press Enter to Continue
send \n
EOF2
OUT=$(drive "$T/steps" -- "${certonly[@]}" --preferred-challenges http -d "$H") || fail "$OUT"
printf '%s\n' "$OUT"
assert_match "$OUT" "exit: 0$"
assert_match "$OUT" "Authorization 1/1 valid: $H \\(http-01\\)"
assert_file "$T/state/live/$H/fullchain.pem"

# --- Ctrl-C at the prompt, y: cancelled ---------------------------------------
C=cancel.$TEST_DOMAIN
cat >"$T/steps" <<'EOF2'
expect Press Enter to Continue
intr
expect Cancel the job\? \(y/N\)
send y\n
EOF2
OUT=$(drive "$T/steps" -- "${certonly[@]}" --preferred-challenges dns -d "$C") || fail "$OUT"
assert_match "$OUT" "exit: 4$"
assert_match "$OUT" "was cancelled"
[[ ! -e $T/state/renewal/$C.conf ]] || fail "a cancelled certonly left a lineage"

# --- acmectl killed at the prompt: the job fails at once ----------------------
G=gone.$TEST_DOMAIN
# (The sh step's parent is pty-drive, acmectl's too.)
cat >"$T/steps" <<'EOF2'
expect Press Enter to Continue
sh pkill -KILL -P $PPID -x acmectl
EOF2
OUT=$(drive "$T/steps" -- "${certonly[@]}" --preferred-challenges dns -d "$G") || fail "$OUT"
assert_match "$OUT" "exit: 137$"
# shellcheck disable=SC2016 # evaluated by wait_until
wait_until 20 "the job left waiting to fail" eval \
	'[[ $(acmectl --json status | jq ".jobs | length") == 0 ]]'
assert_contains "$T/acmed.log" "nobody said the dns-01 response for $G was in place"
[[ ! -e $T/state/renewal/$G.conf ]] || fail "the abandoned certonly left a lineage"

# --- nobody to ask: refused as before ---------------------------------------
assert_exit 2 acmectl certonly --manual -d "$C" </dev/null
assert_match "$OUT" "--manual needs --manual-auth-hook"
: >"$T/nosteps"
OUT=$(drive "$T/nosteps" -- "${certonly[@]}" -n -d "$C") || fail "$OUT"
assert_match "$OUT" "--manual needs --manual-auth-hook"
assert_match "$OUT" "exit: 2$"
pass
