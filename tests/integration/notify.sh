#!/bin/bash
# acmed's sd_notify(3) messages, as systemd would receive them for
# Type=notify, read from a NOTIFY_SOCKET of our own: READY=1 only once the
# control socket accepts connections, STATUS= with the certificates, while a
# job runs, and naming a lineage whose renewal failed and why, RELOADING=1 then READY=1 around a reload (SIGHUP,
# acmectl reload, a refused reload), WATCHDOG=1 at half WATCHDOG_USEC (and
# none when WATCHDOG_PID names another process), STOPPING=1 on SIGTERM.
# Every message must come from acmed's main process: the unit has
# NotifyAccess=main, and systemd drops messages from any other.
source "$(dirname "$0")/lib.sh"

start_pebble
start_ca_proxy # to make a renewal fail

# The listener: one line per notification field, "SEQ SECONDS pid=PID
# FIELD", SECONDS on the monotonic clock, PID the sender's (SCM_CREDENTIALS).
# On READY=1 it connects to the control socket at once and adds "CONNECT ok"
# or "CONNECT failed: WHY": a READY=1 sent before acmed listens shows up.
NLOG=$T/notify.log
: >"$NLOG"
cat >"$T/notify-listener.py" <<'EOF'
import socket, struct, sys, time

path, log, control = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
out = open(log, "a", buffering=1)
seq = 0

def record(pid, text):
    global seq
    seq += 1
    out.write("%d %.6f pid=%d %s\n" % (seq, time.monotonic(), pid, text))

while True:
    msg, ancillary, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = 0
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
    for line in msg.decode(errors="replace").split("\n"):
        if not line:
            continue
        record(pid, line)
        if line == "READY=1":
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                c.connect(control)
                result = "ok"
            except OSError as e:
                result = "failed: %s" % e.strerror
            finally:
                c.close()
            record(0, "CONNECT " + result)
EOF
export NOTIFY_SOCKET=$T/notify.sock
spawn notify-listener "$T/notify-listener.log" "$PYTHON" "$T/notify-listener.py" \
	"$NOTIFY_SOCKET" "$NLOG" "$T/acmed.sock"
_LOGS+=("$NLOG")
wait_for notify-listener "$SPAWNED_PID" test -S "$NOTIFY_SOCKET"

# fields_since N: the fields received after line N of the log, one a line
# ("READY=1", "CONNECT ok", ...).
fields_since() {
	awk -v n="$1" '$1 > n { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' "$NLOG"
}
# lines: how many lines the log has.
lines() {
	wc -l <"$NLOG"
}
# expect_since N REGEX...: the fields after line N include lines matching
# each REGEX, in this order (others may come between).
expect_since() {
	local n=$1 got
	shift
	got=$(fields_since "$n")
	"$PYTHON" - "$got" "$@" <<-'EOF' || fail "notifications out of order (see $NLOG)"
		import re, sys
		lines, want = sys.argv[1].splitlines(), sys.argv[2:]
		i = 0
		for line in lines:
		    if i < len(want) and re.fullmatch(want[i], line):
		        i += 1
		if i < len(want):
		    print("expected /%s/ (after %s) in:\n  %s" % (want[i], want[:i], "\n  ".join(lines)),
		          file=sys.stderr)
		    sys.exit(1)
	EOF
}
# have_since N REGEX: some field after line N matches REGEX (for wait_until).
have_since() {
	fields_since "$1" | grep -Eqx -- "$2"
}

# acmed as systemd starts it for Type=notify with WatchdogSec=2s: the
# watchdog variables name its own pid (exec keeps the wrapper's $$).
cat >"$T/acmed-wd" <<EOF
#!/bin/sh
WATCHDOG_PID=\$\$ WATCHDOG_USEC=\${TEST_WATCHDOG_USEC:-2000000} exec "$ACMED" "\$@"
EOF
chmod +x "$T/acmed-wd"
real_acmed=$ACMED
ACMED=$T/acmed-wd
start_acmed
ACMED=$real_acmed
# environ VAR: VAR's value in acmed's environment.
environ() {
	tr '\0' '\n' <"/proc/$ACMED_PID/environ" | sed -n "s/^$1=//p"
}
assert_eq "$(environ WATCHDOG_PID)/$(environ WATCHDOG_USEC)" "$ACMED_PID/2000000" "acmed's watchdog variables"

# ---------------------------------------------------------------- READY=1

wait_until 5 "READY=1" have_since 0 "READY=1"
expect_since 0 "STATUS=0 certificates, no renewal scheduled" "READY=1" "CONNECT ok"
assert_contains "$T/acmed.log" "watchdog: pinging every 1000 ms"

# ---------------------------------------------------------------- STATUS=

D=www.$TEST_DOMAIN
n=$(lines)
assert_exit 0 acmectl certonly --standalone --http-01-address 127.0.0.1 \
	--http-01-port "$HTTP01_PORT" -d "$D" --agree-tos --register-unsafely-without-email -n
wait_until 5 "STATUS= with the new certificate" \
	have_since "$n" "STATUS=1 certificate, next renewal $D at [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC"
expect_since "$n" "STATUS=renewing 1 of 1: $D" "STATUS=1 certificate, next renewal $D at .* UTC"

# A failed renewal: STATUS= names the lineage and the reason until one
# succeeds.
proxy_config '{"down": true}'
n=$(lines)
assert_exit 1 acmectl renew --cert-name "$D" --force-renewal
failing="STATUS=1 certificate, 1 failing \\($D: loading the CA's directory failed: GET [^ ]*: [^)]*\\), next renewal $D at .* UTC"
wait_until 5 "STATUS= with the failing lineage" have_since "$n" "$failing"
expect_since "$n" "STATUS=renewing 1 of 1: $D" "$failing"
proxy_config '{}'
n=$(lines)
assert_exit 0 acmectl renew --cert-name "$D" --force-renewal
wait_until 5 "STATUS= without the failure" \
	have_since "$n" "STATUS=1 certificate, next renewal $D at .* UTC"

# ---------------------------------------------------------------- reloads

n=$(lines)
kill -HUP "$ACMED_PID"
wait_until 5 "READY=1 after SIGHUP" have_since "$n" "READY=1"
expect_since "$n" "RELOADING=1" "READY=1" "CONNECT ok"
assert_contains "$T/acmed.log" "reloaded acmed.conf and 1 renewal files"

n=$(lines)
assert_exit 0 acmectl reload
wait_until 5 "READY=1 after acmectl reload" have_since "$n" "READY=1"
expect_since "$n" "RELOADING=1" "READY=1" "CONNECT ok"

# A refused reload ends with READY=1 too: acmed goes on with its old
# configuration, and systemd must not wait for a reload that never ends.
n=$(lines)
echo 'max_parallel_jobs = 1000;' >"$T/acmed.conf"
kill -HUP "$ACMED_PID"
wait_until 5 "READY=1 after a refused reload" have_since "$n" "READY=1"
expect_since "$n" "RELOADING=1" "READY=1" "CONNECT ok"
assert_contains "$T/acmed.log" "reload refused, the running configuration stays"
assert_exit 0 acmectl status

# ---------------------------------------------------------------- WATCHDOG=1

# At half of WATCHDOG_USEC (2 s): never as late as 2 s apart (systemd would
# kill acmed), nor much more often than every second.
pings_at_least() {
	(($(grep -c ' WATCHDOG=1$' "$NLOG") >= $1))
}
wait_until 10 "three WATCHDOG=1" pings_at_least 3
gaps=$(awk '$4 == "WATCHDOG=1" { if (t) printf "%.3f\n", $2 - t; t = $2 }' "$NLOG")
say "seconds between WATCHDOG=1: $(tr '\n' ' ' <<<"$gaps")"
awk '$1 < 0.5 || $1 >= 2.0 { bad = 1 } END { exit bad }' <<<"$gaps" ||
	fail "WATCHDOG=1 not every ~1 s with WATCHDOG_USEC=2000000"

# ---------------------------------------------------------------- STOPPING=1

n=$(lines)
stop_acmed
wait_until 5 "STOPPING=1" have_since "$n" "STOPPING=1"
expect_since "$n" "STOPPING=1" "STATUS=stopping"

# Every notification came from acmed's main process.
others=$(awk -v pid="$ACMED_PID" '$3 != "pid=" pid && $3 != "pid=0"' "$NLOG")
[[ -z $others ]] || fail "notifications from processes other than acmed ($ACMED_PID): $others"

# ---------------------------------------------------------------- not ours

# WATCHDOG_PID naming another process: the watchdog is someone else's
# (sd_watchdog_enabled), so no WATCHDOG=1 even at 0.2 s.
sed -i 's/WATCHDOG_PID=\$\$/WATCHDOG_PID=1/' "$T/acmed-wd"
rm "$T/acmed.conf"
n=$(lines)
ACMED=$T/acmed-wd TEST_WATCHDOG_USEC=200000 start_acmed
ACMED=$real_acmed
assert_eq "$(environ WATCHDOG_PID)/$(environ WATCHDOG_USEC)" "1/200000" "acmed's watchdog variables"
wait_until 5 "READY=1" have_since "$n" "READY=1"
sleep 1
! have_since "$n" "WATCHDOG=1" || fail "WATCHDOG=1 sent although WATCHDOG_PID is not acmed's"
! grep -q "watchdog: pinging" "$T/acmed.log" || fail "acmed enabled a watchdog that is not its own"
stop_acmed

pass
