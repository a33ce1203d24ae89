#!/bin/bash
# What live/'s lock costs (common/store/store_live.c): a switch of live/
# links waits for the deploy hook that is running, and the next hook waits
# for the switch. This runs two acmed side by side against one Pebble, the
# build under test and another (OTHER_BUILD_DIR, e.g. one built from the
# commit before the lock), each with N lineages and a deploy hook that
# takes HOOK seconds, and times `acmectl renew --force-renewal` over all N,
# the two in turn, RUNS times: each figure's median with min and max, and
# the ratio this/other taken run by run.
#
# Usage: tests/bench/hooks.sh OTHER_BUILD_DIR [--lineages N] [--hook SECONDS]
#                             [--runs N] [--hold]
#
#   --hold  set both up, print their sockets, and wait (to time the renew
#           commands with another tool); Ctrl-C ends it.
#
# Pebble runs with PEBBLE_VA_ALWAYS_VALID=1 and no bad-nonce rejections
# (validation is not what is measured), as in compare.sh.
source "$(dirname "$0")/../integration/lib.sh"

OTHER=${1:-}
[[ -n $OTHER && -x $OTHER/acmed ]] || fail "usage: $0 OTHER_BUILD_DIR [--lineages N] [--hook S] [--runs N] [--hold]"
shift
N=20 HOOK=0.05 RUNS=5 HOLD=0
while (($#)); do
	case $1 in
	--lineages) N=$2; shift 2 ;;
	--hook) HOOK=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--hold) HOLD=1; shift ;;
	*) fail "unknown argument $1 (see the comment at the top of $0)" ;;
	esac
done

start_pebble PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_WFE_NONCEREJECT=0
WEB=$T/www
mkdir -p "$WEB"
start_nginx "$WEB"

# host NAME BUILD_DIR: an acmed with its own state and socket under $T/NAME,
# driven by the acmectl of the same build.
declare -A CTL
host() {
	local d=$T/$1
	CTL[$1]=$2/acmectl
	mkdir -p "$d"
	printf 'renew_jitter = 0;\ndeploy_hook = "sleep %s";\n' "$HOOK" >"$d/acmed.conf"
	spawn "acmed-$1" "$d/acmed.log" "$2/acmed" --foreground --log-level info \
		--config "$d/acmed.conf" --state-dir "$d/state" --socket "$d/acmed.sock" \
		--server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE"
	wait_for "acmed $1" "$SPAWNED_PID" "${CTL[$1]}" --socket "$d/acmed.sock" status
	for i in $(seq "$N"); do
		"${CTL[$1]}" --socket "$d/acmed.sock" certonly --webroot -w "$WEB" -n --agree-tos \
			-m admin@example.org -d "l$i.$1.$TEST_DOMAIN" >/dev/null ||
			fail "certonly on $1 failed"
	done
}
host this "$BUILD_DIR"
host other "$OTHER"
say "$N lineages on each; deploy hook: sleep $HOOK"

if ((HOLD)); then
	echo "this:  ${CTL[this]} --socket $T/this/acmed.sock renew --force-renewal"
	echo "other: ${CTL[other]} --socket $T/other/acmed.sock renew --force-renewal"
	while :; do
		sleep 3600 &
		wait $! # a signal ends the wait at once, and the clean-up runs
	done
fi

# renew NAME: seconds one `acmectl renew --force-renewal` takes on NAME.
renew() {
	local t0 t1
	t0=${EPOCHREALTIME//[.,]/}
	"${CTL[$1]}" --socket "$T/$1/acmed.sock" renew --force-renewal >/dev/null ||
		fail "renew on $1 failed"
	t1=${EPOCHREALTIME//[.,]/}
	echo $(((t1 - t0) / 1000))
}
renew this >/dev/null # warm-up
renew other >/dev/null
this=() other=() ratio=()
for ((r = 0; r < RUNS; r++)); do
	a=$(renew this)
	b=$(renew other)
	this+=("$a") other+=("$b") ratio+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / b }')")
done
summary() { # VALUES...: median (min to max)
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s (%s to %s)\n", m, v[1], v[NR] }'
}
echo "renew --force-renewal over $N lineages, deploy hook sleep $HOOK, $RUNS runs each:"
echo "  this build:  $(summary "${this[@]}") ms"
echo "  other build: $(summary "${other[@]}") ms"
echo "  this/other:  $(summary "${ratio[@]}")"
