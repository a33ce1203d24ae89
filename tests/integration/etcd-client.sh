#!/bin/bash
# etcd-client: the three-member etcd cluster of the cluster-mode tests
# (etcd-lib.sh) comes up with client TLS required, keeps its quorum with
# one member stopped and lets the member rejoin; acmed's etcd client
# (common/etcd/, through etcd-tool) puts, reads, creates only if absent,
# loses a lease-bound key with its lease, watches, fails over, and says
# "no quorum" within its time when two members are down.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"

ETCD_TOOL=${ETCD_TOOL:-$BUILD_DIR/tests/etcd-tool}
[[ -x $ETCD_TOOL ]] || fail "$ETCD_TOOL missing: build first"
start_etcd_cluster

# etool ARGS...: the client at every member, 5 s per call.
etool() {
	"$ETCD_TOOL" "$ETCD_ENDPOINTS" "$ETCD_CA" "$ETCD_CERT" "$ETCD_KEY" 5000 "$@"
}

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

# The client: what it puts, etcdctl reads, and the other way round.
assert_exit 0 etool put /acmed-test/c three
assert_exit 0 etcdctl_t get --print-value-only /acmed-test/c
assert_eq "$OUT" three "etcdctl reads the client's put"
assert_exit 0 etool get /acmed-test/a
assert_match "$OUT" '^/acmed-test/a=one create=[0-9]+ mod=[0-9]+ version=1 lease=0$'
assert_exit 0 etool prefix /acmed-test/
assert_match "$OUT" 'count=2 more=0'
assert_exit 0 etool prefix /acmed-test/ 1
assert_match "$OUT" 'count=2 more=1'
assert_eq "$(grep -c '^/acmed-test/' <<<"$OUT")" 1 "a limit of 1 gives one pair"
assert_exit 0 etool get /acmed-test/none
assert_match "$OUT" '^count=0'

# Create only if absent: the second create finds the first one's value.
assert_exit 0 etool create /acmed-test/lock host-a
assert_exit 3 etool create /acmed-test/lock host-b
assert_match "$OUT" '^exists: host-a$'

# A lease kept alive answers with its TTL; a key bound to a lease that is
# not kept alive goes when the lease expires (TTL 6 s; etcd's minimum TTL
# may raise it, so wait for the key, not for a time).
assert_exit 0 etool grant 60
assert_exit 0 etool keepalive "$OUT"
assert_match "$OUT" '^ttl=[0-9]+$'
assert_exit 0 etool grant 6
lease=$OUT
assert_exit 0 etool create /acmed-test/leased held "$lease"
assert_exit 0 etool get /acmed-test/leased
assert_match "$OUT" "lease=$lease"
lease_gone() { etool get /acmed-test/leased | grep -q '^count=0'; }
wait_until 30 "the lease-bound key expires" lease_gone
assert_exit 1 etool keepalive "$lease"
assert_match "$OUT" 'expired'
# ... and a revoked lease takes its key at once.
assert_exit 0 etool grant 60
lease=$OUT
assert_exit 0 etool put /acmed-test/leased2 x "$lease"
assert_exit 0 etool revoke "$lease"
assert_exit 0 etool get /acmed-test/leased2
assert_match "$OUT" '^count=0'

# A watch from the next revision sees a put made after it: whether the put
# lands before or after the watch is set up, it is in the history watched.
assert_exit 0 etool get /acmed-test/a
rev=$(sed -n 's/.*revision=//p' <<<"$OUT" | tail -n 1)
etool watch /acmed-test/w/ "$((rev + 1))" 1 >"$T/watch.out" 2>&1 &
watch_pid=$!
assert_exit 0 etool put /acmed-test/w/x seen
wait "$watch_pid" || fail "the watch failed: $(cat "$T/watch.out")"
assert_contains "$T/watch.out" '^PUT /acmed-test/w/x=seen '
# A watch from now on sees, as it happens, a put made once it is set up.
etool watch /acmed-test/live/ 0 1 >"$T/live.out" 2>&1 &
watch_pid=$!
wait_until 20 "the watch is set up" grep -q '^watching at revision' "$T/live.out"
assert_exit 0 etool put /acmed-test/live/y now
wait "$watch_pid" || fail "the live watch failed: $(cat "$T/live.out")"
assert_contains "$T/live.out" '^PUT /acmed-test/live/y=now '
# After a compaction, a watch from before it is told so.
assert_exit 0 etcdctl_t compact "$((rev + 1))"
assert_exit 1 etool watch /acmed-test/w/ 1 1
assert_match "$OUT" "compacted=$((rev + 1))"

assert_exit 0 etool status
assert_eq "$(grep -c 'version=3\.4' <<<"$OUT")" 3 "every member's status"
assert_exit 0 etool members
assert_eq "$(wc -l <<<"$OUT")" 3 "members listed by the client"

# One member down: the other two still have a quorum, and the client fails
# over from the stopped member (listed first) to the others.
etcd_stop_member 1
assert_exit 0 etcdctl_t --command-timeout 5s put /acmed-test/b two
assert_exit 0 etool put /acmed-test/d four
assert_exit 0 etool get /acmed-test/b
assert_match "$OUT" '^/acmed-test/b=two '
assert_exit 1 etool status
assert_match "$OUT" "$ETCD_ENDPOINT_1"

# Two members down: no quorum. The client says so, naming the endpoints,
# within its 5 s per call (the test's own timeout bounds the wait).
etcd_stop_member 2
assert_exit 1 etool put /acmed-test/e five
assert_match "$OUT" 'no etcd endpoint answered within 5000 ms'
assert_match "$OUT" "$ETCD_ENDPOINT_3"

etcd_start_member 2
etcd_start_member 1
assert_exit 0 _etcdctl_at "$ETCD_ENDPOINT_1" get --print-value-only /acmed-test/d
assert_eq "$OUT" four "the member that rejoined has the write"
assert_exit 0 etool put /acmed-test/e five

pass
