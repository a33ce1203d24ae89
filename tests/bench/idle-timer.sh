#!/bin/bash
# Benchmark: the daemon at rest with many lineages, all far from due. It
# should sleep until the first due date, not wake up on a polling interval.
# One real lineage is issued from Pebble (5-year certificates), then cloned
# into N lineages through the store's own layout (archive/, live/ links,
# renewal file with its name). acmed is started on them and watched for
# 60 s with strace: every return of its main process's epoll_wait is a
# wake-up.
#
# Usage: tests/bench/idle-timer.sh [N] [SECONDS]   (default 1000 and 60)
# Needs: the build (BUILD_DIR, default build/), pebble, strace.
#
# Reported: start-up time until the socket answers, the next wake-up the
# daemon armed (and how far away it is), the number of wake-ups while idle,
# and the daemon's resident memory.
source "$(dirname "$0")/../integration/lib.sh"

N=${1:-1000}
SECS=${2:-60}
command -v strace >/dev/null || fail "strace is needed: apt-get install strace"

start_pebble
start_acmed
name=idle.$TEST_DOMAIN
"$ACMECTL" -q certonly --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" \
	-d "$name" --agree-tos --register-unsafely-without-email >/dev/null ||
	fail "certonly failed"
stop_acmed

say "cloning $name into $N lineages"
s=$T/state
for ((i = 1; i < N; i++)); do
	c=$name-$i
	cp -a "$s/archive/$name" "$s/archive/$c"
	mkdir -m 0755 "$s/live/$c"
	for f in cert chain fullchain privkey; do
		ln -s "../../archive/$c/${f}1.pem" "$s/live/$c/$f.pem"
	done
	sed "s/^name = .*/name = \"$c\";/" "$s/renewal/$name.conf" >"$s/renewal/$c.conf"
done

t0=${EPOCHREALTIME//[.,]/}
start_acmed --log-level info
t1=${EPOCHREALTIME//[.,]/}
# Let the start-up work end (the one directory request asking whether the
# CA offers ARI), then watch.
wait_until 10 "the ARI probe" grep -q "offer ARI" "$T/acmed.log"
sleep 1
next=$("$ACMECTL" --json status | jq -r .next_wakeup)
count=$("$ACMECTL" --json status | jq -r .certificates)
strace -p "$ACMED_PID" -e trace=epoll_wait -o "$T/strace.out" &
spid=$!
sleep "$SECS"
kill -INT "$spid"
wait "$spid" 2>/dev/null || true
# "epoll_wait(...) = 1": one event handled. The call strace caught in
# progress when it attached shows as resumed or unfinished, not as a return.
wakeups=$(grep -c ') = 1$' "$T/strace.out" || true)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$ACMED_PID/status")

now=$(date +%s)
printf '\nlineages:              %s\n' "$count"
printf 'start-up until ready:  %d ms (includes reading %s certificates)\n' \
	$(((t1 - t0) / 1000)) "$count"
printf 'next wake-up armed:    %s (in %.1f days)\n' "$(date -u -d "@$next" '+%F %T UTC')" \
	"$(awk -v a="$next" -v b="$now" 'BEGIN {print (a - b) / 86400}')"
printf 'wake-ups in %s s idle:  %s\n' "$SECS" "$wakeups"
printf 'daemon RSS:            %s KiB\n' "$rss"
stop_acmed
pass
