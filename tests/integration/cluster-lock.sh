#!/bin/bash
# cluster-lock: a job's side of cluster mode against a real three-member
# etcd cluster with client TLS and Pebble. A certificate issued on host a
# is published in etcd (current version, certificate, chain, the key only
# sealed, renewal settings) and its lock is gone after; while another host
# holds the lineage's lock, a renewal places no order and says who holds
# it; the cluster-wide backoff holds a renewal, and a failure is counted in
# it; a host killed after finalize leaves its order in etcd, and the next
# holder takes it over without a second order; with etcd out of quorum no
# order is placed and live/ stays as it was; a renewal longer than the
# lock's lease keeps its lock; `acmectl delete` on a cluster host says it
# deleted there only, with the etcdctl command that removes the lineage
# from etcd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"
. "$(dirname "$0")/cluster-lib.sh"

cluster_start --proxy
start_host a
N=lock.$TEST_DOMAIN
L=/acmed/lineages/$N
get() { etcdctl_t get --print-value-only "$L/$1"; }
has() { [[ -n $(etcdctl_t get --keys-only "$L/$1") ]]; }

say "certonly on host a publishes version 1 in etcd"
assert_exit 0 on a certonly "${ISSUE[@]}" -d "$N"
assert_match "$OUT" "Saved as version 1 of $N"
assert_eq "$(get current)" 1 "current version in etcd"
assert_eq "$(get versions/1/cert)" "$(cat "$T/a/state/archive/$N/cert1.pem")" "cert 1 in etcd"
assert_eq "$(get versions/1/chain)" "$(cat "$T/a/state/archive/$N/chain1.pem")" "chain 1 in etcd"
assert_match "$(get renewal)" "domains = \\[ \"$N\" \\]|domain = \"$N\""
has versions/1/key.sealed || fail "no sealed key for version 1"
! has lock || fail "the lock is still there after the job: $(get lock)"
! has order || fail "the order in flight is still there after publish"
# The account is shared: account.json as a has it, the key only sealed.
acct=$(cd "$T/a/state/accounts" && find . -name account.json | sed 's|^\./||; s|/account.json$||')
[[ -n $acct ]] || fail "no account on a"
assert_eq "$(etcdctl_t get --print-value-only "/acmed/accounts/$acct/account.json")" \
	"$(cat "$T/a/state/accounts/$acct/account.json")" "account.json in etcd"
[[ -n $(etcdctl_t get --keys-only "/acmed/accounts/$acct/key.sealed") ]] ||
	fail "no sealed account key in etcd"
etcdctl_t get --prefix /acmed/ >"$T/dump"
! grep -q "PRIVATE KEY" "$T/dump" || fail "a PEM private key is in etcd"

say "another host holds the lock: no order, and the holder is named"
etcdctl_t put "$L/lock" z >/dev/null
o0=$(orders)
assert_exit 0 on a renew --cert-name "$N" --force-renewal
assert_match "$OUT" "z holds $N's cluster lock"
assert_eq "$(orders)" "$o0" "orders while z holds the lock"
assert_eq "$(live_version "$N" "$T/a/state")" 1 "live/ on a"
etcdctl_t del "$L/lock" >/dev/null

say "the cluster-wide backoff holds a renewal on every host"
now=$(date +%s)
etcdctl_t put "$L/state" "{\"failures\":2,\"next_attempt\":$((now + 600)),\"retry_after\":0,\"error\":\"boom\",\"host\":\"c\"}" >/dev/null
assert_exit 0 on a renew --cert-name "$N" --force-renewal
assert_match "$OUT" "failed 2 time\\(s\\) in a row in the cluster \\(last on c: boom\\)"
assert_eq "$(orders)" "$o0" "orders during the cluster's backoff"
etcdctl_t del "$L/state" >/dev/null

say "a failure is counted in the cluster's backoff"
proxy_config '{"faults": [{"path": "^/order-plz", "method": "POST", "status": 500}]}'
assert_exit 1 on a renew --cert-name "$N" --force-renewal
proxy_config '{}'
assert_eq "$(get state | jq -r '.failures, .host')" "$(printf '1\na')" "failure recorded in etcd"
[[ $(get state | jq -r .next_attempt) -gt $now ]] || fail "no next attempt in etcd: $(get state)"
! has lock || fail "the lock is still there after a failed job"
etcdctl_t del "$L/state" >/dev/null

say "host a is killed after finalize: the next holder takes its order over"
proxy_config '{"faults": [{"path": "^/certZ/", "delay": 60}]}'
o0=$(orders)
on a renew --cert-name "$N" --force-renewal >"$T/renew1.out" 2>&1 &
renew=$!
wait_until 30 "the order was finalized" grep -q "Order finalized" "$T/renew1.out"
assert_eq "$(get order | jq -r .host)" a "the order in flight in etcd"
assert_eq "$(get order | jq -r .version)" 2 "the order's version"
kill_host a
wait "$renew" 2>/dev/null || true
# The order is taken from etcd, not from a's own copy.
rm -f "$T/a/state/archive/$N/.pending"
wait_until 30 "a's lock expired with its lease" eval '! has lock'
proxy_config '{}'
start_host a
assert_exit 0 on a renew --cert-name "$N" --force-renewal
assert_match "$OUT" "Taking over order https://[^ ]+ left by a"
assert_match "$OUT" "Saved as version 2 of $N"
assert_eq "$(($(orders) - o0))" 1 "orders for the renewal, the kill included"
assert_eq "$(get current)" 2 "current version in etcd"
! has order || fail "the order in flight is still there after publish"
assert_exit 0 on a check

say "a renewal longer than the lock's lease keeps its lock (the keeper renews the lease)"
proxy_config '{"faults": [{"path": "^/certZ/", "delay": 14}]}'
assert_exit 0 on a renew --cert-name "$N" --force-renewal
proxy_config '{}'
assert_match "$OUT" "Saved as version 3 of $N"
assert_eq "$(get current)" 3 "current version in etcd after a long renewal"

say "no quorum: no order, live/ unchanged"
etcd_stop_member 2
etcd_stop_member 3
o0=$(orders)
before=$(cd "$T/a/state/live/$N" && cat ./*.pem | sha256sum)
assert_exit 1 on a renew --cert-name "$N" --force-renewal
assert_match "$OUT" "no order is placed while etcd cannot be reached"
assert_eq "$(orders)" "$o0" "orders without quorum"
# Not a failure of the renewal: its backoff is not touched (one alert for
# the cluster comes from the watcher).
assert_eq "$(cert_json_at a "$N" failures)" 0 "failures counted without quorum"
assert_eq "$(cd "$T/a/state/live/$N" && cat ./*.pem | sha256sum)" "$before" "live/ without quorum"

say "delete on a cluster host: this host only, and acmectl says so"
assert_exit 0 on a delete --cert-name "$N" -n
assert_match "$OUT" "Deleted all files relating to certificate $N"
assert_match "$OUT" "deleted on this host only"
assert_match "$OUT" "etcdctl del --prefix /acmed/lineages/$N/"
[[ ! -e $T/a/state/live/$N ]] || fail "live/$N is still there"
pass
