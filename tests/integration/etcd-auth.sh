#!/bin/bash
# etcd-auth: acmed's etcd client with etcd's own users (etcd_user,
# etcd_password): it logs in, works within its role's keys, is refused
# outside them and with a wrong password, each said with etcd's message.
# Members serve TLS but ask for no client certificate: etcd 3.4's gateway
# refuses requests that carry one once authentication is on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"

ETCD_TOOL=${ETCD_TOOL:-$BUILD_DIR/tests/etcd-tool}
[[ -x $ETCD_TOOL ]] || fail "$ETCD_TOOL missing: build first"
ETCD_CLIENT_CERT_AUTH=0
start_etcd_cluster

assert_exit 0 etcdctl_t user add root:rootpw
assert_exit 0 etcdctl_t user grant-role root root
assert_exit 0 etcdctl_t user add acmed:acmedpw
assert_exit 0 etcdctl_t role add acmed
assert_exit 0 etcdctl_t role grant-permission acmed --prefix=true readwrite /acmed/
assert_exit 0 etcdctl_t user grant-role acmed acmed
assert_exit 0 etcdctl_t auth enable

etool() { # the client as user acmed, without a client certificate
	ETCD_USER=acmed ETCD_PASSWORD=${PW:-acmedpw} \
		"$ETCD_TOOL" "$ETCD_ENDPOINTS" "$ETCD_CA" - - 5000 "$@"
}
assert_exit 0 etool put /acmed/x one
assert_exit 0 etool get /acmed/x
assert_match "$OUT" '^/acmed/x=one '
assert_exit 0 etcdctl_t --user root:rootpw get --print-value-only /acmed/x
assert_eq "$OUT" one "root reads what acmed wrote"
assert_exit 1 etool put /other/x one
assert_match "$OUT" 'permission denied'
PW=wrong assert_exit 1 etool get /acmed/x
assert_match "$OUT" 'authentication failed'
# No user at all: etcd says what is missing.
assert_exit 1 "$ETCD_TOOL" "$ETCD_ENDPOINTS" "$ETCD_CA" - - 5000 get /acmed/x
assert_match "$OUT" 'user name is empty|permission denied|token'
pass
