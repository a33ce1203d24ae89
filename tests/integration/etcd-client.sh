#!/bin/bash
# etcd-client: the three-member etcd cluster of the cluster-mode tests
# (etcd-lib.sh) comes up with client TLS required, keeps its quorum with
# one member stopped and lets the member rejoin.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"

start_etcd_cluster

# TLS is required: no client certificate, no answer.
assert_exit 0 etcdctl_t put /acmed-test/a one
assert_exit 0 etcdctl_t get --print-value-only /acmed-test/a
assert_eq "$OUT" one "value read back"
if ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINT_1" --cacert "$ETCD_CA" \
	--command-timeout 3s get /acmed-test/a >/dev/null 2>&1; then
	fail "etcd answered a client without a certificate"
fi
assert_exit 0 etcdctl_t member list
assert_eq "$(wc -l <<<"$OUT")" 3 "members listed"

# One member down: the other two still have a quorum.
etcd_stop_member 2
assert_exit 0 etcdctl_t --command-timeout 5s put /acmed-test/b two
etcd_start_member 2
assert_exit 0 _etcdctl_at "$ETCD_ENDPOINT_2" get --print-value-only /acmed-test/b
assert_eq "$OUT" two "the member that rejoined has the write"

pass
