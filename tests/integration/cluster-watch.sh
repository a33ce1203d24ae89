#!/bin/bash
# cluster-watch: a second host copies a cluster's certificates (cluster
# mode, docs/cluster.md "Materialise"). Host A (local storage) issues three
# lineages and migrates them into a real three-member etcd cluster with
# client TLS; host B (storage = "etcd", an empty state directory) starts:
# its acmed-watch materialises every lineage (the same bytes, privkey 0600,
# the renewal files, the account), its deploy hook runs once per lineage
# and `acmectl check` passes there; a watcher killed is started again. A
# renews one lineage and migrates it again: B switches to version 2 and
# runs the hook once more; a lineage whose lock B holds is left alone
# until the lock goes. With B stopped, etcd is compacted past B's revision
# and changed: B resyncs in full at its next start. Without a quorum B
# keeps serving what it has and raises cluster-unreachable; with it back,
# cluster-recovered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"

start_pebble
start_acmed
D1=one.$TEST_DOMAIN
D2=two.$TEST_DOMAIN
D3=three.$TEST_DOMAIN
issue=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT"
	--agree-tos --register-unsafely-without-email -n)
for d in "$D1" "$D2" "$D3"; do
	assert_exit 0 acmectl certonly "${issue[@]}" -d "$d"
done

start_etcd_cluster
mkdir -m 0700 "$T/keys" "$T/b"
etcd_conf() { # STATE_DIR: the cluster settings every host shares
	etcd_settings "$1" "$T/keys/cluster.key"
}
etcd_conf "$T/state" >"$T/a-cluster.conf"
assert_exit 0 "$ACMECTL" cluster init --config "$T/a-cluster.conf"
migrate() { "$ACMECTL" store migrate --to etcd --config "$T/a-cluster.conf"; }
assert_exit 0 migrate
assert_match "$OUT" '^3 lineages: 3 versions copied'

# Host B: its own state directory, socket and hooks.
cat >"$T/b-deploy" <<SH
#!/bin/sh
echo "\$RENEWED_LINEAGE \$ACMED_VERSION [\$RENEWED_DOMAINS]" >>"$T/b-deploys"
SH
cat >"$T/b-alert" <<SH
#!/bin/sh
echo "\$ACMED_EVENT host=\$ACMED_CLUSTER_HOST" >>"$T/b-alerts"
SH
chmod +x "$T/b-deploy" "$T/b-alert"
{
	etcd_conf "$T/b/state"
	echo 'cluster_host = "b";'
	echo "deploy_hook = \"$T/b-deploy\";"
	echo "alert_hook = \"$T/b-alert\";"
} >"$T/b.conf"
B_SOCKET=$T/b/acmed.sock
b() { command "$ACMECTL" --socket "$B_SOCKET" "$@"; }
start_b() {
	spawn acmed-b "$T/b.log" "$ACMED" --foreground --log-level debug --config "$T/b.conf" \
		--state-dir "$T/b/state" --socket "$B_SOCKET" --server "$PEBBLE_DIR_URL" \
		--ca-bundle "$PEBBLE_CA_BUNDLE"
	B_PID=$SPAWNED_PID
	wait_for acmed-b "$B_PID" b status
}
b_version() { # NAME: the version B's live/NAME points at
	local t
	t=$(readlink "$T/b/state/live/$1/cert.pem") || return 1
	t=${t##*/cert}
	printf '%s\n' "${t%.pem}"
}
b_at() { [[ $(b_version "$1") == "$2" ]]; }
deploys_of() { grep -c "/live/$1 $2 " "$T/b-deploys" 2>/dev/null || true; }
deployed() { [[ $(deploys_of "$1" "$2") == 1 ]]; } # NAME VERSION: exactly once
same_live() { # NAME: every live file of B the same bytes as A's
	local f
	for f in cert chain fullchain privkey; do
		[[ $(sha256sum <"$T/b/state/live/$1/$f.pem") == \
			$(sha256sum <"$T/state/live/$1/$f.pem") ]] || return 1
	done
}
start_b

# B converges: each lineage at A's version, byte for byte.
for d in "$D1" "$D2" "$D3"; do
	wait_until 60 "B's live/$d at version 1" b_at "$d" 1
	wait_until 20 "B's deploy hook for $d" deployed "$d" 1
	same_live "$d" || fail "B's live/$d differs from A's"
	assert_eq "$(stat -c %a "$T/b/state/archive/$d/privkey1.pem")" 600 "B's privkey1.pem of $d"
	assert_eq "$(cat "$T/b/state/renewal/$d.conf")" \
		"$(etcdctl_t get --print-value-only "/acmed/lineages/$d/renewal")" "B's renewal file of $d"
done
assert_match "$(grep "/live/$D2 " "$T/b-deploys")" "\\[$D2\\]$"
acct=$(cd "$T/state/accounts" && find . -name key.pem | sed 's|^\./||; s|/key\.pem$||')
[[ -n $acct ]] || fail "no account on A"
assert_eq "$(sha256sum <"$T/b/state/accounts/$acct/key.pem")" \
	"$(sha256sum <"$T/state/accounts/$acct/key.pem")" "B's account key"
assert_eq "$(stat -c %a "$T/b/state/accounts/$acct/key.pem")" 600 "B's account key mode"
assert_file "$T/b/state/accounts/$acct/account.json"
assert_exit 0 b check
assert_exit 0 b --json certificates
assert_eq "$(jq '.certificates | length' <<<"$OUT")" 3 "B's certificates"
assert_exit 0 b --json status
assert_eq "$(jq -r '.cluster.host + " " + .cluster.etcd' <<<"$OUT")" "b up" "B's cluster status"
assert_eq "$(etcdctl_t get --print-value-only /acmed/hosts/b | jq -r .version)" \
	"$("$ACMED" --version | awk '{print $2}')" "hosts/b's acmed version"

# The resync's paged read: two keys a page give every key once, in order.
tool() { "$BUILD_DIR/tests/etcd-tool" "$ETCD_ENDPOINTS" "$ETCD_CA" "$ETCD_CERT" "$ETCD_KEY" \
	5000 "$@"; }
assert_exit 0 tool pages /acmed/lineages/ 2
assert_eq "$(grep -o '^/acmed/lineages/[^=]*' <<<"$OUT")" \
	"$(etcdctl_t get --prefix --keys-only /acmed/lineages/ | grep .)" "the keys read in pages"
assert_match "$OUT" "^count=15 more=0 revision=[0-9]+$"

# A watcher that dies is started again by the daemon (and goes on from its
# revision: the renewal below reaches B through the new one).
watcher_of_b() { pgrep -P "$B_PID" -x acmed-watch; }
wpid=$(watcher_of_b) || fail "no acmed-watch under B"
kill -KILL "$wpid"
new_watcher() { local p; p=$(watcher_of_b) && [[ $p != "$wpid" ]]; }
wait_until 30 "B's watcher started again" new_watcher
assert_contains "$T/b.log" "acmed-watch ended .exit status 137, a signal.; starting it again in 1 s"

# A renews D1 and publishes it: B switches to version 2, one hook run more.
assert_exit 0 acmectl renew --cert-name "$D1" --force-renewal
assert_exit 0 migrate
wait_until 60 "B's live/$D1 at version 2" b_at "$D1" 2
wait_until 20 "B's deploy hook for $D1 version 2" deployed "$D1" 2
same_live "$D1" || fail "B's live/$D1 differs from A's after the renewal"
assert_eq "$(wc -l <"$T/b-deploys")" 4 "deploy hook runs on B"
assert_exit 0 b check
assert_match "$(b --json metrics | jq -r .text)" '^acmed_cluster_materialised_total 4$'

# While B's own job holds D2's lock, B leaves D2 to that job (which
# publishes here itself); once the lock goes, B copies it.
assert_exit 0 etcdctl_t put "/acmed/lineages/$D2/lock" b
assert_exit 0 acmectl renew --cert-name "$D2" --force-renewal
assert_exit 0 migrate
wait_until 60 "B leaving $D2 version 2 to its own job" \
	grep -q "$D2: version 2 held by this host's own job" "$T/b.log"
b_at "$D2" 1 || fail "B copied $D2 while its own lock held it"
assert_exit 0 etcdctl_t del "/acmed/lineages/$D2/lock"
wait_until 60 "B's live/$D2 at version 2 once the lock went" b_at "$D2" 2
wait_until 20 "B's deploy hook for $D2 version 2" deployed "$D2" 2
same_live "$D2" || fail "B's live/$D2 differs from A's after the lock went"

# B away while etcd moves on and compacts past B's revision: a full resync.
stop_pid "$B_PID" || true
assert_exit 0 acmectl renew --cert-name "$D3" --force-renewal
assert_exit 0 migrate
rev=$(etcdctl_t get /acmed/ --prefix --keys-only -w json | jq .header.revision)
assert_exit 0 etcdctl_t compact "$rev"
start_b
wait_until 60 "B's live/$D3 at version 2 after the resync" b_at "$D3" 2
assert_contains "$T/b.log" "compacted its history past revision"
assert_contains "$T/b.log" "full resync"
wait_until 20 "B's deploy hook for $D3 version 2" deployed "$D3" 2
for d in "$D1" "$D2" "$D3"; do
	same_live "$d" || fail "B's live/$d differs from A's after the resync"
done
assert_exit 0 b check

# No quorum: B serves what it has, says so, and raises the alert once.
before=$(cd "$T/b/state" && find live archive -type f -o -type l | sort | xargs sha256sum)
etcd_stop_member 2
etcd_stop_member 3
wait_until 90 "cluster-unreachable on B" grep -q "^cluster-unreachable host=b$" "$T/b-alerts"
assert_exit 0 b --json status
assert_eq "$(jq -r .cluster.etcd <<<"$OUT")" down "B's cluster status without a quorum"
after=$(cd "$T/b/state" && find live archive -type f -o -type l | sort | xargs sha256sum)
assert_eq "$after" "$before" "B's live/ and archive/ without a quorum"
assert_exit 0 b check
etcd_start_member 2
etcd_start_member 3
wait_until 90 "cluster-recovered on B" grep -q "^cluster-recovered host=b$" "$T/b-alerts"
assert_eq "$(grep -c . "$T/b-alerts")" 2 "alerts on B"
assert_exit 0 b --json status
assert_eq "$(jq -r .cluster.etcd <<<"$OUT")" up "B's cluster status with a quorum again"
pass
