# shellcheck shell=bash
# tests/integration/etcd-lib.sh: a real three-member etcd cluster for the
# cluster-mode tests. Source it after lib.sh:
#
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/etcd-lib.sh"
#     start_etcd_cluster
#     etcdctl_t put /acmed/x y
#
# The members listen on 127.0.0.1 at free ports, with client TLS required
# (a client certificate signed by the test CA) and peer TLS, as in
# production. Certificates, data dirs and logs live under $T/etcd.
#
# Exported variables, set by start_etcd_cluster:
#   ETCD_ENDPOINTS   "https://127.0.0.1:P1,https://127.0.0.1:P2,..."
#   ETCD_ENDPOINT_1..3  each member's client URL
#   ETCD_CA          the CA that signed every certificate (PEM)
#   ETCD_CERT, ETCD_KEY  the client certificate and its key (PEM)

ETCD_MEMBERS=3
# 0: members do not ask clients for a certificate (etcd's own user
# authentication through the gateway needs that; see docs/cluster.md).
ETCD_CLIENT_CERT_AUTH=${ETCD_CLIENT_CERT_AUTH:-1}
# The certificates' lifetime in days (a test that moves a client's clock
# ahead needs them valid then too).
ETCD_TLS_DAYS=${ETCD_TLS_DAYS:-2}
_ETCD_PIDS=()  # by member index 1..3, "" while stopped
_ETCD_ARGS=()  # each member's etcd command line, for etcd_start_member

# make_etcd_tls: a CA, a server certificate for every member (localhost and
# 127.0.0.1, usable as a client too: peers and etcd's own gateway present
# it), and a client certificate, all EC P-256, in $T/etcd/tls.
make_etcd_tls() {
	local d=$T/etcd/tls
	mkdir -p "$d"
	printf '%s\n' 'basicConstraints = critical,CA:FALSE' \
		'keyUsage = critical,digitalSignature' \
		'extendedKeyUsage = serverAuth,clientAuth' \
		'subjectAltName = DNS:localhost,IP:127.0.0.1' >"$d/server.ext"
	printf '%s\n' 'basicConstraints = critical,CA:FALSE' \
		'keyUsage = critical,digitalSignature' \
		'extendedKeyUsage = clientAuth' >"$d/client.ext"
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days "$ETCD_TLS_DAYS" \
			-subj "/CN=acmed test etcd CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" &&
			_etcd_leaf server localhost && _etcd_leaf client acmed
	} >"$d/openssl.log" 2>&1 || {
		cat "$d/openssl.log" >&2
		fail "make_etcd_tls: openssl failed"
	}
	chmod 0600 "$d"/*.key
}

# _etcd_leaf NAME CN: $T/etcd/tls/NAME.{key,pem} signed by the test CA,
# with the extensions in NAME.ext.
_etcd_leaf() {
	local d=$T/etcd/tls
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$1.key" -out "$d/$1.csr" -subj "/CN=$2" &&
		openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days "$ETCD_TLS_DAYS" -extfile "$d/$1.ext" -out "$d/$1.pem"
}

# start_etcd_cluster: three etcd members forming one new cluster; returns
# once `etcdctl endpoint health` answers for all three. They are stopped
# when the test ends.
start_etcd_cluster() {
	require_cmd etcd etcdctl openssl
	local d=$T/etcd tls=$T/etcd/tls i cluster="" token
	# Three members elect a leader before any answers: on a loaded machine
	# that takes longer than one service's start.
	local READY_TIMEOUT=$((READY_TIMEOUT > 30 ? READY_TIMEOUT : 30))
	local -a cport pport
	local client_auth="--client-cert-auth --trusted-ca-file $tls/ca.pem"
	((ETCD_CLIENT_CERT_AUTH)) || client_auth=""
	make_etcd_tls
	for ((i = 1; i <= ETCD_MEMBERS; i++)); do
		cport[i]=$(free_port)
		pport[i]=$(free_port)
		cluster+="${cluster:+,}m$i=https://127.0.0.1:${pport[i]}"
	done
	token=acmed-test-$$-$RANDOM
	ETCD_ENDPOINTS=""
	for ((i = 1; i <= ETCD_MEMBERS; i++)); do
		ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}https://127.0.0.1:${cport[i]}"
		printf -v "ETCD_ENDPOINT_$i" '%s' "https://127.0.0.1:${cport[i]}"
		export "ETCD_ENDPOINT_$i"
		_ETCD_ARGS[i]="--name m$i --data-dir $d/m$i.data --logger zap --log-outputs stderr \
--listen-client-urls https://127.0.0.1:${cport[i]} \
--advertise-client-urls https://127.0.0.1:${cport[i]} \
--listen-peer-urls https://127.0.0.1:${pport[i]} \
--initial-advertise-peer-urls https://127.0.0.1:${pport[i]} \
--initial-cluster $cluster --initial-cluster-state new --initial-cluster-token $token \
$client_auth \
--cert-file $tls/server.pem --key-file $tls/server.key \
--peer-client-cert-auth --peer-trusted-ca-file $tls/ca.pem \
--peer-cert-file $tls/server.pem --peer-key-file $tls/server.key"
	done
	ETCD_CA=$tls/ca.pem
	ETCD_CERT=$tls/client.pem
	ETCD_KEY=$tls/client.key
	export ETCD_ENDPOINTS ETCD_CA ETCD_CERT ETCD_KEY
	say "starting a 3-member etcd cluster (TLS$( ((ETCD_CLIENT_CERT_AUTH)) && echo ", client certificates required")) at $ETCD_ENDPOINTS"
	for ((i = 1; i <= ETCD_MEMBERS; i++)); do
		_etcd_spawn "$i"
	done
	for ((i = 1; i <= ETCD_MEMBERS; i++)); do
		wait_for "etcd member $i" "${_ETCD_PIDS[i]}" etcd_member_healthy "$i"
	done
}

# _etcd_spawn I: start member I with its saved command line.
_etcd_spawn() {
	# shellcheck disable=SC2086 # the saved arguments hold no spaces
	spawn "etcd$1" "$T/etcd/m$1.log" etcd ${_ETCD_ARGS[$1]}
	_ETCD_PIDS[$1]=$SPAWNED_PID
}

# etcd_member_healthy I: member I answers `etcdctl endpoint health`.
etcd_member_healthy() {
	local ep="ETCD_ENDPOINT_$1"
	_etcdctl_at "${!ep}" --command-timeout 2s endpoint health
}

# etcd_stop_member I: stop member I (SIGTERM); its data dir is kept.
etcd_stop_member() {
	[[ -n ${_ETCD_PIDS[$1]:-} ]] || fail "etcd member $1 is not running"
	say "stopping etcd member $1"
	stop_pid "${_ETCD_PIDS[$1]}" || true
	_ETCD_PIDS[$1]=""
}

# etcd_start_member I: start member I again (it rejoins from its data dir)
# and wait until it is healthy.
etcd_start_member() {
	[[ -z ${_ETCD_PIDS[$1]:-} ]] || fail "etcd member $1 is already running"
	local READY_TIMEOUT=$((READY_TIMEOUT > 30 ? READY_TIMEOUT : 30))
	say "starting etcd member $1 again"
	# The log of its first run is kept beside the new one.
	[[ -f $T/etcd/m$1.log ]] && mv "$T/etcd/m$1.log" "$T/etcd/m$1.log.$EPOCHSECONDS"
	_etcd_spawn "$1"
	wait_for "etcd member $1" "${_ETCD_PIDS[$1]}" etcd_member_healthy "$1"
}

# etcdctl_t ARGS...: etcdctl (API v3) with the client certificate and every
# member's endpoint.
etcdctl_t() {
	_etcdctl_at "$ETCD_ENDPOINTS" "$@"
}

# _etcdctl_at ENDPOINTS ARGS...: the same, at ENDPOINTS only.
_etcdctl_at() {
	local eps=$1
	shift
	ETCDCTL_API=3 etcdctl --endpoints "$eps" --cacert "$ETCD_CA" \
		--cert "$ETCD_CERT" --key "$ETCD_KEY" "$@"
}

# etcd_settings STATE_DIR KEY_FILE: acmed.conf's lines for a host of the
# cluster start_etcd_cluster started (client TLS), with STATE_DIR and the
# cluster key in KEY_FILE.
etcd_settings() {
	cat <<CONF
state_dir = "$1";
storage = "etcd";
etcd_endpoints = [ "$ETCD_ENDPOINT_1", "$ETCD_ENDPOINT_2", "$ETCD_ENDPOINT_3" ];
etcd_ca = "$ETCD_CA";
etcd_cert = "$ETCD_CERT";
etcd_key = "$ETCD_KEY";
cluster_key_file = "$2";
CONF
}
