#!/bin/bash
# No pre, deploy or post hook runs while a lineage's live/ links are being
# switched. Each link is switched by its own rename: a hook reading
# live/ across a switch of another lineage pairs a new certificate with the
# old key, and `nginx -s reload` refuses the whole configuration ("key
# values mismatch"). Eight lineages renew four at a time, each switch
# landing while some deploy hook runs; every deploy hook checks, with a
# real `nginx -t` over all eight lineages, that the pairs hold, and that no
# link in live/ changed during the 0.4 s it ran. `acmectl check`, run
# again and again meanwhile, never reports a switch half done.
source "$(dirname "$0")/lib.sh"

start_pebble
WEB=$T/www
mkdir -p "$WEB"
start_nginx "$WEB"

names=()
for i in 1 2 3 4 5 6 7 8; do
	names+=("l$i.$TEST_DOMAIN")
done
# An nginx configuration serving all eight from live/, checked by the hook.
ngx=$T/nginx-check
mkdir -p "$ngx"
{
	echo "pid $ngx/nginx.pid; error_log $ngx/error.log; events { }"
	echo "http { access_log off;"
	for n in "${names[@]}"; do
		echo "server { listen 127.0.0.1:1 ssl; server_name $n;"
		echo "  ssl_certificate $T/state/live/$n/fullchain.pem;"
		echo "  ssl_certificate_key $T/state/live/$n/privkey.pem; }"
	done
	echo "}"
} >"$ngx/nginx.conf"
cat >"$T/deploy" <<EOF
#!/bin/sh
links() {
	for d in "$T/state/live/"*/; do
		echo "\$d \$(readlink "\$d/fullchain.pem") \$(readlink "\$d/privkey.pem")"
	done
}
before=\$(links)
set -- "$T/state/live/"*/
if [ \$# -eq 8 ]; then
	/usr/sbin/nginx -t -q -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" \
		>>"$T/violations" 2>&1 || echo "nginx -t failed in the hook for \$RENEWED_LINEAGE" >>"$T/violations"
	echo "\$RENEWED_LINEAGE" >>"$T/checked"
fi
sleep 0.4
after=\$(links)
[ "\$before" = "\$after" ] || printf 'live/ changed while the hook for %s ran:\n%s\n--\n%s\n' \
	"\$RENEWED_LINEAGE" "\$before" "\$after" >>"$T/violations"
echo "\$RENEWED_LINEAGE" >>"$T/deploys"
EOF
chmod +x "$T/deploy"

cat >"$T/acmed.conf" <<EOF
renew_jitter = 0;
max_parallel_jobs = 4;
deploy_hook = "$T/deploy";
EOF
start_acmed
: >"$T/violations"

say "eight lineages, issued four at a time"
certonly_together "$WEB" "${names[@]}"
: >"$T/violations" # nginx -t runs only once all eight exist
: >"$T/checked"

say "all eight renewed at once, four at a time, acmectl check meanwhile"
# A monitoring script's `acmectl check` during the renewals: it looks at a
# lineage only between switches, so it never reports one half done.
(
	while [[ ! -e $T/renewed ]]; do
		"$ACMECTL" check >"$T/check.out" 2>&1 || { cat "$T/check.out" >>"$T/check.fail"; }
		echo ran >>"$T/checks"
	done
) &
checker=$!
assert_exit 0 "$ACMECTL" renew --force-renewal
touch "$T/renewed"
wait "$checker"
say "$(grep -c . "$T/checks") checks ran during the renewals"
if [[ -s $T/check.fail ]]; then
	fail "acmectl check failed during the renewals: $(head -20 "$T/check.fail")"
fi
for n in "${names[@]}"; do
	assert_eq "$(live_version "$n")" 2 "live/$n's version"
done
assert_eq "$(grep -c . "$T/deploys")" 16 "deploy hooks run"
assert_eq "$(grep -c . "$T/checked")" 8 "hooks that ran nginx -t over all eight"
if [[ -s $T/violations ]]; then
	fail "a hook saw live/ change under it: $(cat "$T/violations")"
fi
assert_exit 0 "$ACMECTL" check
pass
