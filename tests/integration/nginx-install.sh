#!/bin/bash
# acmectl run --nginx and install --nginx against a real nginx in Debian's
# layout (sites-enabled symlinks, conf.d/ and sites-enabled/ globs,
# snippets/, several server blocks per file, a wildcard and a regex
# server_name, an existing TLS block) and Pebble's real http-01 validation
# through it. The TLS port is a free one, given with --https-port (certbot's
# option; 443 by default). Checked: the dry run writes nothing; run obtains
# and installs, and each name's SNI handshake shows the new certificate;
# every byte but the edits is kept; the saved deploy hook reloads this
# nginx at a renewal (a short-lived certificate), which leaves nginx's files
# alone; --hsts, --redirect (challenges still answered on port 80), --uir;
# an edit nginx -t refuses is put back byte for byte; rollback --nginx
# gives back the files as they were before the install.
source "$(dirname "$0")/lib.sh"

[[ -x /usr/sbin/nginx ]] || skip "/usr/sbin/nginx is not installed"
require_cmd curl openssl jq
start_pebble --validity 120
pebble_root
echo "renew_jitter = 0;" >"$T/acmed.conf"
start_acmed

N=$T/etc-nginx
P=$HTTP01_PORT
TLS=$(free_port)
D=$TEST_DOMAIN
RE_D=${D//./\\.}
nginx_debian_layout "$N"
echo "hello" >"$T/www/index.html"

cat >"$N/snippets/deny-ht.conf" <<'EOF'
# deny access to .htaccess files
location ~ /\.ht {
	deny all;
}
EOF
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

	include snippets/deny-ht.conf;
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
    listen 127.0.0.1:$TLS ssl;
    server_name shop.$D www.shop.$D;
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
	location / { return 200 "blog\\n"; }
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

cat >"$T/nginx-ctl" <<EOF
#!/bin/sh
exec /usr/sbin/nginx -p "$N" -e "$T/ngx-tmp/error.log" "\$@"
EOF
chmod +x "$T/nginx-ctl"
say "starting nginx on 127.0.0.1:$P (TLS: $TLS) with $N"
spawn nginx "$T/ngx-tmp/error.log" /usr/sbin/nginx -p "$N" -c "$N/nginx.conf" -e "$T/ngx-tmp/error.log"
wait_for nginx "$SPAWNED_PID" curl -s -o /dev/null "http://127.0.0.1:$P/"

sums() { (cd "$N" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
# sni_serial NAME: the serial of the certificate nginx presents for NAME.
sni_serial() {
	local s
	s=$(openssl s_client -connect "127.0.0.1:$TLS" -servername "$1" </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null) || return 1
	s=${s#serial=}
	s=$(tr 'A-F' 'a-f' <<<"$s")
	while [[ ${s:0:1} == 0 && ${#s} -gt 1 ]]; do s=${s:1}; done
	printf '%s\n' "$s"
}
serves() { [[ $(sni_serial "$1") == "$2" ]]; }
# https NAME [CURL ARGS]: a GET over TLS with SNI NAME, headers on stdout.
https() {
	local name=$1
	shift
	curl -s -D - -o /dev/null --cacert "$T/pebble-root.pem" \
		--resolve "$name:$TLS:127.0.0.1" "$@" "https://$name:$TLS/"
}

cp -a "$N" "$T/orig"
before=$(sums)
NGINX_ARGS=(--nginx --nginx-server-root "$N" --nginx-ctl "$T/nginx-ctl" --http-01-port "$P"
	--https-port "$TLS")
NAMES=(-d "www.shop.$D" -d "a.blog.$D" -d "api7.$D")
L=www.shop.$D
live=$T/state/live/$L

# --dry-run: the challenge edit as a diff; nothing written, nothing ordered.
assert_exit 0 "$ACMECTL" run "${NGINX_ARGS[@]}" "${NAMES[@]}" --dry-run \
	--agree-tos -m admin@example.org -n
assert_match "$OUT" "--- a$N/conf.d/names.conf"
assert_match "$OUT" "The dry run stops here"
assert_eq "$(sums)" "$before" "the dry run wrote nothing"
[[ ! -e $live ]] || fail "the dry run made a lineage"

# run, as certbot's default subcommand (no verb): obtain and install.
assert_exit 0 "$ACMECTL" "${NGINX_ARGS[@]}" "${NAMES[@]}" --hsts --agree-tos \
	-m admin@example.org -n
assert_match "$OUT" "Successfully received certificate"
assert_match "$OUT" "www.shop.$D: 127.0.0.1:$TLS: server block at $N/sites-enabled/shop:11 \(exact name\): its certificate is set"
assert_match "$OUT" "a.blog.$D: 127.0.0.1:$P: .*names.conf:2 .*: made to serve TLS"
assert_match "$OUT" "api7.$D: 127.0.0.1:$P: .*names.conf:8 \(regular expression\): made to serve TLS"
assert_match "$OUT" "nginx: [0-9]+ edit\(s\) install $live/fullchain.pem; nginx reloaded"
assert_contains "$T/state/renewal/$L.conf" \
	"deploy_hook = \"$T/nginx-ctl -c $N/nginx.conf -s reload\";"
v1=$(cert_serial "$live/cert.pem")
for name in "www.shop.$D" "a.blog.$D" "api7.$D"; do
	wait_until 10 "nginx serves the new certificate for $name" serves "$name" "$v1"
	assert_match "$(https "$name")" "[Ss]trict-[Tt]ransport-[Ss]ecurity: max-age=31536000"
done
assert_match "$(curl -s --cacert "$T/pebble-root.pem" --resolve "api7.$D:$TLS:127.0.0.1" \
	"https://api7.$D:$TLS/")" "^api$"
# Every byte but the edits as it was: drop the added lines, put the old
# paths back, and the files are the originals.
assert_symlink "$N/sites-enabled/shop"
assert_symlink "$N/sites-enabled/default"
for f in sites-available/shop conf.d/names.conf sites-available/default nginx.conf \
	snippets/deny-ht.conf; do
	grep -v ' # added by acmectl' "$N/$f" |
		sed -e "s|ssl_certificate $live/fullchain.pem;|ssl_certificate $N/snakeoil.pem;|" \
			-e "s|ssl_certificate_key $live/privkey.pem;|ssl_certificate_key $N/snakeoil.key;|" \
			>"$T/reverted" || true
	cmp -s "$T/reverted" "$T/orig/$f" ||
		fail "$f: more than the edits changed: $(diff "$T/orig/$f" "$N/$f")"
done
assert_eq "$(grep -c "listen 127.0.0.1:$TLS ssl; # added by acmectl" "$N/conf.d/names.conf")" 2 \
	"a TLS listen in each block of names.conf"
assert_eq "$(grep -c 'added by acmectl' "$N/sites-available/default")" 0 "default untouched"
installed=$(sums)

# install --dry-run: the diff of --redirect and --uir, nothing written.
assert_exit 0 "$ACMECTL" install "${NGINX_ARGS[@]}" --cert-name "$L" --redirect --uir --dry-run
assert_match "$OUT" "^\+	if \(\\\$uri !~ \"\^/\\\\.well-known/acme-challenge/\"\) \{ return 301 https://\\\$host:$TLS\\\$request_uri; \}"
assert_match "$OUT" "Content-Security-Policy \"upgrade-insecure-requests\" always;"
assert_match "$OUT" "The dry run installed nothing"
assert_eq "$(sums)" "$installed" "install --dry-run wrote nothing"

# An edit nginx -t refuses: a block for another name listens on the TLS
# port without ssl, so the TLS listen acmectl adds is a duplicate. Its
# certificate is obtained first (certonly adds only the challenge include);
# then install: every file put back byte for byte, nginx's message, exit 1.
cp "$N/conf.d/names.conf" "$T/names.conf.installed"
cat >>"$N/conf.d/names.conf" <<EOF
server {
	listen 127.0.0.1:$P;
	listen 127.0.0.1:$TLS;
	server_name bad.$D;
}
EOF
assert_exit 0 "$ACMECTL" certonly "${NGINX_ARGS[@]:0:7}" -d "bad.$D" -n
broken=$(sums)
assert_exit 1 "$ACMECTL" install "${NGINX_ARGS[@]}" --cert-name "bad.$D"
assert_match "$OUT" "nginx -t refused the edit, so every file was put back as it was; nginx said:"
assert_match "$OUT" "duplicate listen"
assert_eq "$(sums)" "$broken" "every file restored byte for byte"
assert_exit 0 "$ACMECTL" rollback --nginx --nginx-server-root "$N" --nginx-ctl "$T/nginx-ctl"
cat "$T/names.conf.installed" >"$N/conf.d/names.conf"
assert_eq "$(sums)" "$installed" "the injected block removed"

# install --redirect --uir for the lineage: port 80 answers 301 but for the
# challenges, and the deploy hook is saved again. (Reconfigure's dry run
# validates through nginx only the names whose authorization Pebble does
# not reuse, so the probes below check every name's challenge path.)
assert_exit 0 "$ACMECTL" install "${NGINX_ARGS[@]}" --cert-name "$L" --redirect --uir -n
assert_match "$OUT" "nginx: the deploy hook for $L reloads nginx: $T/nginx-ctl -c $N/nginx.conf -s reload"
for name in "www.shop.$D" "a.blog.$D" "api7.$D"; do
	wait_until 10 "port 80 redirects $name" bash -c "curl -s -o /dev/null -w '%{http_code} %{redirect_url}' \
		-H 'Host: $name' 'http://127.0.0.1:$P/x?y' | grep -qx '301 https://$name:$TLS/x?y'"
done
echo probe >"$T/state/nginx/webroot/.well-known/acme-challenge/probe"
for name in "www.shop.$D" "a.blog.$D" "api7.$D"; do
	got=$(curl -s -H "Host: $name" "http://127.0.0.1:$P/.well-known/acme-challenge/probe")
	assert_eq "$got" "probe" "the challenge still answered on port 80 for $name"
done
rm "$T/state/nginx/webroot/.well-known/acme-challenge/probe"
assert_match "$(https "a.blog.$D")" "[Cc]ontent-[Ss]ecurity-[Pp]olicy: upgrade-insecure-requests"
assert_match "$(curl -s --cacert "$T/pebble-root.pem" --resolve "a.blog.$D:$TLS:127.0.0.1" \
	"https://a.blog.$D:$TLS/")" "^blog$"
assert_contains "$T/state/renewal/$L.conf" \
	"deploy_hook = \"$T/nginx-ctl -c $N/nginx.conf -s reload\";"

# A renewal (the certificate lives 120 s; the daemon renews it at half of
# that): nginx's files stay as they are and the saved hook reloads nginx.
redirected=$(sums)
say "waiting for the daemon to renew $L"
wait_until 90 "$L renewed" live_at_least "$L" 2
v2=$(cert_serial "$live/cert.pem")
[[ $v2 != "$v1" ]] || fail "the renewal kept the serial"
for name in "www.shop.$D" "a.blog.$D" "api7.$D"; do
	wait_until 15 "nginx serves the renewed certificate for $name" serves "$name" "$v2"
done
assert_eq "$(sums)" "$redirected" "the renewal left nginx's files alone"

# rollback --nginx, twice: the --redirect set, then the install's; the
# files are then as they were before the install (the challenge include
# alone added).
assert_exit 0 "$ACMECTL" rollback --nginx --nginx-server-root "$N" --nginx-ctl "$T/nginx-ctl"
assert_eq "$(sums)" "$installed" "the --redirect edit rolled back"
wait_until 10 "no redirect after the rollback" bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'Host: a.blog.$D' 'http://127.0.0.1:$P/') == 200 ]]"
assert_exit 0 "$ACMECTL" rollback --nginx --nginx-server-root "$N" --nginx-ctl "$T/nginx-ctl"
for f in sites-available/shop conf.d/names.conf; do
	grep -v ' # added by acmectl: ACME http-01 challenges$' "$N/$f" >"$T/reverted" || true
	cmp -s "$T/reverted" "$T/orig/$f" || fail "$f: not as before the install: $(diff "$T/orig/$f" "$N/$f")"
done
wait_until 10 "nginx serves the snakeoil certificate again" \
	serves "www.shop.$D" "$(cert_serial "$N/snakeoil.pem")"


# --nginx-create: new.$D has no server block. The dry run shows the file
# and writes nothing; run makes conf.d/new.$D.conf (nginx.conf includes
# conf.d/), obtains through it and installs; rollback --nginx, twice,
# undoes the install and removes the file.
created=$(sums)
assert_exit 0 "$ACMECTL" run "${NGINX_ARGS[@]}" --nginx-create -d "new.$D" --dry-run -n
assert_match "$OUT" "^--- a$N/conf.d/new.$D.conf"
assert_match "$OUT" "^\+	listen 127.0.0.1:$P;"
assert_match "$OUT" "^\+	server_name new.$D;"
assert_eq "$(sums)" "$created" "the dry run made no file"
assert_exit 0 "$ACMECTL" run "${NGINX_ARGS[@]}" --nginx-create -d "new.$D" -n
assert_match "$OUT" "nginx: made $N/conf.d/new.$D.conf"
assert_match "$OUT" "new.$D: 127.0.0.1:$P: server block at $N/conf.d/new.$D.conf:3 \(exact name\): made to serve TLS"
wait_until 10 "nginx serves new.$D's certificate" \
	serves "new.$D" "$(cert_serial "$T/state/live/new.$D/cert.pem")"
assert_exit 0 "$ACMECTL" rollback --nginx --nginx-server-root "$N" --nginx-ctl "$T/nginx-ctl"
assert_exit 0 "$ACMECTL" rollback --nginx --nginx-server-root "$N" --nginx-ctl "$T/nginx-ctl" --dry-run
assert_match "$OUT" "^-	server_name new.$D;"
assert_exit 0 "$ACMECTL" rollback --nginx --nginx-server-root "$N" --nginx-ctl "$T/nginx-ctl"
[[ ! -e $N/conf.d/new.$D.conf ]] || fail "rollback --nginx left the created file"
assert_eq "$(sums)" "$created" "every file as before --nginx-create"

pass
