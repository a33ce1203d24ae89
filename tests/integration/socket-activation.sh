#!/bin/bash
# acmed started as acmed.socket and acmed.service start it, as far as that
# can be done without systemd as PID 1: systemd-socket-activate listens on
# the control socket and executes acmed on the first connection with the
# socket as fd 3 (LISTEN_FDS), inside the unit's capability bounding set,
# no_new_privs and system call filter (SystemCallFilter= worked out from
# systemd/acmed.service.in, loaded with libseccomp).
#
# acmed uses the passed socket (it says so); acmectl works through it
# (status, certificates, a certificate issued from Pebble, whose worker
# confines itself with Landlock); a deploy hook runs inside the same limits
# and can still chgrp a key and talk to a Unix socket as systemctl does; the
# read group's members may read but not change anything; the socket's mode
# keeps everyone else out; when acmed stops it leaves the socket's path
# alone: it did not create it.
source "$(dirname "$0")/lib.sh"

require_cmd systemd-socket-activate systemd-analyze setpriv ss
"$PYTHON" -c 'import ctypes; ctypes.CDLL("libseccomp.so.2")' 2>/dev/null ||
	skip "libseccomp.so.2 is not installed"
start_pebble
UNIT=$REPO_DIR/systemd/acmed.service.in

# The socket in a directory of its own, as /run/acmed/acmed.sock; $T must
# be traversable for the unprivileged clients below (what is secret in it,
# archive/ and accounts/, is 0700).
SOCK=$T/run/acmed.sock
mkdir -m 0755 "$T/run"
chmod 0711 "$T"
# The group of uid 65534 plays group acmed (nogroup on Debian).
read_group=$(getent group 65534 | cut -d: -f1)
[[ -n $read_group ]] || skip "no group with gid 65534"
echo "read_group = \"$read_group\";" >"$T/acmed.conf"
# acmectl where uid 65534 can run it.
cp "$ACMECTL" "$T/acmectl"
chmod 0755 "$T/acmectl"

# unit-seccomp.py UNIT CMD...: load UNIT's SystemCallFilter= (the first
# line an allow list starting with @default, then each line adding, or
# with ~ removing, its calls; groups expanded by systemd-analyze), calls
# outside it failing with SystemCallErrorNumber=, socket() only for the
# families of RestrictAddressFamilies=, native architecture only
# (libseccomp's default), and exec CMD. MemoryDenyWriteExecute= is
# approximated with PR_SET_MDWE where the kernel has it.
cat >"$T/unit-seccomp.py" <<'PY'
import ctypes, errno, functools, os, socket, subprocess, sys

unit, argv = sys.argv[1], sys.argv[2:]
settings = [l.split("=", 1) for l in open(unit).read().splitlines() if "=" in l]

@functools.lru_cache(maxsize=None)
def expand(name):
    if not name.startswith("@"):
        return frozenset([name])
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                         capture_output=True, text=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        line = line.strip()
        if line and not line.startswith("#"):
            calls |= expand(line)
    return frozenset(calls)

allowed = None
for key, value in settings:
    if key != "SystemCallFilter":
        continue
    invert = value.startswith("~")
    if allowed is None:
        if invert:
            sys.exit("unit-seccomp.py: the first SystemCallFilter= is not an allow list")
        allowed = set(expand("@default"))
    for word in value.lstrip("~").split():
        allowed = allowed - expand(word) if invert else allowed | expand(word)
if allowed is None:
    sys.exit("unit-seccomp.py: no SystemCallFilter= in " + unit)
err = dict(settings).get("SystemCallErrorNumber", "EPERM")

lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
lib.seccomp_init.restype = ctypes.c_void_p
lib.seccomp_init.argtypes = [ctypes.c_uint32]
lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
lib.seccomp_load.argtypes = [ctypes.c_void_p]
lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                       ctypes.c_uint, ctypes.c_void_p]
class ScmpArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]
SCMP_ACT_ALLOW = 0x7FFF0000
ctx = lib.seccomp_init(0x00050000 | getattr(errno, err))  # SCMP_ACT_ERRNO(err)
families = dict(settings).get("RestrictAddressFamilies", "").split()
for name in sorted(allowed):
    nr = lib.seccomp_syscall_resolve_name(name.encode())
    if nr < 0:
        continue  # not a system call of this architecture
    if name == "socket" and families:
        # RestrictAddressFamilies=: socket() for these families only.
        for family in families:
            cmp = ScmpArgCmp(0, 4, getattr(socket, family), 0)  # arg 0 SCMP_CMP_EQ
            if lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, ctypes.byref(cmp)) != 0:
                sys.exit("unit-seccomp.py: cannot allow socket(%s)" % family)
    elif lib.seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0:
        sys.exit("unit-seccomp.py: cannot allow " + name)
if dict(settings).get("MemoryDenyWriteExecute") == "yes":
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(65, 1, 0, 0, 0)  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
if lib.seccomp_load(ctx) != 0:
    sys.exit("unit-seccomp.py: seccomp_load failed")
os.execvp(argv[0], argv)
PY
# CapabilityBoundingSet=CAP_A CAP_B -> setpriv's -all,+a,+b.
bounding=-all
# shellcheck disable=SC2013 # one capability per word
for cap in $(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT"); do
	cap=${cap#CAP_}
	bounding+=,+${cap,,}
done
grep -qx 'NoNewPrivileges=yes' "$UNIT" || fail "the unit lost NoNewPrivileges=yes"

# A sanitizer build: LeakSanitizer needs ptrace, which the filter blocks
# (as it would under systemd); the other checks stay on.
pass_env=() # for systemd-socket-activate, which passes on little else
hook_env=""
if grep -q __asan_init "$ACMED"; then
	export ASAN_OPTIONS=detect_leaks=0
	pass_env=(-E ASAN_OPTIONS)
	hook_env="ASAN_OPTIONS=detect_leaks=0 "
fi

say "systemd-socket-activate listening on $SOCK, in acmed.service's limits ($bounding)"
spawn acmed "$T/acmed.log" setpriv --no-new-privs --bounding-set="$bounding" \
	"$PYTHON" "$T/unit-seccomp.py" "$UNIT" \
	systemd-socket-activate -l "$SOCK" "${pass_env[@]}" \
	"$ACMED" --foreground --log-level debug --config "$T/acmed.conf" \
	--state-dir "$T/state" --socket "$SOCK" --server "$PEBBLE_DIR_URL" \
	--ca-bundle "$PEBBLE_CA_BUNDLE"
ACMED_PID=$SPAWNED_PID
ACMED_SOCKET=$SOCK
export ACMED_PID ACMED_SOCKET
wait_for "systemd-socket-activate" "$ACMED_PID" test -S "$SOCK"
# Nothing has connected yet: acmed is not running, only the listener is.
assert_match "$(cat "/proc/$ACMED_PID/comm")" "^systemd-socket"
# What acmed.socket's SocketMode=0660 and SocketGroup= do.
chmod 0660 "$SOCK"
chgrp "$read_group" "$SOCK"

# The first connection starts acmed (in the same process: it is executed),
# and is answered once acmed has loaded its state.
assert_exit 0 acmectl status
assert_eq "$(cat "/proc/$ACMED_PID/comm")" acmed "the process after the first connection"
assert_contains "$T/acmed.log" "using the control socket systemd passed \(fd 3\)"
# acmed did not create a socket of its own: no lock file beside it, and the
# one listening socket is fd 3, the listener's.
[[ ! -e $SOCK.lock ]] || fail "acmed took $SOCK.lock: it set up a socket of its own"
assert_match "$(ss -xlnp 2>/dev/null | grep -F "$SOCK" || true)" "pid=$ACMED_PID,fd=3\)"
# The limits are in place.
status=$(grep -E '^(CapBnd|NoNewPrivs|Seccomp):' "/proc/$ACMED_PID/status" | tr -s '\t' ' ')
assert_match "$status" "NoNewPrivs: 1"
assert_match "$status" "Seccomp: 2"
# (444: landlock_create_ruleset on every architecture but alpha.)
if "$PYTHON" -c 'import ctypes, sys; sys.exit(ctypes.CDLL(None).syscall(444, None, 0, 1) < 1)'; then
	# The kernel has Landlock: the filter must let acmed use it.
	! grep -q "this kernel has no Landlock" "$T/acmed.log" ||
		fail "acmed found no Landlock under the unit's system call filter"
fi

# Status, certificates, and a certificate issued through the passed socket.
# The deploy hook records its limits, gives the key a group root is not in
# (CAP_CHOWN, @chown) the first time, as an administrator does for a
# server reading keys through a group, and talks to acmed over its Unix
# socket, as `systemctl reload nginx` talks to systemd over its socket.
assert_exit 0 acmectl certificates
assert_match "$OUT" "No certificates found"
D=www.$TEST_DOMAIN
key=\"\$RENEWED_LINEAGE/privkey.pem\" # expanded by the hook's shell
hook="grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status >$T/hook.status"
hook+=" && { [ -e $T/chgrp-done ] || { chgrp $read_group $key && chmod g+r $key && touch $T/chgrp-done; }; }"
hook+=" && $hook_env$T/acmectl --socket $SOCK status >$T/hook.acmectl"
assert_exit 0 acmectl certonly --standalone --http-01-address 127.0.0.1 \
	--http-01-port "$HTTP01_PORT" -d "$D" --agree-tos --register-unsafely-without-email -n \
	--deploy-hook "$hook"
assert_file "$T/state/live/$D/fullchain.pem"
assert_eq "$(stat -L -c '%a %G' "$T/state/live/$D/privkey.pem")" "640 $read_group" "the key, after the hook"
assert_eq "$(grep -E '^(CapBnd|NoNewPrivs|Seccomp):' "$T/hook.status" | tr -s '\t' ' ')" \
	"$status" "the hook's limits"
assert_contains "$T/hook.acmectl" "Certificates: 1"
assert_exit 0 acmectl certificates
assert_match "$OUT" "Certificate Name: $D"
# The next key gets the group (and group-read bit) of the one before: acmed
# itself needs CAP_CHOWN and chown calls for that, not only hooks.
assert_exit 0 acmectl renew --force-renewal --cert-name "$D"
assert_eq "$(live_version "$D")" 2 "the version after the renewal"
assert_eq "$(stat -L -c '%a %G' "$T/state/live/$D/privkey.pem")" "640 $read_group" \
	"mode and group of the renewed key"

# A member of the read group (uid and gid 65534) may read, not change.
as_reader=(setpriv --reuid=65534 --regid=65534 --clear-groups "$T/acmectl" --socket "$SOCK")
assert_exit 0 "${as_reader[@]}" status
assert_exit 0 "${as_reader[@]}" certificates
assert_match "$OUT" "Certificate Name: $D"
OUT=$("${as_reader[@]}" reload 2>&1) && fail "a reader could reload: $OUT"
assert_match "$OUT" "permission denied: reload changes state"
assert_contains "$T/acmed.log" "refused reload from uid 65534"
# Anyone else cannot even connect: the socket's mode and group.
as_other=(setpriv --reuid=65534 --regid=65533 --clear-groups "$T/acmectl" --socket "$SOCK")
OUT=$("${as_other[@]}" status 2>&1) && fail "a user outside the group got an answer: $OUT"
assert_match "$OUT" "cannot reach acmed at $SOCK: permission denied: the socket is for root and the members of group "

unset ASAN_OPTIONS

# Stopping acmed leaves the socket's path: it belongs to whoever passed the
# socket (under systemd, acmed.socket keeps listening on it). Nobody
# listens there now.
stop_acmed
[[ -S $SOCK ]] || fail "acmed removed $SOCK, which it did not create"
assert_exit 3 "$ACMECTL" --socket "$SOCK" status
assert_match "$OUT" "Connection refused"

# Started without a passed socket, acmed creates its own (0660, the read
# group's) and removes it when it stops.
start_acmed
assert_contains "$T/acmed.log" "control socket $ACMED_SOCKET"
assert_eq "$(stat -c '%a %G' "$ACMED_SOCKET")" "660 $read_group" "mode and group of acmed's own socket"
stop_acmed
[[ ! -e $ACMED_SOCKET ]] || fail "acmed left its own socket $ACMED_SOCKET behind"

pass
