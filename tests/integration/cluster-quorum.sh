#!/bin/bash
# cluster-quorum: renewals on their own timer across two hosts while etcd
# loses members, and hosts that were away, against a real three-member etcd
# cluster and Pebble (30-second certificates: due every 15 s).
# - One member stopped: the renewal that falls due goes through, on both
#   hosts.
# - Two stopped (no quorum): past the next due time no order is placed
#   anywhere, nothing is removed from either host's live/ or archive/, no
#   failure is counted in the lineage's backoff, and each host's alert hook
#   gets cluster-unreachable. Quorum back: cluster-recovered, and the
#   renewal that fell due completes, on both hosts.
# - A host stopped across two renewals installs both when it comes back.
# - A new host with an empty state directory installs every lineage (its
#   versions, renewal file and the account) and passes `acmectl check`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"
. "$(dirname "$0")/cluster-lib.sh"

cluster_start --validity 30
for h in a b c; do
	cat >"$T/$h-alert" <<SH
#!/bin/sh
echo "\$ACMED_EVENT" >>"$T/$h-alerts"
SH
	chmod +x "$T/$h-alert"
	host_conf "$h" "renew_jitter = 0; alert_hook = \"$T/$h-alert\";"
done
start_host a
start_host b
N=q.$TEST_DOMAIN
at_least() { # HOST VERSION: HOST's live/N is at VERSION or later
	local v
	v=$(live_version "$N" "$T/$1/state") && ((v >= $2))
}
both_at_least() { at_least a "$1" && at_least b "$1"; }
snapshot() { # HOST: live/ and archive/ of N, links and contents (not the
	# alert marks, .alerts: with 30 s certificates, expiry warnings come)
	(cd "$T/$1/state" && find "live/$N" "archive/$N" ! -name .alerts -printf '%p %y %l\n' |
		sort &&
		cat "archive/$N"/*.pem | sha256sum)
}

say "one member stopped: the lineage is issued and its renewal goes through"
etcd_stop_member 3
assert_exit 0 on a certonly "${ISSUE[@]}" -d "$N"
wait_until 30 "b installed version 1" both_at_least 1
wait_until 90 "the renewal on the timer, on both hosts" both_at_least 2

say "two members stopped: no quorum"
v=$(live_version "$N" "$T/a/state")
wait_until 30 "b has version $v" at_least b "$v"
etcd_stop_member 2
o0=$(orders)
before_a=$(snapshot a) before_b=$(snapshot b)
na=$(cert_json_at a "$N" not_after)
wait_until 90 "cluster-unreachable on a and b" \
	eval 'grep -qx cluster-unreachable "$T/a-alerts" && grep -qx cluster-unreachable "$T/b-alerts"'
# Past the time the renewal fell due (half the 30 s lifetime) and then some.
due=$((na - 15))
while (($(date +%s) < due + 10)); do sleep 1; done
assert_eq "$(orders)" "$o0" "orders without quorum"
assert_eq "$(snapshot a)" "$before_a" "a's live/ and archive/ without quorum"
assert_eq "$(snapshot b)" "$before_b" "b's live/ and archive/ without quorum"
assert_eq "$(cert_json_at a "$N" failures)" 0 "failures counted on a without quorum"
assert_eq "$(cert_json_at b "$N" failures)" 0 "failures counted on b without quorum"
assert_exit 0 on a status
assert_match "$OUT" "etcd"

say "quorum back: the renewal that fell due completes"
etcd_start_member 2
etcd_start_member 3
wait_until 90 "version $((v + 1)) on both hosts" both_at_least $((v + 1))
wait_until 60 "cluster-recovered on a and b" \
	eval 'grep -qx cluster-recovered "$T/a-alerts" && grep -qx cluster-recovered "$T/b-alerts"'
assert_exit 0 on a check
assert_exit 0 on b check

say "b is away across two renewals, and catches up"
stop_host b
v=$(live_version "$N" "$T/a/state")
wait_until 90 "a renewed twice while b was away" at_least a $((v + 2))
w=$(live_version "$N" "$T/a/state")
start_host b
wait_until 30 "b installed version $w" at_least b "$w"
for ((i = v + 1; i <= w; i++)); do
	assert_file "$T/b/state/archive/$N/cert$i.pem"
done
assert_exit 0 on b check

say "a new host joins: it installs every lineage"
start_host c
wait_until 30 "c installed $N" eval '[[ -n $(live_version "$N" "$T/c/state") ]]'
assert_exit 0 on c check
[[ -f $T/c/state/renewal/$N.conf ]] || fail "c has no renewal file for $N"
[[ -n $(find "$T/c/state/accounts" -name key.pem) ]] || fail "c has no account"
assert_eq "$(stat -c %a "$(find "$T/c/state/accounts" -name key.pem | head -1)")" 600 \
	"the account key's mode on c"
pass
