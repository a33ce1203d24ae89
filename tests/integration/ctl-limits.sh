#!/bin/bash
# acmectl's limits: --timeout against a stopped acmed and against fake
# daemons that stall, trickle or keep a long job alive; nothing the daemon
# sends can drive the terminal; a request too large for a frame, a file
# that is not a regular file and a bad e-mail address are usage errors
# found before the daemon is asked.
source "$(dirname "$0")/lib.sh"

start_pebble
start_acmed
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")

now_us() { echo "${EPOCHREALTIME//[.,]/}"; }

# timed EXPECTED MIN_MS MAX_MS CMD...: like assert_exit, and the command
# must take between MIN_MS and MAX_MS.
timed() {
	local want=$1 min=$2 max=$3 t0 ms
	shift 3
	t0=$(now_us)
	assert_exit "$want" "$@"
	ms=$((($(now_us) - t0) / 1000))
	((ms >= min && ms <= max)) || fail "'$*' took $ms ms, expected $min to $max"
}

# daemon_asked WHAT: acmed logged a WHAT request ("certonly from uid ...").
daemon_asked() { grep -q "$1 from uid" "$T/acmed.log"; }

# ---- --timeout against the real acmed, stopped

assert_exit 2 acmectl --timeout abc status
assert_match "$OUT" "--timeout 'abc': must be a number of seconds"
assert_exit 2 acmectl --timeout -1 status

kill -STOP "$ACMED_PID"
t0=$(now_us)
rc=0
OUT=$(acmectl --timeout 2 status 2>&1) || rc=$?
ms=$((($(now_us) - t0) / 1000))
rc_json=0
acmectl --json --timeout 1 status >"$T/stopped.json" 2>/dev/null || rc_json=$?
kill -CONT "$ACMED_PID"
assert_eq "$rc" 3 "exit status of status against a stopped acmed"
((ms >= 2000 && ms <= 6000)) || fail "gave up after $ms ms, expected 2 to 6 s"
assert_match "$OUT" "^acmectl: no answer from acmed at $ACMED_SOCKET for 2 seconds \(is it stopped or overloaded\? --timeout sets the limit\)$"
assert_eq "$rc_json" 3 "exit status of --json status against a stopped acmed"
assert_eq "$(jq -r '[.schema, .error.code, (.status < 0)] | join(" ")' "$T/stopped.json")" \
	"1 timeout true" "the JSON error of a timeout"
# Running again, it answers (and the stale connections did not harm it).
assert_exit 0 acmectl --timeout 2 status
assert_match "$OUT" "^acmed "

# ---- fake daemons

cat >"$T/fake-acmed.py" <<'EOF'
# fake-acmed.py SOCKET MODE: answer each request on SOCKET as MODE says.
import json, os, socket, struct, sys, threading, time

path, mode = sys.argv[1], sys.argv[2]
EVIL = "red \u001b[31mRED\u001b[0m title \u001b]0;title\u0007 del \u007f csi \u009b2J"

def frame(obj=None, raw=None):
    body = raw if raw is not None else json.dumps(obj).encode()
    return struct.pack(">I", len(body)) + body

def recv_exactly(c, n):
    data = b""
    while len(data) < n:
        b = c.recv(n - len(data))
        if not b:
            raise OSError("closed")
        data += b
    return data

def status_data(**extra):
    d = {"version": "fake", "pid": os.getpid(), "uptime": 1, "state_dir": "/fake",
         "server": "https://ca.test/dir", "certificates": 0, "jobs_running": 0,
         "jobs_queued": 0, "hooks_pending": 0}
    d.update(extra)
    return d

def serve(c):
    req = json.loads(recv_exactly(c, struct.unpack(">I", recv_exactly(c, 4))[0]))
    cmd = req.get("cmd")
    if mode == "half":  # a reply half sent, then silence
        c.sendall(struct.pack(">I", 100) + b'{"status": 0, "data"')
        time.sleep(60)
    elif mode == "trickle":  # a byte every 0.5 s: never a whole frame in time
        for b in frame({"status": 0, "data": status_data(pad="x" * 100)}):
            c.sendall(bytes([b]))
            time.sleep(0.5)
    elif mode == "keepalive":  # a long job: keepalives only, then the answer
        end = time.monotonic() + 3
        while time.monotonic() < end:
            c.sendall(frame({"event": "keepalive"}))
            time.sleep(0.5)
        c.sendall(frame({"event": "progress", "name": "x"}))  # no message either
        c.sendall(frame({"status": 0, "data": status_data()}))
    elif mode == "evil":  # control sequences in everything
        c.sendall(frame({"event": "progress", "name": "n " + EVIL, "message": "step " + EVIL}))
        # raw bytes, which json-c takes as they are: a lone C1 byte, invalid UTF-8
        c.sendall(frame(raw=b'{"event": "progress", "message": "raw \x9b\xff\xc2 end"}'))
        if cmd == "status":
            c.sendall(frame({"status": 0, "data": status_data(
                state_dir="/st " + EVIL, server=EVIL,
                jobs=[{"id": 1, "kind": EVIL, "name": EVIL, "state": EVIL, "step": EVIL}],
                failing=[{"name": EVIL, "failures": 1, "last_error": EVIL,
                          "next_attempt": "2030-01-01T00:00:00Z"}])}))
        elif cmd == "certificates":
            # 42.5 minutes left: "VALID: 42 minute(s)"
            na = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 42 * 60 + 30))
            c.sendall(frame({"status": 0, "data": {"certificates": [{
                "name": "soon " + EVIL, "serial": "0a", "key_type": EVIL,
                "domains": ["a.test", EVIL], "not_after": na, "fullchain_path": EVIL,
                "privkey_path": EVIL, "last_error": EVIL, "problem": EVIL}]}}))
        else:
            c.sendall(frame({"status": -1000, "error": {"code": "ca-problem",
                                                         "message": "failed: " + EVIL}}))

s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(16)
while True:
    c, _ = s.accept()
    def run(c=c):
        try:
            serve(c)
        except OSError:
            pass
        finally:
            c.close()
    threading.Thread(target=run, daemon=True).start()
EOF

# fake MODE: start a fake daemon at $T/MODE.sock.
fake() {
	spawn "fake-$1" "$T/fake-$1.log" "$PYTHON" "$T/fake-acmed.py" "$T/$1.sock" "$1"
	wait_for "fake daemon ($1)" "$SPAWNED_PID" test -S "$T/$1.sock"
}
for mode in half trickle keepalive evil; do
	fake "$mode"
done
fakectl() { # MODE ARGS...: acmectl talking to the fake daemon MODE
	local mode=$1
	shift
	command "$ACMECTL" --socket "$T/$mode.sock" "$@"
}

# Half a frame, then silence: the timeout, not a hang.
timed 3 1900 6000 fakectl half --timeout 2 status
assert_match "$OUT" "no answer from acmed at $T/half.sock for 2 seconds"
# One byte every 0.5 s: the wait is for a whole frame, not for any byte.
timed 3 1900 6000 fakectl trickle --timeout 2 status
assert_match "$OUT" "no answer from acmed at $T/trickle.sock for 2 seconds"
# Keepalives every 0.5 s for 3 s with --timeout 1: waits them out, prints
# nothing for them, and shows the answer.
t0=$(now_us)
fakectl keepalive --timeout 1 status >"$T/ka.out" 2>"$T/ka.err" ||
	fail "status through keepalives failed: $(cat "$T/ka.err")"
ms=$((($(now_us) - t0) / 1000))
((ms >= 2900)) || fail "the answer came after $ms ms: the keepalives were not waited for"
assert_contains "$T/ka.out" "^acmed fake \(pid [0-9]+\)"
[[ ! -s $T/ka.err ]] || fail "keepalives printed something: $(cat "$T/ka.err")"

# check_safe FILE: FILE is UTF-8 without C0 (but tab and newline), DEL or C1
# controls.
check_safe() {
	"$PYTHON" - "$1" <<-'EOF' || fail "$1 is not safe for a terminal (see above)"
	import re, sys
	data = open(sys.argv[1], "rb").read()
	if re.search(rb"[\x1b\x07\x7f]|\xc2[\x80-\x9f]", data):
	    sys.exit("%s: raw control bytes: %r" % (sys.argv[1], data))
	text = data.decode("utf-8")  # invalid UTF-8 raises
	bad = [c for c in text if (ord(c) < 0x20 and c not in "\t\n") or 0x7f <= ord(c) <= 0x9f]
	if bad:
	    sys.exit("%s: control characters %r in %r" % (sys.argv[1], bad, text))
	EOF
}
# safe_run NAME EXIT ARGS...: fakectl evil ARGS, stdout and stderr apart,
# exit status EXIT; both safe, and something was printed and escaped.
safe_run() {
	local name=$1 want=$2 rc=0
	shift 2
	fakectl evil "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	assert_eq "$rc" "$want" "exit status of acmectl $*"
	check_safe "$T/$name.out"
	check_safe "$T/$name.err"
	assert_contains "$T/$name.err" 'step red \\x1b\[31mRED\\x1b\[0m title \\x1b\]0;title\\x07 del \\x7f csi \\xc2\\x9b2J$'
	assert_contains "$T/$name.err" '^raw \\x9b\\xff\\xc2 end$'
}
safe_run check-text 1 check
assert_contains "$T/check-text.err" '^acmectl: error: failed: red \\x1b\[31mRED'
safe_run status-text 0 status
assert_contains "$T/status-text.out" '^State directory: /st red \\x1b\[31mRED'
assert_contains "$T/status-text.out" '^  job 1, red \\x1b'
safe_run certs-text 0 certificates
assert_contains "$T/certs-text.out" '^  Certificate Name: soon red \\x1b\[31mRED'
assert_contains "$T/certs-text.out" '^    Domains: a.test red \\x1b\[31mRED'
assert_contains "$T/certs-text.out" '\(VALID: 42 minute\(s\)\)$'
safe_run renew-text 1 renew
assert_contains "$T/renew-text.err" '^n red \\x1b\[31mRED.*: step red'
# --json: the same strings, escaped as JSON (DEL and C1 too), meaning the same.
safe_run check-json 1 --json check
safe_run status-json 0 --json status
safe_run certs-json 0 --json certificates
"$PYTHON" - "$T" <<'EOF' || fail "the JSON output does not carry the daemon's strings"
import json, sys
t = sys.argv[1]
EVIL = "red \u001b[31mRED\u001b[0m title \u001b]0;title\u0007 del \u007f csi \u009b2J"
err = json.load(open(t + "/check-json.out"))["error"]
assert err["message"] == "failed: " + EVIL, err
status = json.load(open(t + "/status-json.out"))
assert status["state_dir"] == "/st " + EVIL and status["jobs"][0]["step"] == EVIL, status
cert = json.load(open(t + "/certs-json.out"))["certificates"][0]
assert cert["domains"] == ["a.test", EVIL], cert
text = open(t + "/certs-json.out").read()
assert "\\u007f" in text and "\\u009b" in text and "\\u001b" in text, text
EOF

# ---- requests too large for a frame: usage errors; acmed is not asked

# 2500 names, 110 kB, and a 70 kB hook, passed by these functions so that
# the test's log does not repeat them.
names=$("$PYTHON" -c 'print(",".join("n%04d-xxxxxxxxxxxxxxxxxxxxxxxxxxxx.acmed.test" % i for i in range(2500)))')
hook=$(head -c 70000 /dev/zero | tr '\0' x)
many_names() { "$@" certonly "${standalone[@]}" -d "$names" -n; }
long_hook() { "$@" "${standalone[@]}" -d "a.$TEST_DOMAIN" --deploy-hook "$hook" -n; }
two_hooks() { "$@" renew --pre-hook "${hook:0:30000}" --deploy-hook "${hook:0:40000}"; }
assert_exit 2 many_names acmectl
assert_match "$OUT" "^acmectl: the request is too large for acmed \([0-9]+ bytes, at most 65536\): -d: 2500 names, [0-9]+ bytes in all$"
assert_exit 2 long_hook acmectl certonly
assert_match "$OUT" "^acmectl: the request is too large for acmed \([0-9]+ bytes, at most 65536\): --deploy-hook is 70000 bytes$"
# Two options make it too large: the larger one is named.
assert_exit 2 two_hooks acmectl
assert_match "$OUT" ": --deploy-hook is 40000 bytes$"
rc=0
many_names acmectl --json >"$T/big.json" 2>/dev/null || rc=$?
assert_eq "$rc" 2 "exit status of a too large request with --json"
assert_eq "$(jq -r '[.error.code, (.error.message | test("-d: 2500 names"))] | join(" ")' \
	"$T/big.json")" "usage true" "the JSON error of a too large request"
# Not even a connection: with no socket at all, still a usage error.
assert_exit 2 many_names "$ACMECTL" --socket "$T/nowhere.sock"
! daemon_asked certonly || fail "acmed was asked for a certificate"
! daemon_asked renew || fail "acmed was asked to renew"

# ---- files that are not regular files

mkfifo "$T/fifo"
assert_exit 2 timeout 10 "$ACMECTL" --socket "$ACMED_SOCKET" certonly "${standalone[@]}" \
	--csr /dev/zero -n
assert_match "$OUT" "^acmectl: --csr /dev/zero: not a regular file$"
assert_exit 2 timeout 10 "$ACMECTL" --socket "$ACMED_SOCKET" certonly "${standalone[@]}" \
	--csr "$T/fifo" -n
assert_match "$OUT" "^acmectl: --csr $T/fifo: not a regular file$"
assert_exit 2 timeout 10 "$ACMECTL" --socket "$ACMED_SOCKET" revoke --cert-path "$T/fifo"
assert_match "$OUT" "^acmectl: --cert-path $T/fifo: not a regular file$"
assert_exit 2 timeout 10 "$ACMECTL" --socket "$ACMED_SOCKET" revoke --cert-name x \
	--key-path "$T/fifo"
assert_match "$OUT" "^acmectl: --key-path $T/fifo: not a regular file$"
truncate -s 2M "$T/huge.pem"
assert_exit 2 acmectl revoke --cert-path "$T/huge.pem"
assert_match "$OUT" "^acmectl: --cert-path $T/huge.pem: too large"

# ---- e-mail addresses with control characters or spaces

assert_exit 2 acmectl certonly "${standalone[@]}" -d "a.$TEST_DOMAIN" -m $'a\x1b@x.org' -n
assert_match "$OUT" "^acmectl: --email 'a\\\\x1b@x.org': not an e-mail address \\(no spaces, separators or control characters\\)$"
assert_exit 2 acmectl certonly "${standalone[@]}" -d "a.$TEST_DOMAIN" --email 'a b@x.org' -n
assert_exit 2 acmectl account register --agree-tos -m $'a\n@x.org'
assert_exit 2 acmectl account update --email $'a\xc2\x9b@x.org'
! daemon_asked certonly || fail "acmed was asked for a certificate"
! daemon_asked revoke || fail "acmed was asked to revoke"
! daemon_asked account || fail "acmed was asked about the account"
pass
