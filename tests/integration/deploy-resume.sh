#!/bin/bash
# A deploy hook that had not finished when acmed stopped runs again at the
# next start, with the same environment, and completes; then never a third
# time. Three ways to stop: SIGKILL (a crash; the hook is killed too, as
# systemd kills what is left of the unit), SIGTERM (systemctl stop or
# restart: acmed stops the hook itself), and SIGTERM with the next start
# an `acmed --oneshot`, which waits for the hook before it exits. The
# pending hooks live in deploy-pending/NAME.json (deploy.h) meanwhile, and
# nowhere once they ended.
source "$(dirname "$0")/lib.sh"

start_pebble
D=d.$TEST_DOMAIN
HOOKLOG=$T/hook.log
: >"$HOOKLOG"
# The hook logs its start (its process group, which acmed gave it, so the
# test can kill it, and what it was told), waits until the test lets
# version N go (a file), and logs its end. A minute at most: a hook that is
# never let go fails the test.
cat >"$T/hook.sh" <<EOF
#!/bin/sh
read -r _ _ _ _ pgid _ </proc/\$\$/stat
echo "start \$pgid v\$ACMED_VERSION \$RENEWED_LINEAGE [\$RENEWED_DOMAINS]" >>"$HOOKLOG"
i=0
while [ ! -e "$T/go.\$ACMED_VERSION" ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
[ -e "$T/go.\$ACMED_VERSION" ] || exit 1
echo "end v\$ACMED_VERSION" >>"$HOOKLOG"
EOF
chmod +x "$T/hook.sh"
echo 'renew_jitter = 0;' >"$T/acmed.conf"
RECORD=$T/state/deploy-pending/$D.json
WANT="$T/state/live/$D [$D www.$D]"

# lines REGEX: how many lines of the hook's log match.
lines() {
	grep -Ec -- "$1" "$HOOKLOG" || true
}
have() { # REGEX N: at least N lines match
	(($(lines "$1") >= $2))
}
# the process group of the latest run that started
hook_pgid() {
	sed -n 's/^start \([0-9]*\) .*/\1/p' "$HOOKLOG" | tail -n 1
}
# run CMD... in the background, for a command that blocks on the hook
background() {
	"$@" >"$T/bg.out" 2>&1 &
	BG_PID=$!
}

# ---------------------------------------------------------------- SIGKILL

start_acmed
background "$ACMECTL" --socket "$ACMED_SOCKET" certonly --standalone \
	--http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" -d "$D" -d "www.$D" \
	--agree-tos --register-unsafely-without-email --deploy-hook "$T/hook.sh"
wait_until 30 "the deploy hook for version 1" have "^start .* v1 " 1
assert_file "$RECORD"
assert_contains "$RECORD" "\"command\":\"$T/hook.sh\""
assert_contains "$RECORD" '"version":1'
say "killing acmed (SIGKILL) and its hook while the hook runs"
kill -KILL "$ACMED_PID"
stop_pid "$ACMED_PID" || true
kill -KILL -- "-$(hook_pgid)" || fail "no hook to kill"
wait "$BG_PID" || true
assert_file "$RECORD"

start_acmed
assert_contains "$T/acmed.log" "$D: 1 deploy hook\\(s\\) for version 1 had not finished when acmed stopped: running them again"
wait_until 10 "the deploy hook run again" have "^start .* v1 " 2
assert_eq "$(grep '^start .* v1 ' "$HOOKLOG" | cut -d' ' -f3- | sort -u)" "v1 $WANT" \
	"what the hook was told, both times"
touch "$T/go.1"
wait_until 10 "the hook run again to end" have "^end v1$" 1
wait_until 5 "the record to go" test ! -e "$RECORD"
assert_contains "$T/acmed.log" "deploy hook \"$T/hook.sh\" for $D \\(run again\\): done in"

# ---------------------------------------------------------------- SIGTERM

# The hook was saved with the lineage: a renewal runs it too.
background "$ACMECTL" --socket "$ACMED_SOCKET" renew --cert-name "$D" --force-renewal
wait_until 30 "the deploy hook for version 2" have "^start .* v2 " 1
assert_contains "$RECORD" '"version":2'
say "stopping acmed (SIGTERM) while the hook runs"
stop_acmed
wait "$BG_PID" || true
assert_contains "$T/acmed.log" "deploy hook \"$T/hook.sh\" for $D: stopping it \\(acmed is shutting down\\)"
assert_file "$RECORD"
assert_eq "$(lines '^end v2$')" 0 "runs of version 2's hook that ended"

start_acmed
wait_until 10 "the deploy hook run again" have "^start .* v2 " 2
assert_eq "$(grep '^start .* v2 ' "$HOOKLOG" | cut -d' ' -f3- | sort -u)" "v2 $WANT" \
	"what the hook was told, both times"
touch "$T/go.2"
wait_until 10 "the hook run again to end" have "^end v2$" 1
wait_until 5 "the record to go" test ! -e "$RECORD"

# ---------------------------------------------------------------- --oneshot

background "$ACMECTL" --socket "$ACMED_SOCKET" renew --cert-name "$D" --force-renewal
wait_until 30 "the deploy hook for version 3" have "^start .* v3 " 1
stop_acmed
wait "$BG_PID" || true
assert_file "$RECORD"
say "acmed --oneshot with nothing due: it runs the hook again and waits for it"
"$ACMED" --oneshot --log-level debug --config "$T/acmed.conf" --state-dir "$T/state" \
	--server "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" >"$T/oneshot.log" 2>&1 &
ONESHOT_PID=$!
_LOGS+=("$T/oneshot.log")
wait_until 10 "the deploy hook run again by --oneshot" have "^start .* v3 " 2
_alive "$ONESHOT_PID" || fail "acmed --oneshot did not wait for the hook"
touch "$T/go.3"
rc=0
wait "$ONESHOT_PID" || rc=$?
assert_eq "$rc" 0 "acmed --oneshot's exit status"
assert_eq "$(lines '^end v3$')" 1 "runs of version 3's hook that ended"
[[ ! -e $RECORD ]] || fail "the record outlived the hook run again by --oneshot"

# ---------------------------------------------------------------- not again

start_acmed
! grep -q "had not finished when acmed stopped" "$T/acmed.log" ||
	fail "a start after the hooks ended ran them again"
stop_acmed
for v in 1 2 3; do
	assert_eq "$(lines "^start .* v$v ")" 2 "runs of version $v's hook"
	assert_eq "$(lines "^end v$v$")" 1 "runs of version $v's hook that ended"
done
[[ ! -e $T/state/deploy-pending ]] || [[ -z $(ls -A "$T/state/deploy-pending") ]] ||
	fail "deploy-pending/ not empty: $(ls -A "$T/state/deploy-pending")"
pass
