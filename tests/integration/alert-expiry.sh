#!/bin/bash
# Expiry warnings fire even when no renewal is attempted: for a lineage
# with autorenew off and for one whose renewal file is quarantined, each
# threshold of a short-lived certificate (Pebble's certificateValidityPeriod:
# 90 s, so a quarter and an eighth of it, 22 s and 11 s before expiry,
# after the renewal time at half of it) fires exactly once, also across a
# restart. `acmectl status --check` goes 0 -> 1 -> 2 as the certificates
# pass their renewal time, their last threshold, and expiry; STATUS= names
# the first to expire.
source "$(dirname "$0")/lib.sh"

start_pebble --validity 90
cat >"$T/rec" <<EOF
#!/bin/sh
echo "\$ACMED_EVENT \$ACMED_CERT_NAME \$ACMED_THRESHOLD_SECONDS \$ACMED_SECONDS_LEFT" >>"$T/alerts"
EOF
chmod +x "$T/rec"
cat >"$T/acmed.conf" <<EOF
renew_jitter = 0;
alert_hook = "$T/rec";
EOF
# STATUS= as systemd would receive it.
NLOG=$T/notify.log
: >"$NLOG"
cat >"$T/notify-listener.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as log:
    while True:
        log.write(s.recv(4096).decode(errors="replace") + "\n")
        log.flush()
EOF
export NOTIFY_SOCKET=$T/notify.sock
spawn notify-listener "$T/notify-listener.err" "$PYTHON" "$T/notify-listener.py" \
	"$NOTIFY_SOCKET" "$NLOG"
wait_for notify-listener "$SPAWNED_PID" test -S "$NOTIFY_SOCKET"
start_acmed

A=a.$TEST_DOMAIN
B=b.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
assert_exit 0 acmectl certonly "${standalone[@]}" -d "$A" --no-autorenew --agree-tos \
	--register-unsafely-without-email
assert_exit 0 acmectl certonly "${standalone[@]}" -d "$B"
# B's renewal file no longer parses: quarantined, never renewed.
echo 'domains = ' >>"$T/state/renewal/$B.conf"
assert_exit 1 acmectl reload
assert_match "$OUT" "1 quarantined|quarantined"
na_a=$(cert_json "$A" not_after)
na_b=$(cert_json "$B" not_after)
nb_a=$(cert_json "$A" not_before)
life=$((na_a - nb_a))
q=$((life / 4)) e=$((life / 8))
say "lifetime $life s: renewal time at $((life / 2)) s left, thresholds $q s and $e s"

check_is() { # CODE: `status --check` exits with CODE
	command "$ACMECTL" --socket "$ACMED_SOCKET" status --check >"$T/check.out"
	[[ $? == "$1" ]]
}
if (($(date +%s) < na_a - life / 2 - 1)); then
	assert_exit 0 acmectl status --check
	assert_match "$OUT" "^ACMED OK - 2 certificate\\(s\\), every one renewed on time \\|"
fi

# Past the renewal time: WARNING, nothing renewed, no alert yet.
wait_until 60 "status --check WARNING" check_is 1
assert_match "$(cat "$T/check.out")" "^ACMED WARNING - 2 certificate\\(s\\); past the renewal time: .*$A expires"
[[ ! -s $T/alerts ]] || (($(date +%s) >= na_a - q)) || fail "an alert before the first threshold"
# The timeline: A is not renewed by the timer (autorenew off); B has no
# renewal file to read, but its certificate is drawn.
assert_exit 0 acmectl certificates --timeline
assert_match "$OUT" "  $A: [0-9]+ (second|minute)\\(s\\) left, not renewed by the timer"
grep -Eq '^    [0-9-]{10} [0-9:]{5} \[=+\*=*\] [0-9-]{10} [0-9:]{5}$' <<<"$OUT" ||
	fail "no timeline bar in: $OUT"

alerts_for() { # NAME: how many expiry warnings NAME had
	grep -c "^expiry-warning $1 " "$T/alerts" 2>/dev/null || true
}
has() { # NAME N
	(($(alerts_for "$1") >= $2))
}
wait_until 60 "the first warning for $A" has "$A" 1
wait_until 10 "the first warning for $B" has "$B" 1
assert_match "$(grep "^expiry-warning $A " "$T/alerts" | head -n 1)" "^expiry-warning $A $q [0-9]+$"
assert_match "$(grep "^expiry-warning $B " "$T/alerts" | head -n 1)" "^expiry-warning $B $q [0-9]+$"
left=$(grep "^expiry-warning $A " "$T/alerts" | head -n 1 | cut -d' ' -f4)
((left <= q && left > e)) || fail "the first warning came at $left s left, not within ($e, $q]"
# STATUS= names the first to expire.
wait_until 10 "STATUS= with the expiring certificate" \
	grep -Eq "^STATUS=2 certificates, $A expires [0-9-]+ [0-9:]+ UTC \\(and 1 more\\)" "$NLOG"

wait_until 60 "the second warning for $A" has "$A" 2
wait_until 10 "the second warning for $B" has "$B" 2
assert_match "$(grep "^expiry-warning $A " "$T/alerts" | sed -n 2p)" "^expiry-warning $A $e [0-9]+$"
wait_until 10 "status --check CRITICAL" check_is 2
assert_exit 0 acmectl status
assert_match "$OUT" "Past their renewal time: 2
  $A: critical, expires [0-9-]+ [0-9:]+"
assert_match "$(cat "$T/check.out")" "^ACMED CRITICAL - 2 certificate\\(s\\); past the last warning: .*$A expires"

# Expired: still CRITICAL, no third alert.
after() { # T: the clock is past T
	(($(date +%s) > $1))
}
wait_until 30 "expiry" after "$na_b"
assert_exit 0 acmectl certificates --timeline
assert_match "$OUT" "  $A: EXPIRED on [0-9-]+ [0-9:]+"
wait_until 10 "status --check CRITICAL for expired certificates" check_is 2
assert_match "$(cat "$T/check.out")" "$A expired .*$B expired"
wait_until 10 "STATUS= with the expired certificate" \
	grep -Eq "^STATUS=2 certificates, $A expired [0-9-]+ [0-9:]+ UTC \\(and 1 more\\)" "$NLOG"

# A restart does not announce them again: the first pass is over once the
# timer has nothing left to wake up for.
stop_acmed
start_acmed # (a new $T/acmed.log)
wait_until 20 "the first pass after the restart" grep -q 'nothing to wake up for' "$T/acmed.log"
assert_eq "$(alerts_for "$A")" 2 "expiry warnings for $A"
assert_eq "$(alerts_for "$B")" 2 "expiry warnings for $B"
assert_eq "$(grep -vc '^expiry-warning ' "$T/alerts")" 0 "other alerts"
[[ -s $T/state/archive/$A/.alerts ]] || fail "no archive/$A/.alerts"
# Nothing was renewed.
assert_eq "$(live_version "$A")" 1 "$A's version"
stop_acmed
pass
