#!/bin/bash
# Cluster mode's benchmark, beside the single-host figures, in one run on
# one machine: a real three-member etcd cluster (client TLS) and Pebble on
# loopback, every acmed host with its own state directory and socket.
#
# Usage: tests/bench/cluster.sh [--runs N] [--lineages N] [--resync N] [--out FILE]
#
#   R  100 renewals due at once (the hosts' clocks moved 61 days ahead with
#      libfaketime, then `acmectl renew` on every host at the same time),
#      from that moment until every host's live/ has every new version:
#        local   one host, storage = "local" (the single-host figure)
#        1 host  one host, storage = "etcd"
#        3 hosts three hosts, storage = "etcd"
#      and the orders Pebble received for each round (must be 100).
#   L  materialisation latency in the 3-host rounds: from etcd's watch
#      reporting a new current version to each host's live/ switching to
#      it (inotify), p50 and p99 over every (lineage, host); the publishing
#      host switches its own live/ right after its transaction (its
#      latency is about 0 or negative); and in the steady state: 10
#      renewals one after another on one host, each installed by the other
#      two before the next.
#   S  resync: 10,000 lineages (one real lineage cloned) copied into etcd
#      (`acmectl store migrate --to etcd`, timed too), then a new host with
#      an empty state directory starts: the time until its live/ holds all
#      10,000 and its watcher has written cluster.revision; beside it, a
#      single host's start-up with the same 10,000 lineages local.
#   M  memory at rest with 10,000 lineages after the resync: RSS of the
#      daemon and of its watcher, beside the single host's daemon.
#
# Every figure is the median of the runs with min and max. Pebble runs
# with PEBBLE_VA_ALWAYS_VALID=1 and no bad-nonce rejections (validation is
# not what is measured), as in compare.sh. Needs the build, pebble, etcd,
# etcdctl, faketime.
source "$(dirname "$0")/../integration/lib.sh"
source "$REPO_DIR/tests/integration/etcd-lib.sh"
source "$REPO_DIR/tests/integration/cluster-lib.sh"

RUNS=3 LINEAGES=100 RESYNC=10000 OUT=""
while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--lineages) LINEAGES=$2; shift 2 ;;
	--resync) RESYNC=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) fail "unknown argument $1 (see the comment at the top of $0)" ;;
	esac
done
LIBFAKETIME=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[[ -f $LIBFAKETIME ]] || fail "$LIBFAKETIME missing: apt-get install faketime"
ETCD_TLS_DAYS=100
cluster_start --validity 7776000 PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_WFE_NONCEREJECT=0
R=$T/results
mkdir -p "$R"
names() { for ((i = 1; i <= LINEAGES; i++)); do echo "l$i.$TEST_DOMAIN"; done; }
now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }

# bench_host HOST STORAGE PREFIX: an acmed under libfaketime (+0d).
bench_host() {
	local h=$1 storage=$2 prefix=$3
	host_conf "$h" "renew_jitter = 0; max_parallel_jobs = 8; etcd_prefix = \"$prefix\";"
	[[ $storage == local ]] && sed -i 's/^storage = "etcd";/storage = "local";/' "$T/$h/acmed.conf"
	mkdir -p -m 0755 "$T/$h/state"
	echo "+0d" >"$T/$h/state/faketime"
	ACMED_WRAP=(env "LD_PRELOAD=$LIBFAKETIME" "FAKETIME_TIMESTAMP_FILE=$T/$h/state/faketime"
		FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1)
	start_host "$h" --log-level info
	ACMED_WRAP=()
}
all_at() { # HOST VERSION
	local n
	for n in $(names); do
		[[ $(live_version "$n" "$T/$1/state") == "$2" ]] || return 1
	done
}

all_hosts_at() { # VERSION HOST...
	local v=$1 h
	shift
	for h in "$@"; do all_at "$h" "$v" || return 1; done
}
wait_renew() { # the oldest `acmectl renew` still running
	wait "${RENEWS[0]}" || true
	RENEWS=("${RENEWS[@]:1}")
}

# round KIND RUN: one R figure (and L's latencies for 3 hosts).
round() {
	local kind=$1 run=$2 hosts=() storage=etcd prefix="/bench-$1-$2/" h o0 t0 t1 lat=""
	case $kind in
	local) hosts=("$kind$run"); storage=local ;;
	1host) hosts=("$kind$run") ;;
	3hosts) hosts=("${kind}${run}a" "${kind}${run}b" "${kind}${run}c") ;;
	esac
	for h in "${hosts[@]}"; do bench_host "$h" "$storage" "$prefix"; done
	on "${hosts[0]}" register --agree-tos --register-unsafely-without-email -n >/dev/null ||
		fail "register on ${hosts[0]}"
	names | xargs -P 8 -I{} "$ACMECTL" --socket "$T/${hosts[0]}/acmed.sock" certonly \
		"${ISSUE[@]}" -d {} >"$R/$kind$run.seed" 2>&1 || fail "seeding $kind $run"
	for h in "${hosts[@]}"; do wait_until 120 "$h has every version 1" all_at "$h" 1; done
	if [[ $kind == 3hosts ]]; then
		lat=$R/$kind$run.latency
		local states=()
		for h in "${hosts[@]}"; do states+=("$T/$h/state"); done
		"$PYTHON" "$REPO_DIR/tests/bench/cluster-latency.py" "$lat" "$prefix" "${states[@]}" \
			-- etcdctl --endpoints "$ETCD_ENDPOINTS" --cacert "$ETCD_CA" \
			--cert "$ETCD_CERT" --key "$ETCD_KEY" >"$R/$kind$run.latency.log" 2>&1 &
		LAT_PID=$!
		sleep 1
	fi
	o0=$(orders)
	for h in "${hosts[@]}"; do echo "+61d" >"$T/$h/state/faketime"; done
	t0=$(now)
	RENEWS=()
	for h in "${hosts[@]}"; do
		on "$h" renew >"$R/$h.renew" 2>&1 &
		RENEWS+=($!)
	done
	wait_until 600 "every host has every version 2" all_hosts_at 2 "${hosts[@]}"
	t1=$(now)
	for h in "${hosts[@]}"; do wait_renew; done
	if [[ -n $lat ]]; then
		sleep 1
		kill -TERM "$LAT_PID" 2>/dev/null || true
		wait "$LAT_PID" || true
		[[ -s $lat ]] || fail "no latencies recorded: $(tail -5 "$R/$kind$run.latency.log")"
	fi
	echo "$kind $run $(elapsed "$t0" "$t1") $(($(orders) - o0))" >>"$R/rounds"
	[[ $kind == 3hosts ]] && quiet "$run" "$prefix" "${hosts[@]}"
	for h in "${hosts[@]}"; do stop_host "$h"; done
}

# quiet RUN PREFIX HOST...: L's steady state: QUIET renewals one at a
# time on the first host, each installed by the others before the next.
QUIET=10
quiet() {
	local run=$1 prefix=$2 states=() h i n
	shift 2
	for h in "$@"; do states+=("$T/$h/state"); done
	"$PYTHON" "$REPO_DIR/tests/bench/cluster-latency.py" "$R/quiet$run.latency" "$prefix" \
		"${states[@]}" -- etcdctl --endpoints "$ETCD_ENDPOINTS" --cacert "$ETCD_CA" \
		--cert "$ETCD_CERT" --key "$ETCD_KEY" >"$R/quiet$run.latency.log" 2>&1 &
	LAT_PID=$!
	sleep 1
	for ((i = 1; i <= QUIET; i++)); do
		n=l$i.$TEST_DOMAIN
		on "$1" renew --cert-name "$n" --force-renewal >/dev/null || fail "renewing $n on $1"
		for h in "$@"; do
			wait_until 60 "$h installed version 3 of $n" \
				eval '[[ $(live_version "$n" "$T/$h/state") == 3 ]]'
		done
	done
	sleep 1
	kill -TERM "$LAT_PID" 2>/dev/null || true
	wait "$LAT_PID" || true
}

# resync: S and M.
resync() {
	local seed=seed fresh=fresh n t0 t1 prefix=/resync/ name=r.$TEST_DOMAIN
	bench_host "$seed" local "$prefix"
	on "$seed" register --agree-tos --register-unsafely-without-email -n >/dev/null
	on "$seed" certonly "${ISSUE[@]}" -d "$name" >/dev/null || fail "seeding the resync lineage"
	stop_host "$seed"
	"$PYTHON" "$REPO_DIR/tests/bench/clone-lineages.py" acmed "$T/$seed/state" "$name" "$RESYNC"
	# The single host's start-up with them, and its daemon at rest.
	t0=$(now)
	bench_host "$seed" local "$prefix"
	t1=$(now)
	echo "local-startup $(elapsed "$t0" "$t1")" >>"$R/resync"
	sleep 10
	echo "local-rss $(rss_kib "${HOST_PID[$seed]}")" >>"$R/resync"
	stop_host "$seed"
	sed -i 's/^storage = "local";/storage = "etcd";/' "$T/$seed/acmed.conf"
	t0=$(now)
	"$ACMECTL" store migrate --to etcd --config "$T/$seed/acmed.conf" >"$R/migrate.out" 2>&1 ||
		fail "migrate: $(tail -3 "$R/migrate.out")"
	t1=$(now)
	echo "migrate $(elapsed "$t0" "$t1")" >>"$R/resync"
	t0=$(now)
	bench_host "$fresh" etcd "$prefix"
	wait_until 1800 "the new host installed $RESYNC lineages" resynced "$fresh"
	t1=$(now)
	echo "resync $(elapsed "$t0" "$t1")" >>"$R/resync"
	sleep 10
	echo "etcd-rss $(rss_kib "${HOST_PID[$fresh]}")" >>"$R/resync"
	echo "watch-rss $(rss_kib "$(pgrep -P "${HOST_PID[$fresh]}" -x acmed-watch | head -1)")" \
		>>"$R/resync"
	stop_host "$fresh"
}
resynced() { # HOST: every lineage live, the watcher's revision written
	[[ -f $T/$1/state/cluster.revision ]] &&
		(($(find "$T/$1/state/live" -mindepth 1 -maxdepth 1 -type d | wc -l) >= RESYNC))
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

for ((run = 1; run <= RUNS; run++)); do
	for kind in local 1host 3hosts; do
		say "round $run: $kind"
		round "$kind" "$run"
	done
done
((RESYNC > 0)) && { say "resync of $RESYNC lineages"; resync; }
"$PYTHON" "$REPO_DIR/tests/bench/cluster-report.py" "$R" "$LINEAGES" "$RESYNC" | tee "${OUT:-/dev/null}"
pass
