#!/bin/bash
# cluster-kill: the host holding a lineage's lock is killed (SIGKILL to its
# acmed and every process under it, as in a power cut) at each step of a
# renewal, against a real three-member etcd cluster and Pebble:
#   order      after the CA created the order, before any authorization
#   challenge  after the authorizations are valid, before finalize
#   finalize   after finalize, before the certificate is downloaded
#   publish    after the publish transaction in etcd, before the version is
#              saved locally and the lock released (its signer is stopped
#              at its first rename of the local save)
# Each time: host b finishes the renewal with the order a placed (exactly
# one order per renewal, counted at Pebble), etcd's current version and
# both hosts' live/ converge on version 2, and `acmectl check` passes on
# both hosts, a included after its restart.
# Then `acmectl reconfigure` on a: the new settings go to etcd, b installs
# them and its renewal keeps them; with etcd's settings out of acmectl's
# reach, it says the settings are on a only and how to put them in etcd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd-lib.sh"
. "$(dirname "$0")/cluster-lib.sh"

require_cmd strace
cluster_start --proxy
start_host a
start_host b
get() { etcdctl_t get --print-value-only "/acmed/lineages/$1/$2"; }

# The signer of a's running job: the child of acmed-worker named acmed-signer.
signer_of_a() {
	local w
	for w in $(_descendants "${HOST_PID[a]}"); do
		[[ $(cat "/proc/$w/comm" 2>/dev/null) == acmed-signer ]] && { echo "$w"; return; }
	done
	return 1
}

# step NAME FAULT WAIT_FOR: a's renewal of lineage NAME held by the proxy's
# FAULT until its output shows WAIT_FOR; then a dies.
kill_at() {
	local n=$1 fault=$2 mark=$3
	proxy_config "{\"faults\": [$fault]}"
	on a renew --cert-name "$n" --force-renewal >"$T/$n.out" 2>&1 &
	RENEW=$!
	wait_until 60 "a's renewal of $n reached: $mark" grep -q "$mark" "$T/$n.out"
}

for s in order challenge finalize publish; do
	N=$s.$TEST_DOMAIN
	say "== a dies at step '$s' (${SECONDS}s)"
	assert_exit 0 on a certonly "${ISSUE[@]}" -d "$N"
	wait_until 30 "b installed $N version 1" eval '[[ $(live_version "$N" "$T/b/state") == 1 ]]'
	o0=$(orders)
	case $s in
	order) kill_at "$N" '{"path": "^/authZ/", "delay": 60}' "Order created" ;;
	challenge) kill_at "$N" '{"path": "^/finalize-order/", "delay": 60}' "Authorization 1/1 valid" ;;
	finalize) kill_at "$N" '{"path": "^/certZ/", "delay": 60}' "Order finalized" ;;
	publish)
		# The download is held 10 s: strace must be on the signer before
		# its save begins, however slowly it attaches under load.
		kill_at "$N" '{"path": "^/certZ/", "delay": 10}' "Order finalized"
		# The signer's first rename without replacing: the local save's
		# first file (the order it kept is a plain rename).
		strace -qq -o /dev/null -p "$(signer_of_a)" -e trace=renameat2 \
			-e inject=renameat2:signal=SIGSTOP:when=1 &
		STRACE=$!
		wait_until 10 "strace attached to a's signer" \
			grep -qE "^TracerPid:[[:space:]]+$STRACE$" "/proc/$(signer_of_a)/status"
		wait_until 30 "a's signer stopped in its local save" \
			eval '[[ $(get "$N" current) == 2 ]] && grep -qE "^State:[[:space:]]+[tT]" "/proc/$(signer_of_a)/status"'
		;;
	esac
	assert_eq "$(get "$N" lock)" a "the lock's holder when a dies"
	kill_host a
	if [[ -n ${STRACE:-} ]]; then
		kill "$STRACE" 2>/dev/null || true
		wait "$STRACE" 2>/dev/null || true
		STRACE=
	fi
	wait "$RENEW" 2>/dev/null || true
	proxy_config '{}'
	wait_until 30 "a's lock expired with its lease" eval '[[ -z $(get "$N" lock) ]]'
	if [[ $s != publish ]]; then
		assert_eq "$(get "$N" order | jq -r .host)" a "the order in flight a left"
		assert_exit 0 on b renew --cert-name "$N" --force-renewal
		assert_match "$OUT" "Taking over order https://[^ ]+ left by a"
		assert_match "$OUT" "Saved as version 2 of $N"
	fi
	assert_eq "$(get "$N" current)" 2 "the current version in etcd"
	[[ -z $(get "$N" order) ]] || fail "an order is still in flight for $N"
	wait_until 30 "b installed $N version 2" eval '[[ $(live_version "$N" "$T/b/state") == 2 ]]'
	start_host a
	wait_until 30 "a installed $N version 2" eval '[[ $(live_version "$N" "$T/a/state") == 2 ]]'
	assert_eq "$(($(orders) - o0))" 1 "orders for the renewal of $N, a's death included"
	assert_exit 0 on a check
	assert_exit 0 on b check
	for h in a b; do
		assert_eq "$(cat "$T/$h/state/live/$N/cert.pem")" "$(get "$N" versions/2/cert)" \
			"$h's live certificate of $N"
		assert_eq "$(cat "$T/$h/state/live/$N/chain.pem")" "$(get "$N" versions/2/chain)" \
			"$h's live chain of $N"
	done
done

# Not a kill: reconfigure on one host of a cluster gives every host the new
# settings (else the next version b publishes would bring b's back to a).
say "reconfigure on a: the settings go to etcd, b installs them and renews with them"
hook1="echo one >>$T/reconf-hooks" hook2="echo two >>$T/reconf-hooks"
# etcd's settings out of acmectl's reach (the acmed.conf it reads is gone):
# saved on a only, said, with the command that finishes the job.
mv "$T/a/acmed.conf" "$T/a/acmed.conf.away"
assert_exit 1 on a reconfigure --cert-name "$N" --deploy-hook "$hook1"
mv "$T/a/acmed.conf.away" "$T/a/acmed.conf"
assert_match "$OUT" "Successfully updated configuration"
assert_match "$OUT" "the renewal settings were saved on this host only, not in etcd: $T/a/acmed.conf"
assert_match "$OUT" "run this same reconfigure again, or:"
assert_match "$OUT" "acmectl store migrate --to etcd --config $T/a/acmed.conf --cert-name $N"
assert_contains "$T/a/state/renewal/$N.conf" "deploy_hook = \"$hook1\";"
[[ $(get "$N" renewal) != *"$hook1"* ]] || fail "etcd has the settings acmectl could not put there"
assert_exit 0 "$ACMECTL" store migrate --to etcd --config "$T/a/acmed.conf" --cert-name "$N"
assert_match "$(get "$N" renewal)" "deploy_hook = \"$hook1\";" "etcd's settings after the migrate"
# etcd answering: in etcd at once, and on b through its watcher, which
# keeps b's own record of its attempts (its state section).
"$PYTHON" - "$T/b/state/renewal/$N.conf" <<'EDIT'
import re, sys
p = sys.argv[1]
s = re.sub(r"\nstate\s*[=:]\s*\{[^}]*\}\s*;?", "", open(p).read())
open(p, "w").write(s + 'state = { failures = 2; last_error = "b\'s own error"; };\n')
EDIT
assert_exit 0 on b reload
assert_exit 0 on a reconfigure --cert-name "$N" --deploy-hook "$hook2"
assert_match "$OUT" "The renewal settings of $N are in etcd too: every host of the cluster renews it"
assert_match "$(get "$N" renewal)" "deploy_hook = \"$hook2\";" "etcd's settings after reconfigure"
[[ $(get "$N" renewal) != *failures* ]] || fail "a's state went to etcd: $(get "$N" renewal)"
wait_until 30 "b installed a's new settings" \
	grep -qF "deploy_hook = \"$hook2\";" "$T/b/state/renewal/$N.conf"
assert_contains "$T/b/state/renewal/$N.conf" "b's own error"
assert_exit 0 on b renew --cert-name "$N" --force-renewal
assert_match "$OUT" "Saved as version 3 of $N"
assert_match "$(get "$N" renewal)" "deploy_hook = \"$hook2\";" "etcd's settings after b's renewal"
wait_until 30 "a installed version 3" eval '[[ $(live_version "$N" "$T/a/state") == 3 ]]'
assert_contains "$T/a/state/renewal/$N.conf" "deploy_hook = \"$hook2\";"
# b's own deploy hook after its renewal, a's after it installed the version.
wait_until 30 "the new deploy hook ran on both hosts" \
	eval '[[ $(grep -c "^two$" "$T/reconf-hooks" 2>/dev/null) == 2 ]]'
[[ $(grep -c "^one$" "$T/reconf-hooks") == 0 ]] || fail "the replaced deploy hook ran"
pass
