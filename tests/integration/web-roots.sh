#!/bin/bash
# Web roots the worker may write: /usr/share/nginx/html (the web root of
# nginx's own packages and of RHEL's) is allowed although it is under /usr;
# the rest of /usr is refused, said once and with what to do instead; a
# file given as -w is "not a directory", wherever it is. acmed runs in a
# mount namespace of its own where /usr/share/nginx/html is this test's
# web root, so the machine's is never written.
source "$(dirname "$0")/lib.sh"

((EUID == 0)) || skip "needs root for a mount namespace"
require_cmd unshare
[[ -d /usr/share/nginx/html ]] || skip "no /usr/share/nginx/html to mount over"

start_pebble PEBBLE_AUTHZREUSE=0
WEB=$T/www
mkdir -p "$WEB"
start_nginx "$WEB"
# shellcheck disable=SC2016,SC2034 # expanded by that sh; read by lib.sh
ACMED_WRAP=(unshare -m --propagation private
	sh -c 'mount --bind "$0" /usr/share/nginx/html && exec "$@"' "$WEB")
start_acmed
D=$TEST_DOMAIN
certonly() { "$ACMECTL" certonly -n --agree-tos -m admin@example.org "$@"; }

say "/usr/share/nginx/html is a web root like any other"
assert_exit 0 certonly --webroot -w /usr/share/nginx/html -d "nginx.$D"
assert_file "$T/state/live/nginx.$D/fullchain.pem"
[[ ! -e /usr/share/nginx/html/.well-known ]] || say "(the machine's own has a .well-known)"

say "the rest of /usr is refused, once, with what to do"
assert_exit 1 certonly --webroot -w /usr/share -d "usr.$D"
assert_match "$OUT" "starting the signer failed: web root /usr/share is a system directory: the worker may not write there; serve /.well-known/acme-challenge/ from a directory such as /var/www/html and give that with -w"
[[ $OUT != *"failed: starting the signer failed"* ]] || fail "the step is named twice: $OUT"
assert_exit 1 certonly --webroot -w /usr/share/nginx -d "usr.$D"
assert_match "$OUT" "web root /usr/share/nginx is a system directory"

say "a file is not a directory, wherever it is"
echo hello >"$T/index.html"
assert_exit 1 certonly --webroot -w "$T/index.html" -d "file.$D"
assert_match "$OUT" "web ?root $T/index.html is not a directory: give the directory the web server serves"
assert_exit 1 certonly --webroot -w /etc/hosts -d "file.$D"
assert_match "$OUT" "web ?root /etc/hosts is not a directory"
[[ $OUT != *"system directory"* ]] || fail "a file called a system directory: $OUT"
[[ ! -e $T/state/renewal/usr.$D.conf && ! -e $T/state/renewal/file.$D.conf ]] ||
	fail "a refused web root left a lineage"

stop_acmed
pass
