# Sourced by lib.sh: nginx for the tests, on free ports under $T.
# shellcheck shell=bash

# start_nginx WEBROOT: nginx serving WEBROOT on 127.0.0.1:$HTTP01_PORT, for
# webroot http-01. Config, pid, logs and temp dirs all live in $T/nginx.
# One process, no master/workers: it keeps our UID (so it can read a 0700
# mktemp dir as root) and dies with a single SIGTERM.
start_nginx() {
	local root=$1 d=$T/nginx
	require_cmd curl
	[[ -x /usr/sbin/nginx ]] || skip "/usr/sbin/nginx is not installed"
	: "${HTTP01_PORT:=$(free_port)}"
	export HTTP01_PORT
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<-EOF
		daemon off;
		master_process off;
		pid $d/nginx.pid;
		error_log $d/error.log info;
		events { worker_connections 64; }
		http {
		    access_log $d/access.log;
		    client_body_temp_path $d/client_body;
		    proxy_temp_path $d/proxy;
		    fastcgi_temp_path $d/fastcgi;
		    uwsgi_temp_path $d/uwsgi;
		    scgi_temp_path $d/scgi;
		    types { }
		    default_type text/plain;
		    server {
		        listen 127.0.0.1:$HTTP01_PORT;
		        root $root;
		    }
		}
	EOF
	say "starting nginx on 127.0.0.1:$HTTP01_PORT serving $root"
	# -e: nginx opens its error log before reading the config.
	spawn nginx "$d/error.log" /usr/sbin/nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
	_LOGS+=("$d/access.log")
	wait_for nginx "$SPAWNED_PID" curl -s -o /dev/null "http://127.0.0.1:$HTTP01_PORT/"
}

# nginx_tls_reload_cmd [DIR]: the command that makes the nginx of
# start_nginx_tls re-read its certificate (what a deploy hook runs).
nginx_tls_reload_cmd() {
	local d=${1:-$T/nginx-tls}
	printf '/usr/sbin/nginx -p %s -c %s -e %s -s reload\n' "$d" "$d/nginx.conf" "$d/error.log"
}

# start_nginx_tls CERT KEY [DIR]: nginx serving HTTPS on
# 127.0.0.1:$NGINX_TLS_PORT with CERT (a full chain) and KEY, as a site
# would serve acmed's live/ files, its files in DIR (default
# $T/nginx-tls); tls_serial reads the serial it presents. Unlike
# start_nginx it runs a master process, as in production: a reload
# (SIGHUP) makes the master read the certificate again and start new
# workers.
start_nginx_tls() {
	local cert=$1 key=$2 d=${3:-$T/nginx-tls} user=""
	[[ -x /usr/sbin/nginx ]] || skip "/usr/sbin/nginx is not installed"
	NGINX_TLS_PORT=$(free_port)
	mkdir -p "$d"
	((EUID == 0)) && user="user root;"
	cat >"$d/nginx.conf" <<-EOF
		daemon off;
		master_process on;
		worker_processes 1;
		$user
		pid $d/nginx.pid;
		error_log $d/error.log info;
		events { worker_connections 64; }
		http {
		    access_log off;
		    client_body_temp_path $d/client_body;
		    proxy_temp_path $d/proxy;
		    fastcgi_temp_path $d/fastcgi;
		    uwsgi_temp_path $d/uwsgi;
		    scgi_temp_path $d/scgi;
		    server {
		        listen 127.0.0.1:$NGINX_TLS_PORT ssl;
		        ssl_certificate $cert;
		        ssl_certificate_key $key;
		        return 200 "ok\\n";
		    }
		}
	EOF
	export NGINX_TLS_PORT
	say "starting nginx with TLS on 127.0.0.1:$NGINX_TLS_PORT"
	spawn nginx-tls "$d/error.log" /usr/sbin/nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
	wait_for nginx-tls "$SPAWNED_PID" tls_serial
}

# tls_serial [PORT]: the serial (lower-case hex, as `acmectl certificates`
# shows it) of the certificate nginx presents on PORT (default
# $NGINX_TLS_PORT).
tls_serial() {
	local s
	s=$(openssl s_client -connect "127.0.0.1:${1:-$NGINX_TLS_PORT}" </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null) || return 1
	s=${s#serial=}
	s=$(tr 'A-F' 'a-f' <<<"$s")
	while [[ ${s:0:1} == 0 && ${#s} -gt 1 ]]; do s=${s:1}; done
	printf '%s\n' "$s"
	[[ -n $s ]]
}


# nginx_debian_layout DIR: nginx's configuration root as Debian ships it,
# in DIR: conf.d/, sites-available/, sites-enabled/, snippets/, a
# self-signed snakeoil.pem/.key, and an nginx.conf (with a comment or two
# to keep) that includes conf.d/*.conf and DIR/sites-enabled/*; a master
# process as in production (a reload starts new workers), its pid, logs
# and temp files in $T/ngx-tmp. Makes $T/www too. The test writes the
# sites.
nginx_debian_layout() {
	local user=""
	mkdir -p "$1"/{conf.d,sites-available,sites-enabled,snippets} "$T/www" "$T/ngx-tmp"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=snakeoil -keyout "$1/snakeoil.key" -out "$1/snakeoil.pem" 2>/dev/null
	((EUID == 0)) && user="user root;"
	cat >"$1/nginx.conf" <<EOF
daemon off;
worker_processes 1;
$user
pid $T/ngx-tmp/nginx.pid;
error_log $T/ngx-tmp/error.log info;

events {
	worker_connections 64;
	# multi_accept on;
}

http {
	##
	# Basic Settings
	##

	access_log $T/ngx-tmp/access.log;
	client_body_temp_path $T/ngx-tmp/body;
	proxy_temp_path $T/ngx-tmp/proxy;
	fastcgi_temp_path $T/ngx-tmp/fastcgi;
	uwsgi_temp_path $T/ngx-tmp/uwsgi;
	scgi_temp_path $T/ngx-tmp/scgi;
	types { text/html html; }
	default_type application/octet-stream;

	include conf.d/*.conf;
	include $1/sites-enabled/*;
}
EOF
}
