#!/bin/bash
# What a job's own process costs: the start-up of acmed-job (fork, exec,
# dynamic linking, reading its spec, parsing the configuration) against one
# request to a CA, here a local Pebble. Every job pays the first once; it
# makes several requests of the second.
#
# Usage: tests/bench/job-startup.sh [--runs N]   (default 200)
#
#   job      acmed-job with a spec of a kind it does not know, {"kind":
#            "none", "config": {}, "args": {}}: it starts, reads fd 0, loads
#            the configuration, answers "a job it cannot run" on fd 3 and
#            exits. Timed from the fork to the exit, as the daemon would see.
#   true     /bin/true the same way: what any fork + exec costs here.
#   curl     a whole curl process fetching Pebble's directory (new process,
#            new TLS connection, one GET).
#   request  curl's own time for that GET (connect + TLS + request), and
#            for a second GET on the same connection (one round trip on a
#            warm connection, as the ACME client makes most of its requests).
#
# Figures are min / median / max in milliseconds.
source "$(dirname "$0")/../integration/lib.sh"

RUNS=200
while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
	esac
done
JOB=${ACMED_JOB:-$BUILD_DIR/acmed-job}
[[ -x $JOB ]] || fail "$JOB missing: build first"
start_pebble

now_us() { echo "${EPOCHREALTIME//[.,]/}"; }

# summary NAME FILE: min, median and max of FILE's numbers (microseconds),
# in milliseconds.
summary() {
	sort -n "$2" | awk -v name="$1" '
		{ v[NR] = $1 }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%-34s %8.3f %8.3f %8.3f  (%d runs)\n", name, v[1] / 1000, m / 1000, v[NR] / 1000, NR
		}'
}

# timed FILE CMD...: run CMD RUNS times (after one warm-up), each run's
# wall time in microseconds appended to FILE.
timed() {
	local file=$1 i t0 t1
	shift
	"$@" >/dev/null 2>&1 3>/dev/null || true
	: >"$file"
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now_us)
		"$@" >/dev/null 2>&1 3>/dev/null || true
		t1=$(now_us)
		echo $((t1 - t0)) >>"$file"
	done
}

echo '{"job": 0, "kind": "none", "config": {}, "args": {}}' >"$T/spec.json"
run_job() { "$JOB" <"$T/spec.json"; }
# The spec is really read and answered: the answer names the unknown kind.
run_job 3>&1 2>/dev/null | grep -q 'acmed-job: a job it cannot run' ||
	fail "acmed-job did not answer the trivial spec"
run_true() { /bin/true; }
run_curl() { curl -sf --cacert "$PEBBLE_CA_BUNDLE" -o /dev/null "$PEBBLE_DIR_URL"; }

timed "$T/job" run_job
timed "$T/true" run_true
timed "$T/curl" run_curl
: >"$T/req-new"
: >"$T/req-warm"
for ((i = 0; i < RUNS; i++)); do
	curl -sf --cacert "$PEBBLE_CA_BUNDLE" -o /dev/null -o /dev/null \
		-w '%{time_total}\n' "$PEBBLE_DIR_URL" "$PEBBLE_DIR_URL" |
		awk 'NR == 1 { printf "%d\n", $1 * 1e6 >> "'"$T/req-new"'" }
		     NR == 2 { printf "%d\n", $1 * 1e6 >> "'"$T/req-warm"'" }'
done

printf '%-34s %8s %8s %8s\n' "(milliseconds)" min median max
summary "acmed-job start-up and exit" "$T/job"
summary "fork + exec of /bin/true" "$T/true"
summary "curl process, one GET to Pebble" "$T/curl"
summary "one GET, new TLS connection" "$T/req-new"
summary "one GET, warm connection" "$T/req-warm"
pass
