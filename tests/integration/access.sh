#!/bin/bash
# Who may use the control socket, with real users and groups made here
# (removed at exit):
#   - a member of the read group `acmed` lists, checks and asks for status,
#     but cannot renew, revoke or delete: refused, nothing changed;
#   - a user in no group gets nothing: the socket (0660, group acmed) does
#     not let it connect, and on a socket opened to all the daemon refuses
#     it before reading its request;
#   - a member of admin_group (and of acmed, for the socket) may renew;
#     root may do everything;
# and clients that misbehave are refused without disturbing a renewal in
# progress: an oversized frame, a frame half sent (client_timeout), and 200
# connections at once (max_clients 64).
source "$(dirname "$0")/lib.sh"

((EUID == 0)) || skip "needs root to make users and groups"
require_cmd useradd
require_cmd runuser

# The read group is acmed's default, `acmed`; made here if the machine has
# none. The users and the admin group are this test's own.
if ! getent group acmed >/dev/null; then
	groupadd --system acmed
	at_exit "groupdel acmed"
fi
admin=acmedt-adm$$
reader=acmedt-r$$
other=acmedt-o$$
opsuser=acmedt-a$$
groupadd --system "$admin"
at_exit "groupdel $admin"
# An administrator needs the socket too: in the read group as well.
for u in "$reader:acmed" "$other:" "$opsuser:acmed,$admin"; do
	name=${u%%:*} groups=${u#*:}
	useradd --system --no-create-home --shell /usr/sbin/nologin --gid nogroup \
		${groups:+--groups "$groups"} "$name"
	at_exit "userdel $name"
done

start_pebble
cat >"$T/acmed.conf" <<EOF
admin_group = "$admin";
client_timeout = 2;
max_clients = 64;
EOF
start_acmed
chmod 0711 "$T" # let the users reach the socket; the socket decides
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
A=a.$TEST_DOMAIN
B=b.$TEST_DOMAIN
as() { # USER ARGS...: acmectl as USER
	local u=$1
	shift
	runuser -u "$u" -- "$ACMECTL" --socket "$ACMED_SOCKET" "$@"
}
snapshot() {
	(cd "$T/state" && find archive live renewal -printf '%p %l %s %m\n' | sort)
}

assert_eq "$(stat -c '%a %G' "$ACMED_SOCKET")" "660 acmed" "socket mode and group"
assert_exit 0 acmectl certonly "${standalone[@]}" -d "$A" --agree-tos \
	--register-unsafely-without-email
assert_exit 0 acmectl certonly "${standalone[@]}" -d "$B"
before=$(snapshot)

# 1. The read group: reading yes, changing no.
assert_exit 0 as "$reader" certificates
assert_match "$OUT" "Certificate Name: $A"
assert_exit 0 as "$reader" status
assert_exit 0 as "$reader" check
for cmd in "renew --force-renewal --cert-name $A" "revoke --cert-name $A" \
	"delete --cert-name $A -n" "reload"; do
	# shellcheck disable=SC2086 # the words are the command's
	assert_exit 1 as "$reader" $cmd
	assert_match "$OUT" "permission denied: ${cmd%% *} changes state and needs root or a member of group $admin \\(admin_group in acmed.conf\\); ask an administrator to add you \\(usermod -aG $admin USER"
done
assert_eq "$(snapshot)" "$before" "state after the read group's attempts"

# 2. In no group: the socket's mode keeps it out; opened to all, the
#    daemon still refuses it, before reading a byte of its request.
assert_exit 3 as "$other" certificates
assert_match "$OUT" "cannot reach acmed at $ACMED_SOCKET: permission denied: the socket is for root and the members of group acmed; ask an administrator to add you \\(usermod -aG acmed USER"
[[ $OUT != *"is acmed running"* ]] || fail "EACCES taken for a daemon that is not running: $OUT"
rc=0
runuser -u "$other" -- "$ACMECTL" --socket "$ACMED_SOCKET" --json certificates >"$T/eacces.json" \
	2>/dev/null || rc=$?
assert_eq "$rc/$(jq -r .error.code "$T/eacces.json")" 3/permission "--json: EACCES"
chmod 0666 "$ACMED_SOCKET"
assert_exit 1 as "$other" certificates
assert_match "$OUT" "permission denied: acmed answers root and the members of group acmed only"
assert_exit 1 as "$other" renew --force-renewal
chmod 0660 "$ACMED_SOCKET"
grep -q "refused a control client: uid $(id -u "$other")" "$T/acmed.log" ||
	fail "the refusal of uid $(id -u "$other") is not logged"

# 3. The admin group may renew; root may do everything.
assert_exit 0 as "$opsuser" renew --force-renewal --cert-name "$A"
assert_eq "$(live_version "$A")" 2 "renewed by the admin group"
# Without an admin_group, a member of the read group is told how to get one.
cp "$T/acmed.conf" "$T/acmed.conf.with-admin"
grep -v admin_group "$T/acmed.conf.with-admin" >"$T/acmed.conf"
assert_exit 0 acmectl reload
assert_exit 1 as "$reader" renew --force-renewal --cert-name "$A"
assert_match "$OUT" "permission denied: renew changes state and needs root; use sudo, or have an administrator set admin_group in acmed.conf to a group of yours and reload acmed"
cp "$T/acmed.conf.with-admin" "$T/acmed.conf"
assert_exit 0 acmectl reload
assert_exit 0 acmectl revoke --cert-name "$B" --reason superseded --delete-after-revoke -n
[[ ! -e $T/state/live/$B ]] || fail "root's delete-after-revoke left live/$B"

# 4. Misbehaving clients. A frame over 64 KiB: refused with a reason.
# shellcheck disable=SC2016 # python, not shell
frame_test='
import socket, struct, sys, time
mode, path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(path)
t0 = time.monotonic()
if mode == "oversized":
    s.sendall(struct.pack(">I", 65537) + b"{" * 1000)
else:  # half: two bytes of a header, then silence
    s.sendall(b"\0\0")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print("%.1f %s" % (time.monotonic() - t0, data[4:].decode()))
'
out=$("$PYTHON" -c "$frame_test" oversized "$ACMED_SOCKET")
assert_match "$out" '"request larger than 65536 bytes"'
# Half a frame: dropped after client_timeout (2 s), not before.
out=$("$PYTHON" -c "$frame_test" half "$ACMED_SOCKET")
secs=${out%% *}
[[ ${secs%.*} -ge 1 && ${secs%.*} -le 6 ]] || fail "a half-sent frame was dropped after ${secs} s"
grep -q "sent no whole request within 2 s; dropping it" "$T/acmed.log" ||
	fail "the dropped client is not logged"

# 200 connections at once, while a renewal runs (its pre hook keeps it
# running for 3 s): 64 slots at most; the rest are told so at once, those
# let in are dropped when their time is up, and the renewal completes.
acmectl renew --force-renewal --cert-name "$A" --pre-hook "sleep 3" >"$T/renew.out" 2>&1 &
renew_pid=$!
pre_hook_runs() { grep -q "running sleep 3" "$T/acmed.log"; }
wait_until 10 "the renewal to start" pre_hook_runs
"$PYTHON" - "$ACMED_SOCKET" >"$T/flood.out" <<'EOF'
import json, selectors, socket, sys, time
path = sys.argv[1]
sel = selectors.DefaultSelector()
for _ in range(200):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    try:
        s.sendall(b"\0\0")  # half a header: the daemon must wait, then drop it
    except OSError:
        pass  # refused already; its reason is still to be read, as acmectl does
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, [b""])
t0 = time.monotonic()
busy = dropped = reset = 0
while sel.get_map() and time.monotonic() - t0 < 15:
    for key, _ in sel.select(timeout=1):
        s, st = key.fileobj, key.data
        try:
            chunk = s.recv(4096)
        except ConnectionResetError:
            chunk, reset = None, reset + 1
        if chunk:
            st[0] += chunk
            continue
        sel.unregister(s)
        reply = st[0][4:]
        if chunk is None:
            pass
        elif reply and json.loads(reply)["error"]["code"] == "busy":
            busy += 1
        elif not reply and time.monotonic() - t0 >= 1.5:
            dropped += 1
print(busy, dropped, reset, len(sel.get_map()))
EOF
read -r busy dropped reset open <"$T/flood.out"
say "200 connections: $busy told acmed is busy, $dropped dropped after client_timeout," \
	"$reset reset while refused, $open left open"
assert_eq "$open" 0 "connections the daemon left open"
# Refused at once: told why, or (a client whose bytes crossed the daemon's
# close) reset; either way not let in.
((busy + reset >= 200 - 64)) || fail "only $((busy + reset)) connections were refused at once"
((busy > reset)) || fail "most refused clients should read why ($busy busy, $reset reset)"
assert_eq "$((busy + dropped + reset))" 200 "every connection refused or dropped"
wait "$renew_pid" || fail "the renewal under the flood failed: $(cat "$T/renew.out")"
assert_eq "$(live_version "$A")" 3 "the renewal under the flood completed"
assert_exit 0 acmectl status
grep -q "more than 64 control clients at once; refusing more" "$T/acmed.log" ||
	fail "the refusals are not logged"
pass
