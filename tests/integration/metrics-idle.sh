#!/bin/bash
# The daemon at rest with metrics enabled and 1,000 lineages: the listener
# costs no wake-up while nobody scrapes, and metrics_file one every
# metrics_interval and no more. Wake-ups are counted as the event loop's
# epoll_wait returns, with strace attached to the main process.
source "$(dirname "$0")/lib.sh"
require_cmd strace

start_pebble
MPORT=$(free_port)
PROM=$T/acmed.prom
write_conf() { # [FILE-SETTINGS]
	cat >"$T/acmed.conf" <<-EOF
		renew_jitter = 0;
		metrics_listen = "127.0.0.1:$MPORT";
		${1:-}
	EOF
}
write_conf
start_acmed
A=a.$TEST_DOMAIN
assert_exit 0 acmectl certonly --standalone --http-01-address 127.0.0.1 \
	--http-01-port "$HTTP01_PORT" -d "$A" --agree-tos --register-unsafely-without-email
stop_acmed
"$PYTHON" "$REPO_DIR/tests/bench/clone-lineages.py" acmed "$T/state" "$A" 1000
start_acmed
assert_eq "$(curl -sf "http://127.0.0.1:$MPORT/metrics" |
	grep -c '^acmed_certificate_not_after_timestamp_seconds{')" 1000 "lineages in the metrics"

# At rest: no job, and the timer's next wake-up (ARI checks) beyond the
# window to come.
WINDOW=8
settled() {
	local s next
	s=$(command "$ACMECTL" --socket "$ACMED_SOCKET" --json status) || return 1
	next=$(jq -r ".next_wakeup // empty | $JQ_EPOCH" <<<"$s")
	[[ $(jq -r '.jobs_running + .jobs_queued + .hooks_pending' <<<"$s") == 0 ]] &&
		{ [[ -z $next ]] || ((next > EPOCHSECONDS + WINDOW + 5)); }
}
wait_until 120 "acmed at rest" settled

# wakeups SECONDS: the event loop's wake-ups in the next SECONDS.
wakeups() {
	local out=$T/strace.$RANDOM pid
	strace -p "$ACMED_PID" -e trace=epoll_wait -o "$out" 2>/dev/null &
	pid=$!
	sleep "$1"
	kill "$pid"
	wait "$pid" 2>/dev/null
	grep -c '^epoll_wait(.*= 1$\|resumed>.*= 1$' "$out" || true
}
n=$(wakeups "$WINDOW")
say "listener only: $n wake-ups in $WINDOW s"
assert_eq "$n" 0 "wake-ups with nobody scraping"

# metrics_file every 2 s: about WINDOW / 2 wake-ups, never more.
write_conf 'metrics_file = "'"$PROM"'"; metrics_interval = "2s";'
assert_exit 0 acmectl reload
wait_until 10 "metrics_file" test -s "$PROM"
wait_until 60 "acmed at rest" settled
n=$(wakeups "$WINDOW")
say "with metrics_file: $n wake-ups in $WINDOW s"
((n >= 1 && n <= WINDOW / 2 + 1)) || fail "$n wake-ups in $WINDOW s with metrics_interval 2s"
assert_eq "$(grep -c '^acmed_certificate_not_after_timestamp_seconds{' "$PROM")" 1000 \
	"lineages in metrics_file"
stop_acmed
pass
