#!/bin/bash
# Alerts for failed renewals: a renewal failing again and again fires one
# `renewal-failed` alert per backoff step (1 min, 10 min, 100 min, a day),
# not one per attempt, and one `renewal-recovered` when it succeeds again.
# Each runs the alert hooks (renewal-hooks/alert/, acmed.conf's alert_hook,
# the lineage's alert_hook) with the documented environment and is mailed
# through the configured sendmail; the journal gets ACMED_EVENT= and
# ACMED_CERT_NAME=, the failures at PRIORITY 3. A revocation is announced
# too.
#
# The journal is journal.sh's: a private /run/systemd with the test's own
# listener on the journal's socket.
if [[ -z ${ACMED_TEST_IN_NS:-} ]]; then
	if ((EUID != 0)) || ! unshare -m --propagation private true 2>/dev/null; then
		echo "skip: alert-failures: needs root and unshare -m (a private /run/systemd)"
		exit 77
	fi
	ACMED_TEST_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

if [[ -d /run/systemd ]]; then
	mount -t tmpfs -o mode=0755 acmed-test /run/systemd
else
	mount -t tmpfs -o mode=0755 acmed-test /run
	mkdir /run/systemd
fi
mkdir /run/systemd/journal
JLOG=$T/journal.log
: >"$JLOG"
spawn journal "$T/journal-listener.err" "$PYTHON" "$REPO_DIR/tests/integration/journal-listener.py" \
	/run/systemd/journal/socket "$JLOG"
wait_for journal-listener "$SPAWNED_PID" test -S /run/systemd/journal/socket
entries_matching() { # JQ-FILTER: how many journal entries match
	jq -c "select($1)" "$JLOG" | wc -l
}

start_pebble
start_ca_proxy

# rec TAG: one line per alert hook run with its environment.
cat >"$T/rec" <<EOF
#!/bin/sh
echo "\$1 hook=\$ACMED_HOOK event=\$ACMED_EVENT name=\$ACMED_CERT_NAME failures=\$ACMED_FAILURES domains=[\$ACMED_DOMAINS] lineage=\$ACMED_LINEAGE not_after=\$ACMED_NOT_AFTER days=\$ACMED_DAYS_LEFT next=\$ACMED_NEXT_ATTEMPT reason=\$ACMED_REVOKED_REASON error=[\$ACMED_LAST_ERROR]" >>"$T/alerts"
EOF
chmod +x "$T/rec"
# A sendmail that keeps each message it is given, and its arguments.
mkdir "$T/mail"
cat >"$T/sendmail" <<EOF
#!/bin/sh
n=\$(ls "$T/mail" | wc -l)
{ echo "ARGS: \$*"; cat; } >"$T/mail/\$n.tmp" && mv "$T/mail/\$n.tmp" "$T/mail/\$n"
EOF
chmod +x "$T/sendmail"
hooks=$T/state/renewal-hooks
mkdir -p "$hooks/alert"
printf '#!/bin/sh\nexec %s dir\n' "$T/rec" >"$hooks/alert/10-rec"
chmod +x "$hooks/alert/10-rec"
cat >"$T/acmed.conf" <<EOF
renew_jitter = 0;
alert_hook = "$T/rec conf";
alert_email = "ops@example.com";
sendmail = "$T/sendmail";
EOF
: >"$T/acmed.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/acmed.log")
export JOURNAL_STREAM
start_acmed

A=a.$TEST_DOMAIN
assert_exit 0 acmectl certonly --standalone --http-01-address 127.0.0.1 \
	--http-01-port "$HTTP01_PORT" -d "$A" -d "www.$A" --agree-tos \
	--register-unsafely-without-email
# The lineage's own alert hook, set in its renewal file.
sed -i "1i alert_hook = \"$T/rec lineage\";" "$T/state/renewal/$A.conf"
assert_exit 0 acmectl reload
[[ ! -e $T/alerts ]] || fail "alerts before any failure: $(cat "$T/alerts")"

alerts_of() { # SOURCE EVENT: how many alerts SOURCE's hook saw
	grep -c "^$1 hook=alert event=$2 " "$T/alerts" 2>/dev/null || true
}
has_alerts() { # SOURCE EVENT N
	(($(alerts_of "$1" "$2") >= $3))
}

# Six failed attempts (an administrator's renew is not held back by the
# backoff): failures 1 to 4 each start a backoff step, 5 and 6 are the
# daily step again.
proxy_config '{"down": true}'
for i in 1 2 3 4 5 6; do
	assert_exit 1 acmectl renew --cert-name "$A" --force-renewal
	assert_eq "$(cert_json "$A" failures)" "$i" "failures after attempt $i"
done
wait_until 20 "four renewal-failed alerts" has_alerts lineage renewal-failed 4
# The timeline: the failures, and a bar from notBefore (now) to notAfter
# with the renewal window at its end.
assert_exit 0 acmectl certificates --timeline
assert_match "$OUT" "  $A: [0-9]+ days left, 6 failed renewal\\(s\\), next attempt [0-9-]+ [0-9:]+"
grep -Eq '^    [0-9-]{10} \[\*=+#+\] [0-9-]{10}$' <<<"$OUT" || fail "no timeline bar in: $OUT"
for src in dir conf lineage; do
	assert_eq "$(alerts_of "$src" renewal-failed)" 4 "$src hook: renewal-failed alerts"
done
for i in 1 2 3 4; do
	assert_match "$(grep "^dir " "$T/alerts" | sed -n "${i}p")" \
		"^dir hook=alert event=renewal-failed name=$A failures=$i domains=\\[$A www.$A\\] lineage=$T/state/live/$A not_after=[0-9-]+T[0-9:]+Z days=[0-9.]+ next=[0-9-]+T[0-9:]+Z reason= error=\\[loading the CA's directory failed"
done
# The order: the directory's, acmed.conf's, the lineage's.
assert_eq "$(sed -n '1,3p' "$T/alerts" | cut -d' ' -f1 | tr '\n' ' ')" "dir conf lineage " \
	"the hooks' order"

# The CA is back: one recovery.
proxy_config '{}'
pebble_drop_authzs
assert_exit 0 acmectl renew --cert-name "$A" --force-renewal
wait_until 20 "a renewal-recovered alert" has_alerts lineage renewal-recovered 1
assert_eq "$(alerts_of dir renewal-recovered)" 1 "renewal-recovered alerts"
assert_match "$(grep "^dir hook=alert event=renewal-recovered" "$T/alerts")" "failures=0 "
# Another success is nothing to announce.
pebble_drop_authzs
assert_exit 0 acmectl renew --cert-name "$A" --force-renewal
assert_eq "$(alerts_of dir renewal-recovered)" 1 "renewal-recovered after a plain success"

# A revocation.
assert_exit 0 acmectl revoke --cert-name "$A" --reason keycompromise --no-delete-after-revoke
wait_until 20 "a revoked alert" has_alerts lineage revoked 1
assert_match "$(grep "^dir hook=alert event=revoked" "$T/alerts")" "reason=keycompromise "

# The mails: one per alert, through sendmail -t, with a clear subject.
wait_until 20 "six mails" test -e "$T/mail/5"
[[ ! -e $T/mail/6 ]] || fail "more than six mails"
m0=$T/mail/0
assert_eq "$(head -n 1 "$m0")" "ARGS: -oi -t" "sendmail's arguments"
assert_contains "$m0" "To: ops@example.com"
assert_match "$(grep '^Subject:' "$m0")" "^Subject: \\[acmed\\] [^ ]+: $A: renewal failed \\(1 failure in a row\\)$"
assert_match "$(grep '^Subject:' "$T/mail/4")" "^Subject: \\[acmed\\] [^ ]+: $A: renewal succeeded again after failures$"
assert_match "$(grep '^Subject:' "$T/mail/5")" "^Subject: \\[acmed\\] [^ ]+: $A: the certificate was revoked \\(keycompromise\\)$"
assert_contains "$m0" "ACMED_EVENT=renewal-failed"
assert_contains "$m0" "ACMED_DOMAINS=$A www.$A"
stop_acmed

# The journal: each failure at PRIORITY 3 with the event's fields; only the
# first four are alerts, the last two say so.
failed='.ACMED_EVENT == "renewal-failed" and .ACMED_CERT_NAME == "'$A'" and .PRIORITY == "3"'
assert_eq "$(entries_matching "$failed and (.MESSAGE | test(\"^$A: renewal failed \\\\(\"))")" 4 \
	"renewal-failed alerts in the journal"
assert_eq "$(entries_matching "$failed and (.MESSAGE | test(\"failed again\"))")" 2 \
	"failures within a step in the journal"
assert_eq "$(entries_matching '.ACMED_EVENT == "renewal-recovered" and (.ACMED_DAYS_LEFT | test("^[0-9]+\\.[0-9]$"))')" 1 \
	"renewal-recovered in the journal"
assert_eq "$(entries_matching '.ACMED_EVENT == "revoked" and .PRIORITY == "4"')" 1 \
	"revoked in the journal"
pass
