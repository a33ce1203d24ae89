#!/bin/bash
# The certificate picker: delete and revoke without --cert-name, on a
# terminal, ask which lineage(s) with certbot's words (certbot 2.1's delete
# is run on the same names for its text); with -n or without a terminal
# they refuse as before.
source "$(dirname "$0")/lib.sh"

start_pebble
start_acmed
std=(--standalone --http-01-port "$HTTP01_PORT")
A=a.$TEST_DOMAIN
B=b.$TEST_DOMAIN
C=c.$TEST_DOMAIN
assert_exit 0 acmectl certonly "${std[@]}" -d "$A" --agree-tos --register-unsafely-without-email
assert_exit 0 acmectl certonly "${std[@]}" -d "$B"
assert_exit 0 acmectl certonly "${std[@]}" -d "$C"
drive() { "$PYTHON" "$REPO_DIR/tests/integration/pty-drive.py" "$@"; }
# The dialogue from the question to the last prompt, as printed.
dialogue() { sed -n '/^Which certificate/,/(Y)es\/(N)o: /p' <<<"$1"; }

# --- delete: certbot's checklist and question, word for word ---------------
cat >"$T/steps" <<'EOF2'
expect \(Enter 'c' to cancel\): 
send 2\n
expect \(Y\)es/\(N\)o: 
send n\n
EOF2
OUT=$(drive "$T/steps" -- "$ACMECTL" --socket "$ACMED_SOCKET" delete) || fail "$OUT"
printf '%s\n' "$OUT"
assert_match "$OUT" "exit: 1$"
assert_match "$OUT" "Nothing was deleted."
ours=$(dialogue "$OUT")
assert_match "$ours" "1: $A"$'\n'"2: $B"$'\n'"3: $C"
assert_match "$ours" "  \\* $B"$'\n'
if command -v certbot >/dev/null; then
	mkdir -p "$T/le/renewal"
	touch "$T/le/renewal/$A.conf" "$T/le/renewal/$B.conf" "$T/le/renewal/$C.conf"
	CB_OUT=$(drive "$T/steps" -- certbot --config-dir "$T/le" --work-dir "$T/cb-work" \
		--logs-dir "$T/cb-logs" delete) || fail "$CB_OUT"
	printf '%s\n' "$CB_OUT"
	assert_eq "$ours" "$(dialogue "$CB_OUT")" "delete's dialogue, acmectl's against certbot's"
else
	say "certbot not installed: acmectl's dialogue not compared with it"
fi
for n in "$A" "$B" "$C"; do assert_file "$T/state/renewal/$n.conf"; done

# Two of three, then yes: those two go.
cat >"$T/steps" <<'EOF2'
expect \(Enter 'c' to cancel\): 
send 9\n
expect Invalid input
send 1, 3\n
expect \(Y\)es/\(N\)o: 
send y\n
EOF2
OUT=$(drive "$T/steps" -- "$ACMECTL" --socket "$ACMED_SOCKET" delete) || fail "$OUT"
assert_match "$OUT" "exit: 0$"
assert_match "$OUT" "Deleted all files relating to certificate $A\\."
assert_match "$OUT" "Deleted all files relating to certificate $C\\."
[[ ! -e $T/state/renewal/$A.conf && ! -e $T/state/renewal/$C.conf ]] || fail "not deleted"
assert_file "$T/state/renewal/$B.conf"
# Nobody to ask, or -n: refused as before.
assert_exit 2 acmectl delete </dev/null
assert_match "$OUT" "which certificate\\? Pass --cert-name NAME"
: >"$T/nosteps"
OUT=$(drive "$T/nosteps" -- "$ACMECTL" --socket "$ACMED_SOCKET" delete -n) || fail "$OUT"
assert_match "$OUT" "which certificate\\? Pass --cert-name NAME"
assert_match "$OUT" "exit: 2$"

# --- revoke: a menu of one choice -----------------------------------------
cat >"$T/steps" <<'EOF2'
expect \(press 'c' to cancel\): 
send c\n
EOF2
OUT=$(drive "$T/steps" -- "$ACMECTL" --socket "$ACMED_SOCKET" revoke) || fail "$OUT"
assert_match "$OUT" "Which certificate would you like to revoke\\?"
assert_match "$OUT" "1: $B"$'\n'"- - -"
assert_match "$OUT" "Select the appropriate number \\[1-1\\] then \\[enter\\]"
assert_match "$OUT" "User ended interaction."
assert_match "$OUT" "exit: 1$"
cat >"$T/steps" <<'EOF2'
expect \(press 'c' to cancel\): 
send 1\n
EOF2
OUT=$(drive "$T/steps" -- "$ACMECTL" --socket "$ACMED_SOCKET" revoke) || fail "$OUT"
assert_match "$OUT" "successfully revoked the certificate $B"
assert_match "$OUT" "exit: 0$"
assert_exit 2 acmectl revoke </dev/null
assert_match "$OUT" "say which certificate: --cert-name NAME or --cert-path PATH"

# --- none left to pick from ------------------------------------------------
assert_exit 0 acmectl delete --cert-name "$B" -n
OUT=$(drive "$T/nosteps" -- "$ACMECTL" --socket "$ACMED_SOCKET" revoke) || fail "$OUT"
assert_match "$OUT" "No existing certificates found."
assert_match "$OUT" "exit: 1$"
pass
