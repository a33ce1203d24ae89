#!/bin/bash
# cluster-status: `acmectl cluster init` writes a cluster key once (0600,
# never replaced); `acmectl cluster status` reads acmed.conf's etcd settings
# and shows a real three-member cluster's members, health, revision and
# leader, as text and --json, through one member down, and fails clearly
# without a quorum or without etcd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"

ctl() { command "$ACMECTL" "$@"; }

# init: the key file, made once.
cat >"$T/init.conf" <<CONF
cluster_key_file = "$T/keys/cluster.key";
CONF
mkdir -m 0700 "$T/keys"
assert_exit 0 ctl cluster init --config "$T/init.conf"
assert_match "$OUT" "Wrote a new cluster key to $T/keys/cluster.key"
assert_eq "$(stat -c '%a %s' "$T/keys/cluster.key")" "600 32" "the key's mode and size"
sum=$(sha256sum <"$T/keys/cluster.key")
assert_exit 1 ctl cluster init --config "$T/init.conf"
assert_match "$OUT" 'cluster.key exists: a cluster key is never replaced'
assert_eq "$(sha256sum <"$T/keys/cluster.key")" "$sum" "the key is unchanged"
printf '# nothing\n' >"$T/empty.conf"
assert_exit 1 ctl cluster init --config "$T/empty.conf"
assert_match "$OUT" 'cluster_key_file is not set'
assert_exit 1 ctl cluster status --config "$T/empty.conf"
assert_match "$OUT" 'etcd_endpoints is not set'
assert_exit 2 ctl cluster frobnicate --config "$T/empty.conf"

start_etcd_cluster
write_conf() {
	local eps=$1
	cat >"$T/acmed.conf" <<CONF
storage = "etcd";
etcd_endpoints = [ $eps ];
etcd_ca = "$ETCD_CA";
etcd_cert = "$ETCD_CERT";
etcd_key = "$ETCD_KEY";
cluster_key_file = "$T/keys/cluster.key";
CONF
}
write_conf "\"$ETCD_ENDPOINT_1\", \"$ETCD_ENDPOINT_2\", \"$ETCD_ENDPOINT_3\""
etcdctl_t put /acmed/probe x >/dev/null
assert_exit 0 ctl cluster status --config "$T/acmed.conf"
for m in m1 m2 m3; do assert_match "$OUT" "^  [0-9a-f]+ +$m +https://127\.0\.0\.1:"; done
assert_eq "$(grep -c ': healthy, etcd 3\.4' <<<"$OUT")" 3 "three healthy endpoints"
assert_match "$OUT" '^Leader: m[123] \([0-9a-f]+\)$'
assert_match "$OUT" '^Revision: [0-9]+$'
assert_exit 0 ctl cluster status --config "$T/acmed.conf" --json
assert_eq "$(jq '.members | length' <<<"$OUT")" 3 "members in --json"
assert_eq "$(jq '[.endpoints[] | select(.healthy)] | length' <<<"$OUT")" 3 "healthy in --json"
# The revision etcdctl sees is the one shown.
rev=$(etcdctl_t get /acmed/probe -w json | jq .header.revision)
assert_eq "$(jq .revision <<<"$OUT")" "$rev" "revision in --json"
leader=$(jq -r .leader <<<"$OUT")
assert_match "$(jq -r '.endpoints[].leader' <<<"$OUT" | sort -u)" "^$leader\$"

# One member down: still a leader, that endpoint unhealthy, exit 0.
etcd_stop_member 3
assert_exit 0 ctl cluster status --config "$T/acmed.conf"
assert_match "$OUT" "^  $ETCD_ENDPOINT_3: unhealthy: "
assert_eq "$(grep -c ': healthy, ' <<<"$OUT")" 2 "two healthy endpoints"

# Two down: no quorum, so no leader: exit 1, said.
etcd_stop_member 2
wait_until 30 "the last member loses its leader" \
	bash -c '! "$0" cluster status --config "$1"' "$ACMECTL" "$T/acmed.conf"
assert_exit 1 ctl cluster status --config "$T/acmed.conf"
assert_match "$OUT" 'no quorum'

# No etcd at all: exit 1, naming the endpoints.
etcd_stop_member 1
assert_exit 1 ctl cluster status --config "$T/acmed.conf"
assert_match "$OUT" "etcd unreachable: no etcd endpoint answered.*$ETCD_ENDPOINT_1"
pass
