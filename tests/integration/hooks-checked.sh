#!/bin/bash
# Hooks are checked before anything is ordered, as certbot 2.1 checks them,
# with certbot run side by side on the same Pebble (through the test proxy,
# which counts the orders):
#   - a typo in --deploy-hook, --manual-auth-hook or renew's --post-hook,
#     or a hook file that is not executable: refused with certbot's words
#     and exit 1 by both, and the CA sees no new order;
#   - --disable-hook-validation lets the typo through (as certbot does);
#     the deploy hook then fails, and its error output is in acmectl's
#     message, the --json answer and acmed's log;
#   - renew's hook options are saved to the renewal files of the lineages
#     it renews (certbot's renew_hook), not by a dry run, and not for a
#     lineage that was not due; in that run they take the place of the
#     saved ones.
source "$(dirname "$0")/lib.sh"

require_cmd certbot
start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
start_ca_proxy
WEB=$T/www
mkdir -p "$WEB"
start_nginx "$WEB"
export REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE
CB=(certbot --config-dir "$T/le" --work-dir "$T/cb-work" --logs-dir "$T/cb-logs"
	--server "$ACMED_SERVER" --non-interactive --agree-tos -m admin@example.org
	--no-random-sleep-on-renew)
D=$TEST_DOMAIN

orders() { proxy_requests '.path | test("^/order-plz")' | wc -l; }
webroot=(--webroot -w "$WEB")

start_acmed
# Both have an account first: the orders counted below are orders only.
assert_exit 0 "$ACMECTL" certonly "${webroot[@]}" -d "first.$D" -n --agree-tos -m admin@example.org
certbot_is 0 certonly "${webroot[@]}" -d "first.$D"

say "a typo in --deploy-hook: refused before any order, by both"
o0=$(orders)
assert_exit 1 "$ACMECTL" certonly "${webroot[@]}" -d "typo.$D" -n --deploy-hook 'systemctll reload nginx'
assert_match "$OUT" "Unable to find deploy-hook command systemctll in the PATH\\."
assert_match "$OUT" "--disable-hook-validation"
certbot_is 1 certonly "${webroot[@]}" -d "typo.$D" --deploy-hook 'systemctll reload nginx'
assert_match "$CB_OUT" "Unable to find deploy-hook command systemctll in the PATH\\."
assert_eq "$(orders)" "$o0" "orders after the refused typo"
[[ ! -e $T/state/renewal/typo.$D.conf && ! -e $T/le/renewal/typo.$D.conf ]] ||
	fail "a lineage was made for the refused command"
# --json says it too, with the code "hook".
rc=0
"$ACMECTL" --json certonly "${webroot[@]}" -d "typo.$D" -n --pre-hook 'nosuch-pre x' \
	>"$T/typo.json" 2>/dev/null || rc=$?
assert_eq "$rc" 1 "--json exit status"
assert_eq "$(jq -r .error.code "$T/typo.json")" hook "--json error code"
assert_match "$(jq -r .error.message "$T/typo.json")" "^Unable to find pre-hook command nosuch-pre in the PATH"
assert_contains "$T/acmed.log" "certonly refused: Unable to find pre-hook command nosuch-pre"

say "a typo in --manual-auth-hook, a hook that is not executable"
assert_exit 1 "$ACMECTL" certonly --manual --manual-auth-hook 'nosuch-auth x' -d "man.$D" -n
assert_match "$OUT" "Unable to find manual-auth-hook command nosuch-auth in the PATH\\."
certbot_is 1 certonly --manual --manual-auth-hook 'nosuch-auth x' -d "man.$D"
assert_match "$CB_OUT" "Unable to find manual-auth-hook command nosuch-auth in the PATH\\."
printf '#!/bin/sh\n' >"$T/noexec"
chmod 0644 "$T/noexec"
assert_exit 1 "$ACMECTL" certonly "${webroot[@]}" -d "typo.$D" -n --post-hook "$T/noexec now"
assert_match "$OUT" "post-hook command $T/noexec exists, but is not executable\\."
certbot_is 1 certonly "${webroot[@]}" -d "typo.$D" --post-hook "$T/noexec now"
assert_match "$CB_OUT" "exists, but is not executable\\."
# Even for a certificate that is not due: the check comes first.
assert_exit 1 "$ACMECTL" certonly "${webroot[@]}" -d "first.$D" -n --deploy-hook 'systemctll x'
certbot_is 1 certonly "${webroot[@]}" -d "first.$D" --deploy-hook 'systemctll x'

say "renew's hooks are checked too"
assert_exit 1 "$ACMECTL" renew --force-renewal --post-hook 'nosuch-post y'
assert_match "$OUT" "Unable to find post-hook command nosuch-post in the PATH\\."
certbot_is 1 renew --force-renewal --post-hook 'nosuch-post y'
assert_match "$CB_OUT" "Unable to find post-hook command nosuch-post in the PATH\\."
assert_eq "$(orders)" "$o0" "orders after the refused commands"

say "--disable-hook-validation: issued; the failing hook's error output is shown"
assert_exit 1 "$ACMECTL" certonly "${webroot[@]}" -d "typo.$D" -n --disable-hook-validation \
	--deploy-hook 'systemctll reload nginx'
assert_match "$OUT" "certificate was obtained, but 1 hook\\(s\\) failed"
assert_match "$OUT" "deploy hook for typo.$D: systemctll reload nginx \\(failed\\); its output ended: .*systemctll: not found"
assert_contains "$T/acmed.log" "failed with exit status 127; its output ended: .*systemctll: not found"
certbot_is 0 certonly "${webroot[@]}" -d "typo.$D" --disable-hook-validation \
	--deploy-hook 'systemctll reload nginx'
assert_match "$CB_OUT" "systemctll: not found"
# (Pebble's badNonce may make a client post an order twice.)
(($(orders) >= o0 + 2)) || fail "orders with --disable-hook-validation: $(orders), from $o0"
assert_file "$T/state/live/typo.$D/fullchain.pem"
assert_file "$T/le/live/typo.$D/fullchain.pem"

say "renew's hooks are saved to the lineages it renews"
printf '#!/bin/sh\necho "$1" >>%s/ran\n' "$T" >"$T/rec"
chmod 0755 "$T/rec"
assert_exit 0 "$ACMECTL" renew --force-renewal --cert-name "first.$D" --deploy-hook "$T/rec deploy" \
	--pre-hook "$T/rec pre"
certbot_is 0 renew --force-renewal --cert-name "first.$D" --deploy-hook "$T/rec deploy" \
	--pre-hook "$T/rec pre"
assert_contains "$T/state/renewal/first.$D.conf" "^deploy_hook = \"$T/rec deploy\";"
assert_contains "$T/state/renewal/first.$D.conf" "^pre_hook = \"$T/rec pre\";"
assert_contains "$T/le/renewal/first.$D.conf" "^renew_hook = $T/rec deploy$"
assert_contains "$T/le/renewal/first.$D.conf" "^pre_hook = $T/rec pre$"
# The next renewal without them runs the saved deploy hook, in both.
: >"$T/ran"
assert_exit 0 "$ACMECTL" renew --force-renewal --cert-name "first.$D"
assert_eq "$(grep -c deploy "$T/ran")" 1 "acmed ran the saved deploy hook"
: >"$T/ran"
certbot_is 0 renew --force-renewal --cert-name "first.$D"
assert_eq "$(grep -c deploy "$T/ran")" 1 "certbot ran the saved deploy hook"
# A hook given to renew takes the place of the saved one of its kind, in both.
: >"$T/ran"
assert_exit 0 "$ACMECTL" renew --force-renewal --cert-name "first.$D" --deploy-hook "$T/rec other"
assert_eq "$(sort "$T/ran" | tr '\n' ' ')" "other pre " "acmed's hooks with renew --deploy-hook"
: >"$T/ran"
certbot_is 0 renew --force-renewal --cert-name "first.$D" --deploy-hook "$T/rec other"
assert_eq "$(sort "$T/ran" | tr '\n' ' ')" "other pre " "certbot's hooks with renew --deploy-hook"
# Neither a dry run nor a lineage that is not due saves them.
assert_exit 0 "$ACMECTL" renew --dry-run --cert-name "first.$D" --post-hook "$T/rec dry"
certbot_is 0 renew --dry-run --cert-name "first.$D" --post-hook "$T/rec dry"
assert_exit 0 "$ACMECTL" renew --cert-name "first.$D" --post-hook "$T/rec notdue"
certbot_is 0 renew --cert-name "first.$D" --post-hook "$T/rec notdue"
for f in "$T/state/renewal/first.$D.conf" "$T/le/renewal/first.$D.conf"; do
	! grep -q "rec dry\|rec notdue" "$f" || fail "$f: a hook saved by a dry run or a lineage not due"
done

stop_acmed
pass
