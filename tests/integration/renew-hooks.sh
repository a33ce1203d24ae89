#!/bin/bash
# acmectl renew and its hooks, certbot's semantics: which hooks run, in
# which order, once each; the directory hooks; the environment; a dry run;
# nothing due; a failing hook; a hook that hangs (killed at hook_timeout,
# the daemon answering meanwhile) and one that ignores SIGTERM.
source "$(dirname "$0")/lib.sh"

start_pebble
hooks=$T/state/renewal-hooks
order=$T/order
# rec TAG: one line per hook run, "TAG KIND LINEAGE", and the variables.
cat >"$T/rec" <<EOF
#!/bin/sh
echo "\$1 \$ACMED_HOOK \${RENEWED_LINEAGE##*/}" >>"$order"
echo "\$1 lineage=\$RENEWED_LINEAGE domains=[\$RENEWED_DOMAINS] lineages=[\$ACMED_LINEAGES] renewed=[\$ACMED_RENEWED] failed=[\$ACMED_FAILED] dry=\$ACMED_DRY_RUN leak=\${ACMED_TEST_LEAK:-clean} path=\$PATH" >>"$T/env"
EOF
chmod +x "$T/rec"
mkdir -p "$hooks/pre" "$hooks/deploy" "$hooks/post"
for f in pre/20-b pre/10-a deploy/10-a post/10-a; do
	printf '#!/bin/sh\nexec %s dir-%s-%s\n' "$T/rec" "${f%/*}" "${f#*/}" >"$hooks/$f"
	chmod +x "$hooks/$f"
done
printf '#!/bin/sh\n%s not-executable\n' "$T/rec" >"$hooks/pre/05-plain"
# The configured deploy hook is the directory's own: it must run once.
cat >"$T/acmed.conf" <<EOF
renew_jitter = 0;
max_parallel_jobs = 1;
hook_timeout = "3s";
pre_hook = "$T/rec conf-pre";
deploy_hook = "$hooks/deploy/10-a";
post_hook = "$T/rec conf-post";
EOF
export ACMED_TEST_LEAK=leaked # must not reach the hooks
start_acmed
unset ACMED_TEST_LEAK

A=a.$TEST_DOMAIN
B=b.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
# certonly runs the configured hooks and its own, not the directory's
# (certbot runs those for renew only); its hooks are saved in the lineage.
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$A" --agree-tos \
	--register-unsafely-without-email --pre-hook "$T/rec conf-pre" \
	--deploy-hook "$T/rec lin-deploy-a"
assert_eq "$(cat "$order")" "conf-pre pre 
dir-deploy-10-a deploy $A
lin-deploy-a deploy $A
conf-post post " "hooks of certonly"
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$B" --post-hook "$T/rec lin-post-b"
assert_contains "$T/state/renewal/$A.conf" "deploy_hook = \"$T/rec lin-deploy-a\""
assert_contains "$T/state/renewal/$B.conf" "post_hook = \"$T/rec lin-post-b\""

# 1. Nothing is due (Pebble's certificates last 5 years): no hook runs.
: >"$order"
assert_exit 0 "$ACMECTL" renew
assert_match "$OUT" "The following certificates are not due for renewal yet:"
assert_match "$OUT" "$T/state/live/$A/fullchain.pem expires on [0-9-]+ \\(skipped\\)"
assert_match "$OUT" "No renewals were attempted."
assert_eq "$(cat "$order")" "" "no hooks when nothing is due"

# 2. --force-renewal with the command's hooks: pre hooks once (directory in
#    byte order, then acmed.conf, lineages, command; identical ones once),
#    deploy hooks per lineage, post hooks once. A hook the command gives
#    takes the place of the lineages' saved ones of its kind, as in certbot
#    (lin-deploy-a and lin-post-b do not run).
assert_exit 0 "$ACMECTL" renew --force-renewal --pre-hook "$T/rec cmd-pre" \
	--deploy-hook "$T/rec cmd-deploy" --post-hook "$T/rec cmd-post"
assert_match "$OUT" "Congratulations, all renewals succeeded:"
assert_match "$OUT" "$T/state/live/$A/fullchain.pem \\(success\\)"
assert_match "$OUT" "$T/state/live/$B/fullchain.pem \\(success\\)"
assert_match "$OUT" "$A: Saved as version 2 of $A"
assert_eq "$(cat "$order")" "dir-pre-10-a pre 
dir-pre-20-b pre 
conf-pre pre 
cmd-pre pre 
dir-deploy-10-a deploy $A
cmd-deploy deploy $A
dir-deploy-10-a deploy $B
cmd-deploy deploy $B
dir-post-10-a post 
conf-post post 
cmd-post post " "hook order"
assert_contains "$T/acmed.log" "pre/05-plain: not an executable file; skipping it"
assert_contains "$T/env" "^cmd-deploy lineage=$T/state/live/$A domains=\\[$A\\] .* dry= leak=clean path=/usr/local/sbin:"
assert_contains "$T/env" "^cmd-post lineage= domains=\\[\\] lineages=\\[$A $B\\] renewed=\\[$A $B\\] failed=\\[\\] dry=0 leak=clean"
assert_eq "$(live_version "$A")/$(live_version "$B")" "2/2" "both renewed"
# The command's hooks replace the ones each renewed lineage had saved, as
# certbot saves them: they run at its next renewals.
for n in "$A" "$B"; do
	assert_contains "$T/state/renewal/$n.conf" "^pre_hook = \"$T/rec cmd-pre\";"
	assert_contains "$T/state/renewal/$n.conf" "^deploy_hook = \"$T/rec cmd-deploy\";"
	assert_contains "$T/state/renewal/$n.conf" "^post_hook = \"$T/rec cmd-post\";"
done

# 3. --dry-run: every lineage goes through the CA; nothing is saved, no
#    deploy hook runs, pre and post hooks do.
: >"$order"
assert_exit 0 "$ACMECTL" renew --dry-run --cert-name "$A"
assert_match "$OUT" "Congratulations, all simulated renewals succeeded:"
assert_eq "$(live_version "$A")" 2 "dry run saved nothing"
[[ ! -e $T/state/archive/$A/cert3.pem ]] || fail "dry run wrote an archive version"
assert_eq "$(cut -d' ' -f1 "$order" | tr '\n' ' ')" \
	"dir-pre-10-a dir-pre-20-b conf-pre cmd-pre dir-post-10-a conf-post cmd-post " \
	"dry run hooks"
assert_contains "$T/env" "^conf-post .* dry=1 "

# 4. --no-directory-hooks: renewal-hooks/ is skipped; the acmed.conf
#    deploy_hook naming a file there is a configured hook and still runs.
: >"$order"
assert_exit 0 "$ACMECTL" renew --force-renewal --cert-name "$B" --no-directory-hooks
assert_eq "$(cut -d' ' -f1 "$order" | tr '\n' ' ')" \
	"conf-pre cmd-pre dir-deploy-10-a cmd-deploy conf-post cmd-post " "no directory hooks"

# 5. A failing deploy hook: the certificate stays renewed, the failure is
#    reported, the exit status is 1.
#    The end of its output is in the summary, the --json answer and the log.
fails="sh -c 'echo reloading; echo nginx: bad config >&2; exit 3'"
assert_exit 1 "$ACMECTL" renew --force-renewal --cert-name "$B" --deploy-hook "$fails"
assert_match "$OUT" "$T/state/live/$B/fullchain.pem \\(success\\)"
assert_match "$OUT" "deploy hook for $B: sh -c 'echo reloading; echo nginx: bad config >&2; exit 3' \\(failed\\); its output ended: reloading nginx: bad config$"
assert_match "$OUT" "0 renew failure\\(s\\), 1 hook failure\\(s\\)"
assert_eq "$(live_version "$B")" 4 "a failing hook does not undo the renewal"
assert_contains "$T/acmed.log" "failed with exit status 3; its output ended: reloading nginx: bad config"
rc=0
"$ACMECTL" --json renew --force-renewal --cert-name "$B" --deploy-hook "$fails" \
	>"$T/renew.json" 2>/dev/null || rc=$?
assert_eq "$rc" 1 "renew --json exit status with a failing hook"
assert_eq "$(jq -r '.hooks[] | select(.failed) | .output' "$T/renew.json")" \
	"reloading nginx: bad config" "--json: the failed hook's output"

# 6. A hook that hangs is killed at hook_timeout (3 s) with its process
#    group; meanwhile the daemon answers at once, and does not start a second
#    renewal of the lineage waiting for it.
start=${EPOCHREALTIME//[.,]/}
"$ACMECTL" renew --force-renewal --cert-name "$A" --pre-hook "sleep 300 & sleep 301" \
	>"$T/hang.out" 2>&1 &
hang=$!
# (^: not acmectl, whose command line holds the hook too)
wait_until 5 "the hanging hook started" pgrep -f "^sleep 301"
hook_group=$(ps -o pgid= -p "$(pgrep -f "^sleep 301")" | tr -d ' ')
[[ $hook_group =~ ^[0-9]+$ ]] || fail "the hanging hook's process group: '$hook_group'"
for cmd in status certificates; do
	t0=${EPOCHREALTIME//[.,]/}
	assert_exit 0 "$ACMECTL" "$cmd"
	t1=${EPOCHREALTIME//[.,]/}
	(((t1 - t0) < 1000000)) || fail "acmectl $cmd took $(((t1 - t0) / 1000)) ms during a hung hook"
done
assert_match "$("$ACMECTL" status)" "Hooks: 1 running or queued"
# A lineage already in a batch is not renewed twice.
assert_exit 0 "$ACMECTL" renew --force-renewal --cert-name "$A" --no-directory-hooks
assert_match "$OUT" "The following certificates were skipped:"
assert_match "$OUT" "a renewal of it is already running"
assert_match "$OUT" "No renewals were attempted."
rc=0
wait "$hang" || rc=$?
elapsed=$(((${EPOCHREALTIME//[.,]/} - start) / 1000))
assert_eq "$rc" 1 "renew exit status after a hook timeout"
((elapsed >= 3000 && elapsed < 9000)) || fail "the hung hook ended after $elapsed ms, not ~3 s"
assert_contains "$T/hang.out" "pre hook: sleep 300 & sleep 301 \\(killed\\)"
assert_contains "$T/hang.out" "$T/state/live/$A/fullchain.pem \\(success\\)"
assert_contains "$T/acmed.log" "still running after 3 s; sending SIGTERM to its process group"
# The group was sent SIGKILL when the hook's shell ended (left alone, the
# sleeps would live for 300 s). A killed process may stay a zombie until
# init reaps it: only a live one counts.
alive_in_group() {
	local p
	for p in $(pgrep -g "$hook_group"); do
		[[ $(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null) == [RSDTt] ]] && return 0
	done
	return 1
}
for _ in $(seq 100); do
	alive_in_group || break
	sleep 0.1
done
if alive_in_group; then
	fail "the hook's processes were not killed with its group $hook_group within 10 s:" \
		"$(ps -o pid,ppid,pgid,stat,wchan:20,args -p "$(pgrep -d, -g "$hook_group")")"
fi

# 6b. A hook that writes without pause cannot stall the daemon either: it
#     still answers, the hook is killed at the timeout, the client sees the
#     first 200 lines and the log the first 256 KiB.
"$ACMECTL" renew --force-renewal --cert-name "$A" --no-directory-hooks \
	--disable-hook-validation --pre-hook 'while :; do echo flood; done' >"$T/flood.out" 2>&1 &
flood=$!
wait_until 5 "the flooding hook started" grep -q ": flood$" "$T/acmed.log"
t0=${EPOCHREALTIME//[.,]/}
assert_exit 0 "$ACMECTL" status
t1=${EPOCHREALTIME//[.,]/}
(((t1 - t0) < 1000000)) || fail "acmectl status took $(((t1 - t0) / 1000)) ms during a flood"
rc=0
wait "$flood" || rc=$?
assert_eq "$rc" 1 "renew exit status after the flooding hook"
# The hook's log lines may still be on their way when the client is told.
wait_until 30 "the log says the flood was stopped" \
	grep -qF 'while :; do echo flood; done": killed after the hook_timeout' "$T/acmed.log"
logged=$(grep -c ': flood$' "$T/acmed.log")
((logged >= 200 && logged <= 256 * 1024 / 6)) || fail "$logged lines of flood in the log"
# When output was dropped, the log says so, at the cap (a build with
# sanitizers may not reach the cap in 3 s, and then drops nothing).
if grep -qF 'while :; do echo flood; done": (more output dropped)' "$T/acmed.log"; then
	((logged >= 250 * 1024 / 6)) || fail "output dropped after only $logged lines"
	say "the log was cut at its cap, after $logged lines"
fi
assert_eq "$(grep -c ': flood$' "$T/flood.out")" 200 "flood lines shown by acmectl"
assert_contains "$T/flood.out" "\(more output in acmed's log\)"

# 7. One that ignores SIGTERM gets SIGKILL 10 s later.
# (A sleep of this run's own length: other tests on the machine may sleep too.)
nap=302.$$
assert_exit 1 "$ACMECTL" renew --force-renewal --cert-name "$A" --no-directory-hooks \
	--disable-hook-validation --post-hook "trap '' TERM; sleep $nap"
assert_contains "$T/acmed.log" "did not stop within 10 s of SIGTERM; sending SIGKILL"
wait_until 5 "sleep $nap killed with its group" eval "! pgrep -f 'sleep $nap'"

stop_acmed
pass
