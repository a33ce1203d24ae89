#!/bin/bash
# cluster-hosts: three acmed hosts (own state directory, socket and nginx
# each) share one etcd cluster (three members, client TLS) and renew 100
# lineages that fall due at the same moment, against Pebble:
# - exactly 100 orders for the round (counted in Pebble's log), spread over
#   the hosts;
# - every host's live/ converges on version 2 of every lineage, as etcd has
#   it; `acmectl check` passes on every host;
# - each host's own nginx serves the new serial (a TLS probe per host),
#   reloaded by that host's own deploy hook;
# - etcd, dumped raw, holds no PEM private key.
# The challenges go through one web server all hosts write to, as a load
# balancer in front of them would pass them on.
#
# All 100 fall due at once: the hosts run under libfaketime (as in
# clock-jump.sh) and their clocks are moved 61 days ahead together, past
# the 30 days before expiry of Pebble's 90-day certificates; then
# `acmectl renew` runs on the three hosts at the same time. The versions
# each host installs from the cluster are due at once by that clock too:
# they are held, as after a renewal here, and not renewed again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"
. "$(dirname "$0")/cluster-lib.sh"

LIBFAKETIME=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[[ -f $LIBFAKETIME ]] || fail "$LIBFAKETIME missing: apt-get install faketime"
LINEAGES=${LINEAGES:-100}
ETCD_TLS_DAYS=100
cluster_start --validity 7776000
HOSTS=(a b c)
for h in "${HOSTS[@]}"; do
	host_conf "$h" "renew_jitter = 0; max_parallel_jobs = 8;"
	mkdir -p -m 0755 "$T/$h/state"
	echo "+0d" >"$T/$h/state/faketime"
	ACMED_WRAP=(env "LD_PRELOAD=$LIBFAKETIME" "FAKETIME_TIMESTAMP_FILE=$T/$h/state/faketime"
		FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1
		"ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
	start_host "$h"
done
ACMED_WRAP=()
names() { for ((i = 1; i <= LINEAGES; i++)); do echo "l$i.$TEST_DOMAIN"; done; }
all_at() { # HOST VERSION: every lineage live at VERSION on HOST
	# (one find, not a readlink per lineage: this is polled while the hosts
	# work, and 200 processes a poll took their CPU)
	[[ $(find "$T/$1/state/live" -path "*/live/l*.$TEST_DOMAIN/cert.pem" \
		-lname "*/cert$2.pem" 2>/dev/null | wc -l) == "$LINEAGES" ]]
}

say "host a issues $LINEAGES lineages"
# One account first, registered alone (jobs started together would wait for
# the first to register one: parallel-register.sh).
assert_exit 0 on a register --agree-tos --register-unsafely-without-email -n
names | xargs -P 8 -I{} "$ACMECTL" --socket "$T/a/acmed.sock" certonly "${ISSUE[@]}" -d {} \
	>"$T/seed.out" 2>&1 || fail "issuing the lineages failed: $(tail -5 "$T/seed.out")"
P=l1.$TEST_DOMAIN
for h in "${HOSTS[@]}"; do
	wait_until 60 "$h installed every version 1" all_at "$h" 1
	host_nginx "$h" "$P"
done
v1=$(tls_serial "${HOST_TLS_PORT[a]}")
o0=$(orders)
assert_eq "$o0" "$LINEAGES" "orders for the first versions"

say "61 days later on every host: all $LINEAGES due; acmectl renew on the three at once"
for h in "${HOSTS[@]}"; do echo "+61d" >"$T/$h/state/faketime"; done
for h in "${HOSTS[@]}"; do
	on "$h" renew >"$T/$h/renew.out" 2>&1 &
	eval "RENEW_$h=$!"
done
for h in "${HOSTS[@]}"; do
	eval "wait \$RENEW_$h" || fail "acmectl renew on $h failed: $(tail -5 "$T/$h/renew.out")"
done
for h in "${HOSTS[@]}"; do
	wait_until 120 "$h installed every version 2" all_at "$h" 2
done
assert_eq "$(($(orders) - o0))" "$LINEAGES" "orders for the round of $LINEAGES renewals"
spread="" renewers=0
for h in "${HOSTS[@]}"; do
	c=$(grep -c "^Saved as version 2 of\| Saved as version 2 of" "$T/$h/renew.out" || true)
	spread+="$h $c, "
	((c > 0)) && renewers=$((renewers + 1))
done
say "renewals per host: ${spread%, }"
((renewers >= 2)) || fail "the renewals were not spread over the hosts: ${spread%, }"
# Every lineage's current version in etcd, read in one request.
etcdctl_t get --prefix /acmed/lineages/ -w json >"$T/lineages.json"
jq -r '.kvs[] | (.key | @base64d) as $k | select($k | endswith("/current")) |
	"\($k | ltrimstr("/acmed/lineages/") | rtrimstr("/current")) \(.value | @base64d)"' \
	"$T/lineages.json" | sort >"$T/current"
names | sed 's/$/ 2/' | sort >"$T/want"
diff "$T/want" "$T/current" >"$T/current.diff" ||
	fail "etcd's current versions differ from 2 everywhere: $(head -5 "$T/current.diff")"
for h in "${HOSTS[@]}"; do
	assert_exit 0 on "$h" check
	assert_eq "$(cat "$T/$h/state/live/$P/cert.pem")" \
		"$(etcdctl_t get --print-value-only "/acmed/lineages/$P/versions/2/cert")" \
		"$h's certificate of $P"
	wait_until 30 "$h's nginx serves version 2 of $P" \
		eval '[[ $(tls_serial "${HOST_TLS_PORT[$h]}") == "$(cert_serial "$T/$h/state/live/$P/cert.pem")" ]]'
	[[ $(tls_serial "${HOST_TLS_PORT[$h]}") != "$v1" ]] || fail "$h's nginx still serves version 1"
	grep -qx "$T/$h/state/live/$P" "$T/$h/deployed" || fail "$h's deploy hook did not run for $P"
done
# Still one order per lineage a while later: nothing renews again.
sleep 5
assert_eq "$(($(orders) - o0))" "$LINEAGES" "orders 5 s after the round"
etcdctl_t get --prefix /acmed/ >"$T/dump"
! grep -q "PRIVATE KEY" "$T/dump" || fail "a PEM private key is in etcd"
pass
