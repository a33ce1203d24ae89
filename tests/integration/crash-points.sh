#!/bin/bash
# Crash and disk faults at every filesystem syscall of a renewal.
#
# A baseline renewal runs under strace to list the calls that change the
# state directory: every fsync, mkdirat, renameat, renameat2, symlinkat and
# unlinkat, all made by the job's signer (the worker and the daemon make
# none during a renewal). A kill at a write() or openat() of a temp file
# leaves the same disk as a kill at that file's fsync(), which is listed.
#
# Then, for each call S and each of its invocations i:
#   crash    strace (attached to the running acmed, following the job's
#            processes) kills the process with SIGKILL at the i-th S. acmed
#            is then restarted (its start-up finishes or undoes an
#            interrupted publish), and if the renewal did not complete a
#            forced renewal finishes it. Checked every time: `acmectl check`
#            passes (live/ all links into one whole version, key matching,
#            chain verifying, modes), live/ moved to the old or the new
#            version only, then to exactly one version more; the renewal
#            file ends byte for byte as before; the account key is
#            unchanged; exactly one certificate was issued (an order
#            finalized before the kill is finished after the restart, not
#            placed again).
#   ENOSPC, EIO on the first fsync, renameat2 and renameat of a renewal:
#            the renewal fails with the error named, live/ and the renewal
#            file's settings stay as they were, no temp file is left, the
#            failure and its backoff are recorded.
#
# docs/crash-safety.md has the table of what this test counts.
source "$(dirname "$0")/lib.sh"

require_cmd strace
start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
start_acmed
N=crash.$TEST_DOMAIN
S=$T/state
assert_exit 0 "$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" -d "$N" \
	--agree-tos -m admin@example.org -n
acct_key=$(find "$S/accounts" -name key.pem -exec sha256sum {} + | sort)
CALLS=(fsync mkdirat renameat renameat2 symlinkat unlinkat)

issued() { grep -c "Issued certificate serial" "$T/pebble.log"; }
orders() { grep -c "Added order" "$T/pebble.log"; }
# live_snapshot: live/N's entries, link targets and contents.
live_snapshot() {
	(cd "$S/live/$N" && find . -printf '%p %y %l\n' | sort && cat ./*.pem | sha256sum)
}
# settings: the renewal file without its state section (last attempt...).
settings() { sed '/^state :/,/^};/d' "$S/renewal/$N.conf"; }

# attach_strace ARGS...: strace -f on the running acmed with ARGS; returns
# once it is attached.
attach_strace() {
	strace -f -qq -o /dev/null -p "$ACMED_PID" -e trace=none "$@" &
	STRACE_PID=$!
	wait_until 10 "strace attached to acmed" \
		grep -qE "^TracerPid:[[:space:]]+$STRACE_PID$" "/proc/$ACMED_PID/status"
}
detach_strace() {
	kill -INT "$STRACE_PID" 2>/dev/null || true
	wait "$STRACE_PID" 2>/dev/null || true
}
restart_acmed() {
	stop_acmed
	start_acmed
}

say "baseline: the calls a renewal makes"
attach_strace -o "$T/baseline.strace" -e trace="$(IFS=,; echo "${CALLS[*]}")"
assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
detach_strace
signer=$(awk '/renameat2\(/ {print $1; exit}' "$T/baseline.strace")
[[ -n $signer ]] || fail "no renameat2 in the baseline renewal"
declare -A COUNT
total=0
for c in "${CALLS[@]}"; do
	# strace pads the pid column: split on blanks.
	COUNT[$c]=$(awk -v p="$signer" -v c="$c(" '$1 == p && index($2, c) == 1' \
		"$T/baseline.strace" | wc -l)
	total=$((total + COUNT[$c]))
	others=$(awk -v p="$signer" -v c="$c(" '$1 != p && index($2, c) == 1' \
		"$T/baseline.strace" | wc -l)
	assert_eq "$others" 0 "$c calls by processes other than the signer"
done
say "the signer's calls: $(for c in "${CALLS[@]}"; do printf '%s %s, ' "$c" "${COUNT[$c]}"; done)$total in all"
((total >= 30)) || { cat "$T/baseline.strace" >&2; fail "only $total calls in a renewal: the baseline is wrong"; }

held=0 points=0 extra=0 orders_total=0
for c in "${CALLS[@]}"; do
	for ((i = 1; i <= COUNT[$c]; i++)); do
		points=$((points + 1))
		v0=$(live_version "$N") iss0=$(issued) ord0=$(orders)
		settings >"$T/settings.before"
		attach_strace -e inject="$c:signal=SIGKILL:when=$i"
		command "$ACMECTL" --socket "$ACMED_SOCKET" renew --cert-name "$N" --force-renewal \
			>"$T/crash.out" 2>&1 || true
		detach_strace
		restart_acmed
		v1=$(live_version "$N")
		((v1 == v0 || v1 == v0 + 1)) ||
			fail "$c #$i: live/ at $v1 after the crash (was $v0)"
		assert_exit 0 "$ACMECTL" check --cert-name "$N"
		if ((v1 == v0)); then
			assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
		fi
		assert_eq "$(live_version "$N")" "$((v0 + 1))" "$c #$i: live/ after converging"
		assert_exit 0 "$ACMECTL" check --cert-name "$N"
		settings | diff "$T/settings.before" - >/dev/null ||
			fail "$c #$i: the renewal file's settings changed: $(settings | diff "$T/settings.before" -)"
		assert_eq "$(find "$S/accounts" -name key.pem -exec sha256sum {} + | sort)" \
			"$acct_key" "$c #$i: the account key"
		n=$(($(issued) - iss0))
		((n == 1)) || { extra=$((extra + n - 1)); fail "$c #$i: $n certificates issued"; }
		orders_total=$((orders_total + $(orders) - ord0))
		temps=$(find "$S/archive/$N" "$S/live/$N" "$S/renewal" -regextype posix-extended \
			-regex '.*/\..+\.[0-9a-f]{12}')
		[[ -z $temps ]] || fail "$c #$i: temp files left after the restart: $temps"
		held=$((held + 1))
	done
done
say "kill -9: $points points, invariant held at $held, $extra extra certificates, $orders_total orders"

faults=0 faults_held=0
for err in ENOSPC EIO; do
	for c in fsync renameat2 renameat; do
		faults=$((faults + 1))
		v0=$(live_version "$N")
		settings >"$T/settings.before"
		live_snapshot >"$T/live.before"
		say "$err at the first $c"
		attach_strace -o "$T/fault.strace" -e trace="$c" -e inject="$c:error=$err:when=1"
		assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
		detach_strace
		msg=$(command "$ACMECTL" --socket "$ACMED_SOCKET" --json certificates --cert-name "$N")
		assert_match "$(jq -r '.certificates[0].last_error' <<<"$msg")" \
			"$(case $err in ENOSPC) echo "No space left on device" ;; EIO) echo "Input/output error" ;; esac)"
		assert_eq "$(jq -r '.certificates[0].failures' <<<"$msg")" 1 "$c $err: failures recorded"
		[[ $(jq -r '.certificates[0].next_attempt' <<<"$msg") != null ]] ||
			fail "$c $err: no backoff scheduled"
		assert_eq "$(live_version "$N")" "$v0" "$c $err: live/"
		live_snapshot | diff "$T/live.before" - >/dev/null || fail "$c $err: live/ changed"
		settings | diff "$T/settings.before" - >/dev/null || fail "$c $err: the renewal file changed"
		temps=$(find "$S" -regextype posix-extended -regex '.*/\..+\.[0-9a-f]{12}')
		[[ -z $temps ]] || fail "$c $err: temp files left: $temps"
		assert_exit 0 "$ACMECTL" check --cert-name "$N"
		# the next renewal (the disk has room again) succeeds and clears the failure
		assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
		faults_held=$((faults_held + 1))
	done
done
say "ENOSPC/EIO: $faults faults, invariant held at $faults_held"

pass
