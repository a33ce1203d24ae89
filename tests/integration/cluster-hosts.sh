#!/bin/bash
# cluster-hosts: three acmed hosts (own state directory, socket and nginx
# each) share one etcd cluster (three members, client TLS) and renew 100
# lineages that fall due together against Pebble:
# - exactly 100 orders for the round (counted in Pebble's log: 200 with the
#   first versions), spread over the hosts;
# - every host's live/ converges on version 2 of every lineage, byte for
#   byte as etcd has it; `acmectl check` passes on every host;
# - each host's own nginx serves the new serial (a TLS probe per host),
#   reloaded by that host's own deploy hook;
# - etcd, dumped raw, holds no PEM private key.
# The challenges go through one web server all hosts write to, as a load
# balancer in front of them would.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"
. "$(dirname "$0")/cluster-lib.sh"

LINEAGES=${LINEAGES:-100}
VALIDITY=${VALIDITY:-120} # the round starts half of it after the first issuance
cluster_start --validity "$VALIDITY"
HOSTS=(a b c)
for h in "${HOSTS[@]}"; do
	host_conf "$h" "renew_jitter = 0; max_parallel_jobs = 8;"
	start_host "$h"
done
names() { for ((i = 1; i <= LINEAGES; i++)); do echo "l$i.$TEST_DOMAIN"; done; }

say "host a issues $LINEAGES lineages"
t0=$(date +%s)
names | xargs -P 8 -I{} "$ACMECTL" --socket "$T/a/acmed.sock" certonly "${ISSUE[@]}" -d {} \
	>"$T/seed.out" 2>&1 ||
	fail "issuing the lineages failed: $(tail -5 "$T/seed.out")"
seeded=$(($(date +%s) - t0))
say "issued in ${seeded}s"
P=l1.$TEST_DOMAIN
all_at() { # HOST VERSION: every lineage live at VERSION on HOST
	local n
	for n in $(names); do
		[[ $(live_version "$n" "$T/$1/state") == "$2" ]] || return 1
	done
}
for h in "${HOSTS[@]}"; do
	wait_until 60 "$h installed every version 1" all_at "$h" 1
	host_nginx "$h" "$P"
done
v1=$(tls_serial "${HOST_TLS_PORT[a]}")

say "the round: every lineage falls due, on every host at once"
for h in "${HOSTS[@]}"; do
	wait_until $((VALIDITY + 60)) "$h installed every version 2" all_at "$h" 2
done
# Every lineage is at version 2 in etcd and nowhere further: the orders are
# the first versions' and one per renewal, whenever each fell due.
assert_eq "$(orders)" "$((2 * LINEAGES))" "orders for $LINEAGES lineages and one renewal each"
spread=""
for h in "${HOSTS[@]}"; do
	c=$(grep -c "renewal of .* succeeded\|Saved as version 2 of" "$T/$h/acmed.log" || true)
	spread+="$h=$c "
done
say "renewals per host: $spread"
[[ $(grep -l "Saved as version 2 of" "$T"/{a,b,c}/acmed.log | wc -l) -ge 2 ]] ||
	fail "the renewals were not spread over the hosts: $spread"
for n in $(names); do
	cur=$(etcdctl_t get --print-value-only "/acmed/lineages/$n/current")
	[[ $cur == 2 ]] || fail "etcd's current version of $n is '$cur'"
done
for h in "${HOSTS[@]}"; do
	assert_exit 0 on "$h" check
	assert_eq "$(cat "$T/$h/state/live/$P/cert.pem")" \
		"$(etcdctl_t get --print-value-only "/acmed/lineages/$P/versions/2/cert")" \
		"$h's certificate of $P"
	wait_until 30 "$h's nginx serves version 2 of $P" \
		eval '[[ $(tls_serial "${HOST_TLS_PORT[$h]}") == "$(cert_serial "$T/$h/state/live/$P/cert.pem")" ]]'
	[[ $(tls_serial "${HOST_TLS_PORT[$h]}") != "$v1" ]] || fail "$h's nginx still serves version 1"
	grep -qx "$P" "$T/$h/deployed" || fail "$h's deploy hook did not run for $P"
done
etcdctl_t get --prefix /acmed/ >"$T/dump"
! grep -q "PRIVATE KEY" "$T/dump" || fail "a PEM private key is in etcd"
pass
