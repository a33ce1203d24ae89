#!/bin/bash
# Every wait has an end, and every limit holds end to end:
#   - a CA that stalls: the job is stopped at job_timeout, reported with
#     its last step, its failure recorded, no worker left behind;
#   - a client waiting longer than its --timeout on a job that is busy but
#     alive hears acmed's keepalives and gets its answer;
#   - a request with a NUL byte in a string is refused (it would be cut
#     short where C reads it), and nothing is ordered;
#   - acmectl itself (timeouts, frames too large, FIFOs) is in ctl-limits.sh.
source "$(dirname "$0")/lib.sh"
require_cmd pgrep

start_pebble
start_ca_proxy
echo 'job_timeout = "10s";' >"$T/acmed.conf"
start_acmed
N=limits.$TEST_DOMAIN
assert_exit 0 "$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" -d "$N" \
	--agree-tos -m admin@example.org -n
orders() { proxy_requests '(.path | test("^/order-plz")) and .status == 201' | wc -l; }

say "a CA that stalls: the job is stopped at job_timeout"
v0=$(live_version "$N") f0=$(cert_json "$N" failures)
proxy_config '{"faults": [{"path": "^/order-plz", "delay": 40}]}'
t0=$(date +%s)
assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
took=$(($(date +%s) - t0))
((took >= 9 && took < 30)) || fail "the job ended after ${took}s, not at its 10s deadline"
assert_match "$OUT" "job [0-9]+ was stopped: it took longer than 10s \\(job_timeout\\); its last step: "
proxy_config '{}'
assert_eq "$(live_version "$N")" "$v0" "live/ after a stopped job"
assert_eq "$(cert_json "$N" failures)" "$((f0 + 1))" "failure recorded"
assert_contains "$T/acmed.log" "job [0-9]+ took longer than 10s \\(job_timeout\\): stopping its worker"
wait_until 5 "the stopped job's processes gone" bash -c "! pgrep -P $ACMED_PID"
assert_exit 0 "$ACMECTL" status

say "keepalives: acmectl --timeout 17 waits through a 20 s step"
echo 'job_timeout = "2m";' >"$T/acmed.conf"
assert_exit 0 "$ACMECTL" reload
proxy_config '{"faults": [{"path": "^/order-plz", "delay": 20, "times": 1}]}'
rm -f "$T/state/archive/$N/.pending"
assert_exit 0 "$ACMECTL" --timeout 17 renew --cert-name "$N" --force-renewal
assert_eq "$(live_version "$N")" "$((v0 + 1))" "renewed through a slow CA"
proxy_config '{}'

say "a NUL byte in a request"
o0=$(orders)
"$PYTHON" - "$ACMED_SOCKET" >"$T/nul.json" <<'EOF'
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
req = {"v": 1, "cmd": "certonly",
       "args": {"domains": ["nul.acmed.test\u0000.evil.example"], "authenticator": "standalone",
                "agree_tos": True, "register_unsafely_without_email": True}}
body = json.dumps(req).encode()
s.sendall(struct.pack(">I", len(body)) + body)
buf = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
while buf:
    n = struct.unpack(">I", buf[:4])[0]
    frame = json.loads(buf[4:4 + n])
    buf = buf[4 + n:]
    if "event" not in frame:
        print(json.dumps(frame))
EOF
assert_eq "$(jq -r '.error.code' "$T/nul.json")" usage "the NUL request's error code"
assert_match "$(jq -r '.error.message' "$T/nul.json")" "a string in the request holds a NUL byte"
assert_eq "$(orders)" "$o0" "orders after the NUL request"
[[ ! -e $T/state/renewal/nul.$TEST_DOMAIN.conf ]] || fail "a lineage was made"
pass
