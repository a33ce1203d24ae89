#!/bin/bash
# --manual: certbot-style hook scripts prove control, with real validation.
#   - http-01: the auth hook writes $CERTBOT_VALIDATION to
#     .well-known/acme-challenge/$CERTBOT_TOKEN under a real nginx's root;
#   - dns-01: the auth hook adds the _acme-challenge TXT record through
#     pebble-challtestsrv's /set-txt (Pebble's DNS server), for a wildcard
#     and its apex in one certificate, and the cleanup hook removes it;
#   - the environment each hook saw is checked variable by variable;
#   - the hooks are saved in the renewal file, so a renewal runs unattended;
#   - a failing auth hook fails the job with a clear error, and the worker's
#     runner refuses what is not one of the job's challenges.
source "$(dirname "$0")/lib.sh"

start_pebble PEBBLE_AUTHZREUSE=0 # a renewal answers challenges again
pebble_root
WEBROOT=$T/www
mkdir -p "$WEBROOT"
start_nginx "$WEBROOT"
start_acmed
HOOKLOG=$T/hooks.log

# The hooks log what they saw, one "NAME=value" per line, per run. They run
# in a clean environment, as certbot's do under acmed: the paths they need
# are written into them.
cat >"$T/http-auth.sh" <<EOF
#!/bin/sh
{ echo "== auth"; env | grep -E '^(CERTBOT_|ACMED_HOOK=)' | sort; } >>"$HOOKLOG"
mkdir -p "$WEBROOT/.well-known/acme-challenge"
printf '%s' "\$CERTBOT_VALIDATION" >"$WEBROOT/.well-known/acme-challenge/\$CERTBOT_TOKEN"
echo "wrote \$CERTBOT_TOKEN"
EOF
cat >"$T/http-cleanup.sh" <<EOF
#!/bin/sh
{ echo "== cleanup"; env | grep -E '^(CERTBOT_|ACMED_HOOK=)' | sort; } >>"$HOOKLOG"
rm -f "$WEBROOT/.well-known/acme-challenge/\$CERTBOT_TOKEN"
EOF
cat >"$T/dns-auth.sh" <<EOF
#!/bin/sh
{ echo "== auth"; env | grep -E '^(CERTBOT_|ACMED_HOOK=)' | sort; } >>"$HOOKLOG"
curl -sSf -o /dev/null -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\",\"value\":\"\$CERTBOT_VALIDATION\"}" \
	"$CHALLTESTSRV_URL/set-txt"
echo "txt for \$CERTBOT_DOMAIN"
EOF
cat >"$T/dns-cleanup.sh" <<EOF
#!/bin/sh
{ echo "== cleanup"; env | grep -E '^(CERTBOT_|ACMED_HOOK=)' | sort; } >>"$HOOKLOG"
curl -sSf -o /dev/null -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\"}" "$CHALLTESTSRV_URL/clear-txt"
EOF
chmod +x "$T"/*.sh

# --- http-01 ---------------------------------------------------------------
H=http.$TEST_DOMAIN
assert_exit 0 acmectl certonly --manual --manual-auth-hook "$T/http-auth.sh" \
	--manual-cleanup-hook "$T/http-cleanup.sh" -d "$H" --agree-tos \
	--register-unsafely-without-email
assert_match "$OUT" "Authorization 1/1 valid: $H \\(http-01\\)"
assert_match "$OUT" "Saved as version 1 of $H"
# What the hooks saw. (The auth hook's token file is gone again.)
token=$(sed -n 's/^CERTBOT_TOKEN=//p' "$HOOKLOG" | head -1)
validation=$(sed -n 's/^CERTBOT_VALIDATION=//p' "$HOOKLOG" | head -1)
[[ $token =~ ^[A-Za-z0-9_-]+$ ]] || fail "CERTBOT_TOKEN: '$token'"
assert_eq "${validation%%.*}" "$token" "CERTBOT_VALIDATION is TOKEN.THUMBPRINT"
assert_eq "$(awk '/^== auth/{a=1;next} /^==/{a=0} a' "$HOOKLOG" | grep -v -e CERTBOT_TOKEN \
	-e CERTBOT_VALIDATION)" "$(printf '%s\n' "ACMED_HOOK=manual-auth" \
	"CERTBOT_ALL_DOMAINS=$H" "CERTBOT_DOMAIN=$H" "CERTBOT_REMAINING_CHALLENGES=0")" \
	"the auth hook's environment"
assert_eq "$(awk '/^== cleanup/{a=1;next} /^==/{a=0} a' "$HOOKLOG" | grep -v -e CERTBOT_TOKEN \
	-e CERTBOT_VALIDATION)" "$(printf '%s\n' "ACMED_HOOK=manual-cleanup" \
	"CERTBOT_ALL_DOMAINS=$H" "CERTBOT_AUTH_OUTPUT=wrote $token" "CERTBOT_DOMAIN=$H" \
	"CERTBOT_REMAINING_CHALLENGES=0")" "the cleanup hook's environment"
assert_match "$(grep -A9 '^== cleanup' "$HOOKLOG")" "CERTBOT_TOKEN=$token"
[[ -z $(ls -A "$WEBROOT/.well-known/acme-challenge") ]] || fail "the cleanup hook did not run"
conf=$T/state/renewal/$H.conf
assert_contains "$conf" "name = \"manual\";"
assert_contains "$conf" "manual_auth_hook = \"$T/http-auth.sh\";"
assert_contains "$conf" "manual_cleanup_hook = \"$T/http-cleanup.sh\";"
# The renewal runs the saved hooks, unattended.
: >"$HOOKLOG"
assert_exit 0 acmectl renew --cert-name "$H" --force-renewal
v=2
if [[ $OUT == *"(reused)"* ]]; then
	# Pebble reuses a valid authorization for 1 order in 100 even at
	# PEBBLE_AUTHZREUSE=0 (rand.Intn(100) > 0 fails for 0): renew again.
	say "Pebble reused the authorization; renewing once more"
	: >"$HOOKLOG"
	assert_exit 0 acmectl renew --cert-name "$H" --force-renewal
	v=3
fi
assert_eq "$(live_version "$H")" "$v" "version after the renewal"
assert_eq "$(grep -c '^== ' "$HOOKLOG")" 2 "hooks run by the renewal"

# --- dns-01: a wildcard and its apex --------------------------------------
W=wild.$TEST_DOMAIN
: >"$HOOKLOG"
assert_exit 0 acmectl certonly --manual --preferred-challenges dns \
	--manual-auth-hook "$T/dns-auth.sh" --manual-cleanup-hook "$T/dns-cleanup.sh" \
	-d "*.$W" -d "$W"
assert_match "$OUT" "valid: $W \\(dns-01\\)"
# Progress names the wildcard as it was asked for, not its base name.
assert_match "$OUT" "valid: \\*\\.$W \\(dns-01\\)"
# certbot's naming: the wildcard's base names the lineage.
assert_match "$OUT" "Saved as version 1 of $W"
sans=$(openssl x509 -in "$T/state/live/$W/cert.pem" -noout -ext subjectAltName)
assert_match "$sans" "DNS:\\*\\.$W"
assert_match "$sans" "DNS:$W([^.]|$)"
assert_eq "$(grep -c '^== auth' "$HOOKLOG")" 2 "auth hooks run (one per authorization)"
assert_eq "$(grep -c '^== cleanup' "$HOOKLOG")" 2 "cleanup hooks run"
assert_eq "$(grep '^CERTBOT_DOMAIN=' "$HOOKLOG" | sort -u)" "CERTBOT_DOMAIN=$W" "CERTBOT_DOMAIN"
assert_eq "$(grep '^CERTBOT_ALL_DOMAINS=' "$HOOKLOG" | sort -u)" \
	"CERTBOT_ALL_DOMAINS=*.$W,$W" "CERTBOT_ALL_DOMAINS"
assert_eq "$(grep '^CERTBOT_REMAINING_CHALLENGES=' "$HOOKLOG" | head -2 | tr '\n' ' ')" \
	"CERTBOT_REMAINING_CHALLENGES=1 CERTBOT_REMAINING_CHALLENGES=0 " "remaining, counting down"
! grep -q '^CERTBOT_TOKEN=' "$HOOKLOG" || fail "CERTBOT_TOKEN set for dns-01"
# Each validation is a dns-01 TXT value: base64url of a SHA-256, 43 chars.
for v in $(sed -n 's/^CERTBOT_VALIDATION=//p' "$HOOKLOG"); do
	[[ $v =~ ^[A-Za-z0-9_-]{43}$ ]] || fail "not a dns-01 value: $v"
done
assert_match "$(grep '^CERTBOT_AUTH_OUTPUT=' "$HOOKLOG" | sort -u)" "CERTBOT_AUTH_OUTPUT=txt for $W"
# The TXT records are gone: challtestsrv answers none for the name.
assert_eq "$(dns_query "_acme-challenge.$W" TXT 2>/dev/null || true)" "" "TXT records left"
assert_contains "$T/state/renewal/$W.conf" "preferred_challenges = \"dns-01\";"

# --- failures --------------------------------------------------------------
# Its stderr is in the error (its stdout is CERTBOT_AUTH_OUTPUT, not shown).
fails="sh -c 'echo out; echo nsupdate: zone not found >&2; exit 3'"
assert_exit 1 acmectl certonly --manual --manual-auth-hook "$fails" -d "fail.$TEST_DOMAIN"
assert_match "$OUT" "manual auth hook for fail.$TEST_DOMAIN: the auth hook failed with exit status 3; its error output: nsupdate: zone not found$"
assert_contains "$T/acmed.log" "the manual auth hook wrote to stderr: nsupdate: zone not found"
[[ ! -e $T/state/renewal/fail.$TEST_DOMAIN.conf ]] || fail "a failed job left a lineage"
assert_exit 2 acmectl certonly --manual -d "x.$TEST_DOMAIN"
assert_match "$OUT" "--manual needs --manual-auth-hook"
assert_exit 2 acmectl certonly --webroot -w "$WEBROOT" --preferred-challenges dns -d "x.$TEST_DOMAIN"
assert_match "$OUT" "the webroot authenticator answers http-01 only"
assert_exit 2 acmectl certonly --manual --manual-auth-hook true --preferred-challenges carrier-pigeon \
	-d "x.$TEST_DOMAIN"
assert_match "$OUT" "'carrier-pigeon' is not a challenge type"
pass
