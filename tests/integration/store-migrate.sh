#!/bin/bash
# store-migrate: `acmectl store migrate --to etcd` copies a host's lineages
# (every version, keys sealed, renewal settings, current version) and its
# accounts (keys sealed) into a
# real three-member etcd cluster with client TLS; etcd then holds no PEM
# private key; a second run copies nothing; a version that differs in etcd,
# or a cluster key that is not the one the keys were sealed with, is refused.
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
mkdir -m 0700 "$T/keys"
conf() { # KEYFILE: the configuration acmectl migrates with
	etcd_settings "$T/state" "$1" >"$T/cluster.conf"
}
conf "$T/keys/cluster.key"
assert_exit 0 "$ACMECTL" cluster init --config "$T/cluster.conf"
migrate() { "$ACMECTL" store migrate --to etcd --config "$T/cluster.conf" "$@"; }

assert_exit 0 migrate
assert_match "$OUT" "^$D1: 2 versions copied, 0 already in etcd; current version 2$"
assert_match "$OUT" "^$D2: 1 version copied, 0 already in etcd; current version 1$"
assert_match "$OUT" '^2 lineages: 3 versions copied, 0 already in etcd, 0 failed\.$'
assert_match "$OUT" '^1 account: 1 copied, 0 already in etcd$'

# What is in etcd: the certificates and chains byte for byte, the current
# version, the renewal file; no private key in the clear anywhere.
get() { etcdctl_t get --print-value-only "/acmed/lineages/$1"; }
assert_eq "$(get "$D1/versions/2/cert")" "$(cat "$T/state/archive/$D1/cert2.pem")" "cert 2"
assert_eq "$(get "$D1/versions/1/chain")" "$(cat "$T/state/archive/$D1/chain1.pem")" "chain 1"
assert_eq "$(get "$D1/current")" 2 "current version of $D1"
assert_eq "$(get "$D2/renewal")" "$(cat "$T/state/renewal/$D2.conf")" "renewal file of $D2"
etcdctl_t get --prefix /acmed/ >"$T/dump"
assert_contains "$T/dump" 'BEGIN CERTIFICATE'
! grep -q 'PRIVATE KEY' "$T/dump" || fail "a private key is in etcd in the clear"
key_bytes=$(etcdctl_t get --print-value-only "/acmed/lineages/$D1/versions/1/key.sealed" | head -c 4)
assert_eq "$key_bytes" AKS1 "the key is a sealed blob"
# The account: its account.json as it is here, its key sealed.
acct=$(cd "$T/state/accounts" && find . -name key.pem | sed 's|^\./||; s|/key\.pem$||')
[ -n "$acct" ] || fail "no account in the state directory"
assert_eq "$(etcdctl_t get --print-value-only "/acmed/accounts/$acct/account.json")" \
	"$(cat "$T/state/accounts/$acct/account.json")" "account.json in etcd"
key_bytes=$(etcdctl_t get --print-value-only "/acmed/accounts/$acct/key.sealed" | head -c 4)
assert_eq "$key_bytes" AKS1 "the account key is a sealed blob"

# Again: nothing to copy, everything verified.
assert_exit 0 migrate
assert_match "$OUT" "^$D1: 0 versions copied, 2 already in etcd; current version 2$"
assert_match "$OUT" '3 already in etcd, 0 failed'
assert_match "$OUT" '^1 account: 0 copied, 1 already in etcd$'
assert_exit 0 migrate --cert-name "$D2"
assert_match "$OUT" '^1 lineage: 0 versions copied, 1 already in etcd, 0 failed\.$'

# A version in etcd that is not this host's: refused, named; others go on.
assert_exit 0 etcdctl_t put "/acmed/lineages/$D1/versions/1/cert" "not this one"
assert_exit 1 migrate
assert_match "$OUT" "$D1: version 1 of $D1 is in etcd already with another certificate or key"
assert_match "$OUT" "^$D2: 0 versions copied, 1 already in etcd"

# Another cluster key cannot open what etcd holds.
conf "$T/keys/other.key"
assert_exit 0 "$ACMECTL" cluster init --config "$T/cluster.conf"
assert_exit 1 migrate --cert-name "$D2"
assert_match "$OUT" "private key of version 1 of $D2 does not open with this cluster key"

# Without a quorum: a clear error, nothing half-done claimed.
conf "$T/keys/cluster.key"
etcd_stop_member 2
etcd_stop_member 3
assert_exit 1 migrate --cert-name "$D2"
assert_match "$OUT" 'no etcd endpoint answered'
pass
