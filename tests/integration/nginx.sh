#!/bin/bash
# certonly --nginx against a real nginx in Debian's layout (sites-enabled
# symlinks, conf.d/ glob, several server blocks per file, a wildcard and a
# regex server_name, an existing TLS block) and Pebble's real http-01
# validation through it: the dry run prints the diff and writes nothing;
# the edit adds one include line per block and keeps every other byte;
# nginx serves acmed's challenge directory for each name; a renewal leaves
# nginx's files unchanged; an edit nginx -t refuses is put back byte for
# byte with nginx's message.
source "$(dirname "$0")/lib.sh"

[[ -x /usr/sbin/nginx ]] || skip "/usr/sbin/nginx is not installed"
require_cmd curl openssl jq
start_pebble
pebble_root
start_acmed

N=$T/etc-nginx
P=$HTTP01_PORT
TLS_PORT=$(free_port)
D=$TEST_DOMAIN
RE_D=${D//./\\.}
nginx_debian_layout "$N"
cat >"$N/sites-available/default" <<EOF
# Default server configuration
#
server {
	listen 127.0.0.1:$P default_server;

	root $T/www;
	index index.html index.htm;

	server_name _;

	location / {
		try_files \$uri \$uri/ =404;
	}

	# deny access to .htaccess files
	location ~ /\\.ht {
		deny all;
	}
}
EOF
cat >"$N/sites-available/shop" <<EOF
server {
    listen 127.0.0.1:$P;
    server_name shop.$D "www.shop.$D";  # two names

    location / {
        return 200 "shop\\n";
    }
}

server {
    listen 127.0.0.1:$TLS_PORT ssl;
    server_name shop.$D;
    ssl_certificate $N/snakeoil.pem;
    ssl_certificate_key $N/snakeoil.key;
    location / { return 200 "tls\\n"; }
}
EOF
cat >"$N/conf.d/names.conf" <<EOF
map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
server {
	listen 127.0.0.1:$P;
	server_name *.blog.$D;
	location / { return 404; }
}
server {
	listen 127.0.0.1:$P;
	server_name ~^api\\d+\\.$RE_D\$;
	location / {
		if (\$request_method = POST) { return 405; }
		return 200 'api';
	}
}
EOF
ln -s ../sites-available/default "$N/sites-enabled/default"
ln -s "$N/sites-available/shop" "$N/sites-enabled/shop"

# acmectl runs nginx as `CTL -c CONF -t` and `CTL -c CONF -s reload`; this
# one keeps nginx's prefix and error log in the test's directory.
cat >"$T/nginx-ctl" <<EOF
#!/bin/sh
exec /usr/sbin/nginx -p "$N" -e "$T/ngx-tmp/error.log" "\$@"
EOF
chmod +x "$T/nginx-ctl"
say "starting nginx on 127.0.0.1:$P with $N"
spawn nginx "$T/ngx-tmp/error.log" /usr/sbin/nginx -p "$N" -c "$N/nginx.conf" -e "$T/ngx-tmp/error.log"
wait_for nginx "$SPAWNED_PID" curl -s -o /dev/null "http://127.0.0.1:$P/"

# sums: a checksum of every file under the server root.
sums() { (cd "$N" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
cp -a "$N" "$T/orig"
before=$(sums)
NGINX_ARGS=(--nginx --nginx-server-root "$N" --nginx-ctl "$T/nginx-ctl" --http-01-port "$P")
NAMES=(-d "www.shop.$D" -d "a.blog.$D" -d "api7.$D")

# --dry-run: the unified diff, nothing written.
assert_exit 0 "$ACMECTL" certonly "${NGINX_ARGS[@]}" "${NAMES[@]}" --dry-run \
	--agree-tos -m admin@example.org -n
assert_match "$OUT" "--- a$N/sites-available/shop"
assert_match "$OUT" "\+    include $T/state/nginx/acme-challenge.conf; # added by acmectl"
assert_match "$OUT" "--- a$N/conf.d/names.conf"
assert_match "$OUT" "\+location \^~ /.well-known/acme-challenge/ \{"
assert_match "$OUT" "www.shop.$D: 127.0.0.1:$P: server block at $N/sites-enabled/shop:1 \(exact name\)"
assert_match "$OUT" "a.blog.$D: .* \(wildcard name starting with '\*'\)"
assert_match "$OUT" "api7.$D: .* \(regular expression\)"
assert_eq "$(sums)" "$before" "the dry run wrote nothing"
[[ ! -e $T/state/nginx/acme-challenge.conf ]] || fail "the dry run wrote the snippet"
# With --json, stdout is JSON alone: the diff is a member.
"$ACMECTL" certonly "${NGINX_ARGS[@]}" "${NAMES[@]}" --dry-run --json -n >"$T/dry.json" 2>/dev/null ||
	fail "certonly --nginx --dry-run --json failed"
assert_eq "$(jq -r .dry_run "$T/dry.json")" true "--json: dry_run"
assert_match "$(jq -r .nginx_diff "$T/dry.json")" "^\+    include $T/state/nginx/acme-challenge.conf;"

# The real thing: 3 names across 2 files, Pebble validating through nginx.
assert_exit 0 "$ACMECTL" certonly "${NGINX_ARGS[@]}" "${NAMES[@]}" --agree-tos \
	-m admin@example.org -n
assert_match "$OUT" "nginx: 3 server block\(s\) now include"
assert_match "$OUT" "Successfully received certificate"
live=$T/state/live/www.shop.$D
assert_exit 0 openssl verify -CAfile "$T/pebble-root.pem" -untrusted "$live/chain.pem" "$live/cert.pem"
# The symlinks stayed symlinks; every byte but the added lines is as it was.
assert_symlink "$N/sites-enabled/shop"
assert_symlink "$N/sites-enabled/default"
for f in sites-available/shop conf.d/names.conf sites-available/default nginx.conf; do
	grep -v ' # added by acmectl: ACME http-01 challenges$' "$N/$f" >"$T/reverted" || true
	cmp -s "$T/reverted" "$T/orig/$f" || fail "$f: more than the include changed: $(diff "$T/orig/$f" "$N/$f")"
done
assert_eq "$(grep -c 'added by acmectl' "$N/sites-available/shop")" 1 "one include in shop (not its TLS block)"
assert_eq "$(grep -c 'added by acmectl' "$N/conf.d/names.conf")" 2 "one include per block in names.conf"
assert_eq "$(grep -c 'added by acmectl' "$N/sites-available/default")" 0 "default untouched"
# nginx serves acmed's challenge directory for every name.
echo probe >"$T/state/nginx/webroot/.well-known/acme-challenge/probe"
for name in "www.shop.$D" "a.blog.$D" "api7.$D"; do
	got=$(curl -s -H "Host: $name" "http://127.0.0.1:$P/.well-known/acme-challenge/probe")
	assert_eq "$got" "probe" "challenge file served for $name"
done
rm "$T/state/nginx/webroot/.well-known/acme-challenge/probe"
# The backup set: the originals and their checksums.
manifest=$(find "$T/state/nginx/backups" -name manifest)
assert_contains "$manifest" "^$(sha256sum <"$T/orig/sites-available/shop" | cut -d' ' -f1) [0-9a-f]{64} 0644 $N/sites-available/shop\$"
# The lineage's authenticator is nginx: webroot in acmed's own directory.
assert_contains "$T/state/renewal/www.shop.$D.conf" "name = \"nginx\";"
assert_contains "$T/state/renewal/www.shop.$D.conf" "path = \"$T/state/nginx/webroot\";"

# A renewal writes token files only: nginx's files do not change.
edited=$(sums)
assert_exit 0 "$ACMECTL" renew --cert-name "www.shop.$D" --force-renewal
assert_eq "$(live_version "www.shop.$D")" 2 "renewed"
assert_eq "$(sums)" "$edited" "the renewal left nginx's files alone"
# And certonly again finds the include in place: nothing to edit.
assert_exit 0 "$ACMECTL" certonly "${NGINX_ARGS[@]}" "${NAMES[@]}" -n --force-renewal
assert_match "$OUT" "the server blocks include .* already"
assert_eq "$(sums)" "$edited" "no second include"

# nginx -t refusing the edit: a block for a new name with a conflicting
# directive (a second default server on the port). Every file is put back.
cat >"$N/sites-available/bad" <<EOF
server {
	listen 127.0.0.1:$P default_server;
	server_name bad.$D;
}
EOF
ln -s ../sites-available/bad "$N/sites-enabled/bad"
broken=$(sums)
assert_exit 1 "$ACMECTL" certonly "${NGINX_ARGS[@]}" -d "bad.$D" -n
assert_match "$OUT" "nginx -t refused the edit, so every file was put back"
assert_match "$OUT" "duplicate default server"
assert_eq "$(sums)" "$broken" "every file restored byte for byte"
rm "$N/sites-enabled/bad" "$N/sites-available/bad"

# A name no server_name matches: a clear error, nothing written.
assert_exit 1 "$ACMECTL" certonly "${NGINX_ARGS[@]}" -d "nowhere.$D" -n
assert_match "$OUT" "no server block listening on port $P has a server_name matching nowhere.$D"
assert_eq "$(sums)" "$edited" "nothing written for an unknown name"

# rollback --nginx: the dry run shows the undo; then every file is as it
# was before the edit, byte for byte, and nginx no longer serves the
# challenge directory.
ROLLBACK_ARGS=(--nginx --nginx-server-root "$N" --nginx-ctl "$T/nginx-ctl")
assert_exit 0 "$ACMECTL" rollback "${ROLLBACK_ARGS[@]}" --dry-run
assert_match "$OUT" "^-    include $T/state/nginx/acme-challenge.conf; # added by acmectl"
assert_eq "$(sums)" "$edited" "the rollback's dry run wrote nothing"
assert_exit 0 "$ACMECTL" rollback "${ROLLBACK_ARGS[@]}"
assert_match "$OUT" "Rolled back 1 edit set\(s\): 2 file\(s\) restored"
assert_eq "$(sums)" "$before" "every file as before the edit"
assert_symlink "$N/sites-enabled/shop"
echo probe >"$T/state/nginx/webroot/.well-known/acme-challenge/probe"
wait_until 10 "nginx reloaded without the challenge location" \
	bash -c '[[ $(curl -s -H "Host: www.shop.'"$D"'" \
		"http://127.0.0.1:'"$P"'/.well-known/acme-challenge/probe") == shop ]]'
assert_exit 1 "$ACMECTL" rollback "${ROLLBACK_ARGS[@]}"
assert_match "$OUT" "no edit set of acmectl's to roll back"

pass
