#!/bin/bash
# cluster-ops: the operator's side of cluster mode against a real
# three-member etcd cluster with client TLS. `acmectl cluster status` shows
# the hosts (their last materialised revision, the lineages each has not
# installed yet, and lag), the locks held with
# their lease's time left, the orders in flight and the lineages in the
# cluster's backoff; `acmectl certificates --config` shows the cluster's
# current version beside this host's ("not yet installed here"), and only
# the local view with one warning when etcd is down; `acmectl store migrate
# --to local` copies every lineage back into an empty state directory
# (`acmectl check` passes there, every live file the same as the original
# host's), skips what is there on a second or interrupted run, adds the
# newer versions a lineage here lacks, and refuses a local file that
# differs without changing anything.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"

start_pebble
start_acmed
D1=one.$TEST_DOMAIN
D2=two.$TEST_DOMAIN
issue=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT"
	--agree-tos --register-unsafely-without-email -n)
assert_exit 0 acmectl certonly "${issue[@]}" -d "$D1"
assert_exit 0 acmectl certonly "${issue[@]}" -d "$D1" --force-renewal
assert_match "$OUT" "Saved as version 2 of $D1"
assert_exit 0 acmectl certonly "${issue[@]}" -d "$D2"

start_etcd_cluster
mkdir -m 0700 "$T/keys" "$T/b"
conf() { # FILE STATE_DIR: a cluster-mode acmed.conf for acmectl
	etcd_settings "$2" "$T/keys/cluster.key" >"$1"
}
conf "$T/cluster.conf" "$T/state"
conf "$T/b.conf" "$T/b/state"
assert_exit 0 "$ACMECTL" cluster init --config "$T/cluster.conf"
assert_exit 0 "$ACMECTL" store migrate --to etcd --config "$T/cluster.conf"
status() { "$ACMECTL" cluster status --config "$T/cluster.conf" "$@"; }
L=/acmed/lineages

say "cluster status: no host, lock, order or backoff yet"
assert_exit 0 status
for s in Hosts Locks 'Orders in flight' Backoff; do assert_match "$OUT" "^$s: none$"; done
assert_exit 0 status --json
assert_eq "$(jq -c '[.hosts, .locks, .orders, .backoff]' <<<"$OUT")" '[[],[],[],[]]' "empty sections"

say "cluster status: a host, a lock, an order in flight, a backoff"
lease_of() { awk '/granted/ {print $2}' <<<"$1"; }
host_lease=$(lease_of "$(etcdctl_t lease grant 120)")
lock_lease=$(lease_of "$(etcdctl_t lease grant 30)")
[[ -n $host_lease && -n $lock_lease ]] || fail "no lease granted"
etcdctl_t put --lease="$host_lease" /acmed/hosts/hostx \
	'{"revision": 5, "version": "9.9", "materialised": 1700000000}' >/dev/null
etcdctl_t put --lease="$lock_lease" "$L/$D1/lock" hostx >/dev/null
etcdctl_t put "$L/$D2/order" "{\"order\": \"https://ca.test/order/1\", \"account\": \"acct\",
	\"names\": [\"$D2\"], \"version\": 2, \"key\": \"c2VhbGVk\", \"host\": \"hostx\"}" >/dev/null
next=$(($(date +%s) + 600))
etcdctl_t put "$L/$D2/state" "{\"failures\": 3, \"next_attempt\": $next, \"retry_after\": 0,
	\"error\": \"boom\", \"host\": \"hosty\"}" >/dev/null
assert_exit 0 status
assert_match "$OUT" '^Hosts:$'
assert_match "$OUT" '^  hostx: acmed 9\.9, revision 5 \(2 lineages not yet installed; lag [0-9]+\), materialised 2023-11-14 22:13:20\+00:00$'
assert_match "$OUT" "^  $D1: held by hostx, lease $lock_lease, [0-9]+ s left$"
assert_match "$OUT" "^  $D2: version 2 by hostx: https://ca\\.test/order/1$"
assert_match "$OUT" "^  $D2: 3 failure\\(s\\), the last on hosty: boom; next attempt [0-9-]+ [0-9:]+\\+00:00$"
assert_exit 0 status --json
rev=$(jq .revision <<<"$OUT")
assert_eq "$(jq '.hosts[0].lag' <<<"$OUT")" "$((rev - 5))" "the host's lag: etcd's revision minus its own"
assert_eq "$(jq '.hosts[0].behind' <<<"$OUT")" 2 "lineages hostx has not installed"
assert_eq "$(jq -r '.hosts[0] | "\(.name) \(.version) \(.revision) \(.materialised)"' <<<"$OUT")" \
	"hostx 9.9 5 1700000000" "the host in --json"
assert_eq "$(jq -r '.locks[0] | "\(.lineage) \(.holder) \(.lease)"' <<<"$OUT")" \
	"$D1 hostx $lock_lease" "the lock in --json"
ttl=$(jq '.locks[0].ttl' <<<"$OUT")
((ttl >= 1 && ttl <= 30)) || fail "the lock's time left is $ttl s, granted 30"
assert_eq "$(jq -r '.orders[0] | "\(.lineage) \(.version) \(.host) \(.order)"' <<<"$OUT")" \
	"$D2 2 hostx https://ca.test/order/1" "the order in --json"
assert_eq "$(jq '.orders[0] | has("key")' <<<"$OUT")" false "the order's sealed key is not shown"
assert_eq "$(jq -r '.backoff[0] | "\(.lineage) \(.failures) \(.next_attempt) \(.error)"' <<<"$OUT")" \
	"$D2 3 $next boom" "the backoff in --json"
# A host that has seen every lineage's current version is up to date,
# however far etcd's revision has moved since (other hosts' records).
etcdctl_t put --lease="$host_lease" /acmed/hosts/hosty \
	"{\"revision\": $rev, \"version\": \"9.9\", \"materialised\": 1700000000}" >/dev/null
etcdctl_t put --lease="$host_lease" /acmed/hosts/hostz '{"revision": 1, "version": "9.9"}' >/dev/null
assert_exit 0 status
assert_match "$OUT" "^  hosty: acmed 9\\.9, revision $rev \\(up to date; lag [0-9]+\\)"
assert_match "$OUT" "^  hostz: acmed 9\\.9, revision 1 \\(2 lineages not yet installed; lag [0-9]+\\)"
etcdctl_t del /acmed/hosts/hosty >/dev/null
etcdctl_t del /acmed/hosts/hostz >/dev/null
# The host and the lock go with their leases.
etcdctl_t lease revoke "$host_lease" >/dev/null
etcdctl_t lease revoke "$lock_lease" >/dev/null
etcdctl_t del "$L/$D2/order" >/dev/null
etcdctl_t del "$L/$D2/state" >/dev/null
assert_exit 0 status
for s in Hosts Locks 'Orders in flight' Backoff; do assert_match "$OUT" "^$s: none$"; done

say "certificates: the cluster's version beside this host's"
single=$(acmectl certificates)
assert_exit 0 acmectl certificates --config "$T/cluster.conf"
assert_match "$OUT" "^    Version: 2 \\(the cluster's current version\\)$"
assert_match "$OUT" "^    Version: 1 \\(the cluster's current version\\)$"
assert_eq "$(grep -v '^    Version: ' <<<"$OUT")" "$single" "the rest of the listing as on a single host"
! grep -q 'Version' <<<"$single" || fail "the single-host listing shows versions"
assert_exit 0 acmectl certificates --config "$T/cluster.conf" --json
assert_eq "$(jq -r ".certificates[] | select(.name == \"$D1\") | \"\(.version) \(.cluster_version)\"" <<<"$OUT")" \
	"2 2" "version and cluster_version of $D1"
assert_eq "$(jq '.cluster.only_in_cluster' <<<"$OUT")" "[]" "nothing only in the cluster"

say "migrate --to local into an empty state directory"
back() { "$ACMECTL" store migrate --to local --config "$T/b.conf" "$@"; }
assert_exit 0 back
assert_match "$OUT" "^$D1: 2 versions copied, 0 already here; current version 2$"
assert_match "$OUT" "^$D2: 1 version copied, 0 already here; current version 1$"
assert_match "$OUT" '^2 lineages: 3 versions copied, 0 already here, 0 failed\.$'
assert_match "$OUT" '^1 account: 1 copied, 0 already here$'
acct=$(cd "$T/state/accounts" && find . -name key.pem | sed 's|^\./||')
assert_eq "$(sha256sum <"$T/b/state/accounts/$acct")" "$(sha256sum <"$T/state/accounts/$acct")" \
	"the account key copied back"
assert_eq "$(stat -c %a "$T/b/state/accounts/$acct")" 600 "the account key's mode"
same_live() {
	local d f
	for d in "$D1" "$D2"; do
		for f in cert chain fullchain privkey; do
			assert_eq "$(sha256sum <"$T/b/state/live/$d/$f.pem")" \
				"$(sha256sum <"$T/state/live/$d/$f.pem")" "live/$d/$f.pem"
		done
		assert_eq "$(live_version "$d" "$T/b/state")" "$(live_version "$d")" "live version of $d"
	done
}
same_live
assert_eq "$(stat -c %a "$T/b/state/archive/$D1/privkey1.pem")" 600 "a private key's mode"
assert_eq "$(cat "$T/b/state/renewal/$D2.conf")" "$(etcdctl_t get --print-value-only "$L/$D2/renewal")" \
	"the renewal file"

say "again: everything is there, nothing copied"
assert_exit 0 back
assert_match "$OUT" '^2 lineages: 0 versions copied, 3 already here, 0 failed\.$'
assert_match "$OUT" '^1 account: 0 copied, 1 already here$'

say "an interrupted run (no renewal file yet, a file missing) is finished"
rm "$T/b/state/renewal/$D2.conf" "$T/b/state/archive/$D2/fullchain1.pem"
assert_exit 0 back --cert-name "$D2"
assert_match "$OUT" "^$D2: 1 version copied, 0 already here; current version 1$"
same_live

say "a local file that differs is refused, and nothing is changed"
snapshot() { (cd "$T/b/state" && find . -type f -exec sha256sum {} + | sort && find . -type l -printf '%p -> %l\n' | sort); }
rm "$T/b/state/renewal/$D2.conf" "$T/b/state/archive/$D2/cert1.pem"
echo tampered >>"$T/b/state/archive/$D2/chain1.pem"
before=$(snapshot)
assert_exit 1 back --cert-name "$D2"
assert_match "$OUT" "archive/$D2/chain1.pem differs from etcd's; nothing of $D2 was written"
assert_eq "$(snapshot)" "$before" "the state directory after a refusal"
echo "# changed here" >>"$T/b/state/renewal/$D1.conf"
before=$(snapshot)
assert_exit 1 back --cert-name "$D1"
assert_match "$OUT" "renewal/$D1.conf: differs from etcd's renewal settings"
assert_eq "$(snapshot)" "$before" "the state directory after a refusal"
# Put back as etcd has them.
rm -r "$T/b/state/archive/$D2" "$T/b/state/live/$D2"
sed -i '$d' "$T/b/state/renewal/$D1.conf"
assert_exit 0 back
assert_match "$OUT" '^2 lineages: 1 version copied, 2 already here, 0 failed\.$'
same_live

say "acmed on the migrated state directory: acmectl check passes"
echo "# host b: defaults only" >"$T/b/local.conf"
spawn acmed-b "$T/b/acmed.log" "$ACMED" --foreground --log-level debug \
	--config "$T/b/local.conf" --state-dir "$T/b/state" --socket "$T/b/acmed.sock" \
	--server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
B_PID=$SPAWNED_PID
onb() { command "$ACMECTL" --socket "$T/b/acmed.sock" "$@"; }
wait_for "acmed b" "$B_PID" onb status
assert_exit 0 onb check
assert_exit 0 onb certificates --config "$T/b.conf"
assert_match "$OUT" "^    Version: 2 \\(the cluster's current version\\)$"

say "a renewal published elsewhere: not yet installed here"
assert_exit 0 acmectl certonly "${issue[@]}" -d "$D1" --force-renewal
assert_match "$OUT" "Saved as version 3 of $D1"
assert_exit 0 "$ACMECTL" store migrate --to etcd --config "$T/cluster.conf" --cert-name "$D1"
etcdctl_t put "$L/only.$TEST_DOMAIN/current" 4 >/dev/null
assert_exit 0 onb certificates --config "$T/b.conf"
assert_match "$OUT" "^    Version: 2 \\(cluster: 3, not yet installed here\\)$"
assert_match "$OUT" "^Only in the cluster, not yet installed here:$"
assert_match "$OUT" "^  Certificate Name: only\\.$TEST_DOMAIN$"
assert_match "$OUT" "^    Version: none here \\(cluster: 4, not yet installed here\\)$"
assert_exit 0 onb certificates --config "$T/b.conf" --json
assert_eq "$(jq -r ".certificates[] | select(.name == \"$D1\") | \"\(.version) \(.cluster_version)\"" <<<"$OUT")" \
	"2 3" "version and cluster_version of $D1 on b"
assert_eq "$(jq -c '.cluster.only_in_cluster' <<<"$OUT")" \
	"[{\"name\":\"only.$TEST_DOMAIN\",\"cluster_version\":4}]" "only in the cluster"
assert_exit 0 onb certificates --config "$T/b.conf" --cert-name "$D2"
! grep -q 'Only in the cluster' <<<"$OUT" || fail "--cert-name $D2 lists another lineage"

say "migrate --to local adds the versions a lineage here lacks"
before=$(sha256sum "$T/b/state/archive/$D1/"*1.pem "$T/b/state/archive/$D1/"*2.pem)
assert_exit 0 back --cert-name "$D1"
assert_match "$OUT" "^$D1: 1 version copied, 2 already here; current version 3$"
assert_eq "$(live_version "$D1" "$T/b/state")" 3 "live version of $D1 on b"
for f in cert chain fullchain privkey; do
	assert_eq "$(sha256sum <"$T/b/state/live/$D1/$f.pem")" \
		"$(sha256sum <"$T/state/live/$D1/$f.pem")" "live/$D1/$f.pem on b"
done
assert_eq "$(stat -c %a "$T/b/state/archive/$D1/privkey3.pem")" 600 "the added key's mode"
assert_eq "$(sha256sum "$T/b/state/archive/$D1/"*1.pem "$T/b/state/archive/$D1/"*2.pem)" \
	"$before" "versions 1 and 2 on b, untouched"
assert_exit 0 onb check

say "cluster status pages through more keys than one listing returns"
# 1125 lineages, 125 to a transaction (etcd takes 128 operations in one).
for ((b = 0; b < 9; b++)); do
	{
		echo
		for ((i = 0; i < 125; i++)); do printf 'put %s/page-%04d/current 1\n' "$L" $((b * 125 + i)); done
		printf '\n\n' # no failure operations
	} | etcdctl_t txn >/dev/null || fail "etcdctl txn failed"
done
etcdctl_t put "$L/zz-last/lock" hostz >/dev/null
assert_exit 0 status
assert_match "$OUT" '^  zz-last: held by hostz, no lease \(it does not expire\)$'
assert_exit 0 status --json
assert_eq "$(jq .lineages <<<"$OUT")" 1129 "lineages listed (3 + 1125 + zz-last)"
assert_eq "$(jq -c '[.locks[].lineage]' <<<"$OUT")" '["zz-last"]' "the locks after the first page"

say "migrate --to local refuses what is not a whole lineage, writing nothing"
etcdctl_t put "$L/bad/current" 3abc >/dev/null
etcdctl_t put "$L/../current" 1 >/dev/null
before=$(find "$T/b/state" | sort)
assert_exit 1 back --cert-name page-0000 --cert-name bad --cert-name ..
assert_match "$OUT" '^acmectl: error: page-0000: no renewal settings in etcd$'
assert_match "$OUT" '^acmectl: error: bad: its current version in etcd is not a version number$'
assert_match "$OUT" '^acmectl: error: \.\.: not a valid certificate name: never copied$'
assert_match "$OUT" '^3 lineages: 0 versions copied, 0 already here, 3 failed\.$'
assert_eq "$(find "$T/b/state" | sort)" "$before" "the state directory after refusals"

say "etcd down: the local view, one warning, the same exit status"
single=$(onb certificates)
etcd_stop_member 1
etcd_stop_member 2
etcd_stop_member 3
onb certificates --config "$T/b.conf" >"$T/out" 2>"$T/err" || fail "exit $? without etcd"
assert_eq "$(cat "$T/out")" "$single" "the listing without etcd"
assert_eq "$(wc -l <"$T/err")" 1 "warning lines"
assert_contains "$T/err" "^acmectl: warning: the cluster's view is not shown: etcd: no etcd endpoint answered"
pass
