#!/bin/bash
# Benchmark: one certificate issuance through acmectl -> acmed next to
# `lego run`, against the same local Pebble, both answering http-01 with
# their built-in server on the port Pebble validates. Rounds alternate
# between the two clients; each round issues for a fresh domain. The first
# round of each includes account registration and is reported apart.
#
# Usage: tests/bench/issue-vs-lego.sh [ROUNDS]   (default 7)
# Needs: the build (BUILD_DIR, default build/), pebble, lego, GNU time.
#
# Reported per client: wall time (median of rounds 2..N) and peak resident
# memory. For acmed that is the worker process that does the ACME work (from
# its "peak memory" log line), the daemon's own peak (VmHWM) and acmectl's;
# lego is one process. Times are wall-clock on a shared machine: compare the
# ratio from one run, not absolute numbers across runs.
source "$(dirname "$0")/../integration/lib.sh"

ROUNDS=${1:-7}
[[ -x /usr/bin/time ]] || fail "GNU time is needed: apt-get install time"
command -v lego >/dev/null || fail "lego is needed: apt-get install lego"

start_pebble
start_acmed
mkdir -p "$T/lego"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print (b > 0 ? a / b : 0)}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

run_acmed() { # DOMAIN -> "seconds ctl_kib"
	/usr/bin/time -f '%e %M' -o "$T/time.out" "$ACMECTL" -q certonly --standalone \
		--http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" -d "$1" \
		--agree-tos --register-unsafely-without-email -n >/dev/null ||
		fail "acmectl certonly $1 failed"
	openssl x509 -in "$T/state/live/$1/cert.pem" -noout -ext subjectAltName 2>/dev/null |
		grep -q "DNS:$1" || fail "acmed made no certificate for $1"
	tail -n 1 "$T/time.out"
}

run_lego() { # DOMAIN -> "seconds kib"
	LEGO_CA_CERTIFICATES=$PEBBLE_CA_BUNDLE /usr/bin/time -f '%e %M' -o "$T/time.out" \
		lego --server "$PEBBLE_DIR_URL" --accept-tos --email bench@example.org \
		--http --http.port "127.0.0.1:$HTTP01_PORT" --path "$T/lego" -d "$1" run \
		>"$T/lego.log" 2>&1 || { cat "$T/lego.log" >&2; fail "lego run $1 failed"; }
	# Count only a round that produced a certificate for the name.
	openssl x509 -in "$T/lego/certificates/$1.crt" -noout -ext subjectAltName 2>/dev/null |
		grep -q "DNS:$1" || { cat "$T/lego.log" >&2; fail "lego made no certificate for $1"; }
	tail -n 1 "$T/time.out"
}

: >"$T/acmed.times"
: >"$T/lego.times"
for ((i = 1; i <= ROUNDS; i++)); do
	read -r a_s a_kib < <(run_acmed "a$i.bench.$TEST_DOMAIN")
	read -r l_s l_kib < <(run_lego "l$i.bench.$TEST_DOMAIN")
	say "round $i: acmed ${a_s}s, lego ${l_s}s"
	if ((i == 1)); then
		a_first=$a_s l_first=$l_s
	else
		echo "$a_s" >>"$T/acmed.times"
		echo "$l_s" >>"$T/lego.times"
	fi
	echo "$a_kib" >>"$T/acmectl.kib"
	echo "$l_kib" >>"$T/lego.kib"
done

worker_kib=$(grep -o 'peak memory [0-9]* KiB' "$T/acmed.log" | awk '{print $3}' | sort -n | tail -1)
daemon_kib=$(awk '/VmHWM/ {print $2}' "/proc/$ACMED_PID/status")
ctl_kib=$(sort -n "$T/acmectl.kib" | tail -1)
lego_kib=$(sort -n "$T/lego.kib" | tail -1)
a_med=$(median <"$T/acmed.times")
l_med=$(median <"$T/lego.times")

printf '\n%-34s %12s %12s %10s\n' "" "acmed" "lego" "lego/acmed"
printf '%-34s %11.2fs %11.2fs %10.2f\n' "first issuance (with account)" "$a_first" "$l_first" \
	"$(ratio "$l_first" "$a_first")"
printf '%-34s %11.2fs %11.2fs %10.2f\n' "issuance, median of $((ROUNDS - 1))" "$a_med" "$l_med" \
	"$(ratio "$l_med" "$a_med")"
printf '%-34s %9d KiB %9d KiB %10.2f\n' "peak RSS, process doing ACME" "$worker_kib" "$lego_kib" \
	"$(ratio "$lego_kib" "$worker_kib")"
printf '%-34s %9d KiB\n' "peak RSS, acmed daemon" "$daemon_kib"
printf '%-34s %9d KiB\n' "peak RSS, acmectl" "$ctl_kib"
pass
