# Cluster mode's hosts for the tests: several acmed daemons on one machine,
# each with its own state directory, socket and acmed.conf, all pointed at
# the etcd cluster etcd-lib.sh started and sharing one cluster key. Source
# after lib.sh and etcd-lib.sh.

# cluster_key: the cluster key every host reads, made once.
cluster_key() {
	[[ -f $T/cluster.key ]] && return
	cat >"$T/init.conf" <<CONF
cluster_key_file = "$T/cluster.key";
CONF
	"$ACMECTL" cluster init --config "$T/init.conf" >/dev/null ||
		fail "acmectl cluster init failed"
}

# host_conf HOST [SETTINGS]: HOST's acmed.conf (cluster_host HOST), with
# the lines SETTINGS added.
host_conf() {
	local h=$1
	mkdir -p "$T/$h"
	cluster_key
	{
		etcd_settings "$T/$h/state" "$T/cluster.key"
		printf 'cluster_host = "%s";\n%s\n' "$h" "${2:-}"
	} >"$T/$h/acmed.conf"
}

# start_host HOST [ACMED ARGS...]: acmed for HOST (its conf made by
# host_conf first if missing); HOST_PID[HOST] is its pid.
declare -gA HOST_PID
start_host() {
	local h=$1
	shift
	[[ -f $T/$h/acmed.conf ]] || host_conf "$h"
	spawn "acmed-$h" "$T/$h/acmed.log" "${ACMED_WRAP[@]}" "$ACMED" --foreground \
		--log-level debug --config "$T/$h/acmed.conf" --state-dir "$T/$h/state" \
		--socket "$T/$h/acmed.sock" --server "${ACMED_SERVER:-$PEBBLE_DIR_URL}" \
		--ca-bundle "$PEBBLE_CA_BUNDLE" "$@"
	HOST_PID[$h]=$SPAWNED_PID
	wait_for "acmed $h" "$SPAWNED_PID" on "$h" status
}

stop_host() {
	stop_pid "${HOST_PID[$1]}" || fail "acmed $1 did not stop cleanly"
}

# on HOST ARGS...: acmectl against HOST's daemon.
on() {
	local h=$1
	shift
	command "$ACMECTL" --socket "$T/$h/acmed.sock" "$@"
}

# orders: the orders Pebble has created so far.
orders() { grep -c "Added order" "$T/pebble.log" || true; }

# kill_host HOST: SIGKILL to HOST's acmed and every process under it (its
# jobs, their signers, a lock's keeper): the host dies at once, as in a
# power cut.
_descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		_descendants "$c"
	done
}
kill_host() {
	local pid=${HOST_PID[$1]} all
	all=$(echo "$pid"; _descendants "$pid")
	kill -KILL $all 2>/dev/null || true
	stop_pid "$pid" || true
}

# host_nginx HOST NAME: HOST's own nginx serving HOST's live/NAME over TLS
# (HOST_TLS_PORT[HOST]), and a deploy hook in HOST's renewal-hooks/deploy/
# that reloads it: each host reloads its own nginx.
declare -gA HOST_TLS_PORT
host_nginx() {
	local h=$1 live=$T/$1/state/live/$2
	start_nginx_tls "$live/fullchain.pem" "$live/privkey.pem" "$T/$h/nginx"
	HOST_TLS_PORT[$h]=$NGINX_TLS_PORT
	mkdir -p "$T/$h/state/renewal-hooks/deploy"
	cat >"$T/$h/state/renewal-hooks/deploy/50-reload-nginx" <<HOOK
#!/bin/sh
echo "\$RENEWED_LINEAGE" >>"$T/$h/deployed"
exec $(nginx_tls_reload_cmd "$T/$h/nginx")
HOOK
	chmod +x "$T/$h/state/renewal-hooks/deploy/50-reload-nginx"
}

# cluster_start [--proxy] [START_PEBBLE ARGS...]: what every cluster test
# runs on: Pebble (and its root), the fault proxy in front of it with
# --proxy, one nginx serving $WEBROOT on $HTTP01_PORT that every host
# writes its challenges to (as a load balancer in front of the hosts would
# pass them on), and the three-member etcd cluster. ISSUE: certonly's
# options for that web root.
cluster_start() {
	local proxy=0
	[[ ${1:-} == --proxy ]] && { proxy=1; shift; }
	start_pebble "$@"
	pebble_root
	((proxy)) && start_ca_proxy
	WEBROOT=$T/www
	mkdir -p "$WEBROOT"
	start_nginx "$WEBROOT"
	start_etcd_cluster
	ISSUE=(--webroot -w "$WEBROOT" --agree-tos --register-unsafely-without-email -n)
}

# cert_json_at HOST NAME FIELD: cert_json (lib.sh) against HOST's daemon.
cert_json_at() {
	ACMED_SOCKET=$T/$1/acmed.sock cert_json "$2" "$3"
}
