#!/bin/bash
# Cancelling a job: `acmectl cancel JOB`, and Ctrl-C in an acmectl that
# waits for one.
#   - a renewal held in its manual auth hook is cancelled: the waiting
#     acmectl says so (exit 4), live/, archive/ and the renewal file are
#     byte for byte as before, no failure is counted, the hook is stopped
#     with the job, `status` and the log say "cancelled";
#   - on a terminal Ctrl-C asks "Cancel the job? (y/N)": n keeps waiting,
#     y cancels;
#   - without a terminal Ctrl-C detaches as before and says how to cancel;
#     the job goes on, and its renewal saves version 2: every cancelled job
#     released the lineage;
#   - a queued job cancelled by its lineage's name is dropped; a job that is
#     not there is an error.
source "$(dirname "$0")/lib.sh"

start_pebble PEBBLE_AUTHZREUSE=0 # every renewal runs the auth hook
start_ca_proxy                   # whose log pebble_drop_authzs reads
echo 'max_parallel_jobs = 1;' >"$T/acmed.conf" # a second job waits in the queue
start_acmed
N=cancel.$TEST_DOMAIN
HOLD=$T/hold
IN=$T/in-hook

# The auth hook says it runs, then waits while $HOLD exists.
cat >"$T/auth.sh" <<EOF
#!/bin/sh
touch "$IN"
while [ -e "$HOLD" ]; do sleep 0.1; done
curl -sSf -o /dev/null -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\",\"value\":\"\$CERTBOT_VALIDATION\"}" \
	"$CHALLTESTSRV_URL/set-txt"
EOF
cat >"$T/cleanup.sh" <<EOF
#!/bin/sh
curl -sSf -o /dev/null -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\"}" "$CHALLTESTSRV_URL/clear-txt"
EOF
chmod +x "$T"/*.sh
assert_exit 0 acmectl certonly --manual --preferred-challenges dns \
	--manual-auth-hook "$T/auth.sh" --manual-cleanup-hook "$T/cleanup.sh" -d "$N" \
	--agree-tos --register-unsafely-without-email

# Every file of the lineage, its links and contents.
snapshot() {
	(cd "$T/state" && find live archive renewal -printf '%p %l %s %m\n' | sort &&
		sha256sum "renewal/$N.conf" archive/"$N"/*)
}
before=$(snapshot)
hook_running() { pgrep -f "$T/auth.sh" >/dev/null; }

# --- acmectl cancel JOB ---------------------------------------------------
touch "$HOLD"
rm -f "$IN"
pebble_drop_authzs # even at 0, Pebble reuses 1 in 100
acmectl renew --cert-name "$N" --force-renewal >"$T/renew.out" 2>&1 &
renew_pid=$!
wait_until 60 "the auth hook to start" test -e "$IN"
job=$(acmectl --json status | jq -r '.jobs[0].id')
[[ $job =~ ^[0-9]+$ ]] || fail "no job in status: $job"
assert_eq "$(acmectl --json status | jq -r '.jobs[0].name')" "$N" "the job's lineage"
assert_exit 0 acmectl cancel "$job"
assert_match "$OUT" "Job $job \\(renew $N\\) cancelled; its lineage is unchanged\\."
rc=0
wait "$renew_pid" || rc=$?
assert_eq "$rc" 4 "exit status of the renew that waited for the cancelled job"
assert_match "$(cat "$T/renew.out")" "$N/fullchain.pem \\(cancelled\\)"
assert_eq "$(snapshot)" "$before" "the lineage after a cancelled renewal"
assert_eq "$(cert_json "$N" failures)" 0 "failures counted for a cancelled renewal"
wait_until 20 "the cancelled job's auth hook to be stopped" eval '! hook_running'
assert_eq "$(acmectl --json status | jq -r --argjson j "$job" \
	'.recent_jobs[] | select(.id == $j) | .result')" cancelled "status of the job"
assert_exit 0 acmectl status
assert_match "$OUT" "job $job, renew $N: cancelled at "
grep -qF "job $job (renew $N) cancelled; its lineage is unchanged" "$T/acmed.log" ||
	fail "the log does not say job $job was cancelled"
# The timer, which would start it again at once, leaves it alone a while.
assert_contains "$T/acmed.log" "$N: its renewal was cancelled; not renewing it on its own before"
# Gone now: cancelling it again says so.
assert_exit 1 acmectl cancel "$job"
assert_match "$OUT" "no job $job \\(it may have ended already\\)"

# --- Ctrl-C on a terminal: n keeps waiting, y cancels ----------------------
rm -f "$IN"
pebble_drop_authzs # even at 0, Pebble reuses 1 in 100
cat >"$T/steps" <<EOF
waitfile $IN
intr
expect Cancel the job\\? \\(y/N\\)
send n\\n
expect Waiting for acmed
intr
expect Cancel the job\\? \\(y/N\\)
send y\\n
EOF
OUT=$("$PYTHON" "$REPO_DIR/tests/integration/pty-drive.py" "$T/steps" -- \
	"$ACMECTL" --socket "$ACMED_SOCKET" certonly --manual --preferred-challenges dns \
	--manual-auth-hook "$T/auth.sh" --manual-cleanup-hook "$T/cleanup.sh" -d "$N" \
	--force-renewal) || fail "pty-drive: $OUT"
printf '%s\n' "$OUT"
assert_match "$OUT" "exit: 4$"
assert_match "$OUT" "acmectl: error: job [0-9]+ \\(certonly $N\\) was cancelled; its lineage is unchanged"
assert_eq "$(snapshot)" "$before" "the lineage after Ctrl-C and y"

# --- Ctrl-C without a terminal: detached; the job goes on ------------------
rm -f "$IN"
pebble_drop_authzs # even at 0, Pebble reuses 1 in 100
cat >"$T/steps" <<EOF
waitfile $IN
intr
expect detached: job [0-9]+ goes on in acmed; 'acmectl cancel [0-9]+' cancels it
EOF
OUT=$("$PYTHON" "$REPO_DIR/tests/integration/pty-drive.py" --no-tty "$T/steps" -- \
	"$ACMECTL" --socket "$ACMED_SOCKET" renew --cert-name "$N" --force-renewal) ||
	fail "pty-drive: $OUT"
assert_match "$OUT" "exit: 130$"
assert_eq "$(acmectl --json status | jq -r '.jobs[0].name')" "$N" "the detached job runs on"
# Meanwhile another certificate's job waits for the one slot; cancelled by
# its lineage's name, it is dropped from the queue.
Q=queued.$TEST_DOMAIN
acmectl certonly --manual --preferred-challenges dns --manual-auth-hook "$T/auth.sh" \
	-d "$Q" >"$T/queued.out" 2>&1 &
queued_pid=$!
# shellcheck disable=SC2016 # evaluated by wait_until
wait_until 30 "the second job to be queued" eval \
	'[[ $(acmectl --json status | jq -r ".jobs[1].state") == queued ]]'
assert_exit 0 acmectl cancel "$Q"
assert_match "$OUT" "Job [0-9]+ \\(certonly $Q\\) cancelled"
rc=0
wait "$queued_pid" || rc=$?
assert_eq "$rc" 4 "exit status of the certonly whose queued job was cancelled"
[[ ! -e $T/state/renewal/$Q.conf ]] || fail "a cancelled certonly left a lineage"
# The detached renewal goes on to the end: the cancelled jobs released it.
rm -f "$HOLD"
wait_until 90 "the detached renewal to save version 2" live_at_least "$N" 2
assert_eq "$(live_version "$N")" 2 "version after the renewal that went on"

# --- no such job ------------------------------------------------------------
assert_exit 1 acmectl cancel 9999
assert_match "$OUT" "no job 9999"
assert_exit 1 acmectl cancel "nothing.$TEST_DOMAIN"
assert_match "$OUT" "no job works on 'nothing.$TEST_DOMAIN'"
assert_exit 2 acmectl cancel
pass
