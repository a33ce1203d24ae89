#!/bin/bash
# Privilege separation, shown on the real daemon talking to Pebble. acmed
# runs under `strace -f`, so every process it forks is traced, and:
#   - each worker that talks to the CA (named acmed-worker) confines itself
#     with Landlock before its first request, and never opens a private key:
#     no account key.pem or key.next.pem, no privkeyN.pem, not even to fail;
#   - nor does it write anything: no file opened for writing (but
#     /dev/null), nothing renamed, removed or made; the signer makes every
#     write of a job (new version, renewal file, failure, account.json);
#   - the signer (acmed-signer) is what opens and creates the keys;
#   - the jobs that need a key each way all succeed: a registration and
#     issuance (new account key, new certificate key), a renewal with
#     --reuse-key (the current key read back), an account key rollover
#     (key.next.pem), a revocation signed with the certificate's key.
# daemon/privsep/signer.h describes the split; test_signer and test_sandbox check
# the signer's refusals and the confinement itself.
source "$(dirname "$0")/lib.sh"

require_cmd strace
start_pebble
ACMED_WRAP=(strace -f -qq -s 300 -o "$T/trace" \
	-e trace=openat,prctl,landlock_restrict_self,renameat,renameat2,unlinkat,mkdirat,symlinkat)
start_acmed
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
A=a.$TEST_DOMAIN

assert_exit 0 acmectl certonly "${standalone[@]}" -d "$A" --agree-tos \
	--register-unsafely-without-email
assert_exit 0 acmectl certonly "${standalone[@]}" -d "$A" --reuse-key --force-renewal
assert_match "$OUT" "Saved as version 2 of $A"
archive=$T/state/archive/$A
cmp -s "$archive/privkey1.pem" "$archive/privkey2.pem" || fail "--reuse-key changed the key"
assert_exit 0 acmectl account rollover
assert_exit 0 acmectl revoke --cert-path "$T/state/live/$A/cert.pem" \
	--key-path "$T/state/live/$A/privkey.pem" --reason superseded
for f in "$archive"/privkey*.pem "$T"/state/accounts/*/*/*/key*.pem; do
	assert_eq "$(stat -c %a "$f")" 600 "mode of ${f#"$T"/}"
done

# Stop acmed itself (strace's child); strace exits with it.
kill -TERM "$(pgrep -P "$ACMED_PID" -x acmed)"
strace_gone() { ! kill -0 "$ACMED_PID" 2>/dev/null; }
wait_until 10 "acmed and strace stopped" strace_gone
stop_pid "$ACMED_PID" || true

landlock=yes
grep -q "this kernel has no Landlock" "$T/acmed.log" && landlock=no
say "Landlock on this kernel: $landlock"

# Per traced process: its name, whether it confined itself, and the key
# files it opened (any result). One line each: "NAME CONFINED KEYS...".
# And in $T/writes, "NAME CALL" for every write a process attempted.
"$PYTHON" - "$T/trace" "$T/writes" >"$T/roles" <<'EOF'
import re, sys
name, confined, keys, writes = {}, {}, {}, []
write_flag = re.compile(r'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND')
modify = re.compile(r'(renameat2?|unlinkat|mkdirat|symlinkat)\(')
key = re.compile(r'(^|/)\.?(key|key\.next|key\.replaced-[^/"]*|privkey[0-9]*)\.pem')
for line in open(sys.argv[1]):
    pid, _, call = line.partition(' ')
    call = call.lstrip()  # strace pads the PID column
    m = re.match(r'prctl\(PR_SET_NAME, "([^"]*)"', call)
    if m:
        name[pid] = m.group(1)
    # strace -f splits a call another process interrupted: "<unfinished
    # ...>", then "<... NAME resumed> ...) = RESULT".
    if (call.startswith('landlock_restrict_self(') or
            call.startswith('<... landlock_restrict_self resumed>')) and \
            call.rstrip().endswith('= 0'):
        confined[pid] = True
    m = re.match(r'openat\([^,]*, "([^"]*)"', call)
    if m and key.search(m.group(1)):
        keys.setdefault(pid, []).append(m.group(1))
    if (m and write_flag.search(call) and m.group(1) != '/dev/null') or modify.match(call):
        writes.append((pid, call.strip()))
for pid in set(name) | set(keys):
    print(name.get(pid, 'acmed'), 'confined' if confined.get(pid) else 'free',
          ' '.join(keys.get(pid, [])) or '-')
with open(sys.argv[2], 'w') as out:
    for pid, call in writes:
        out.write('%s %s\n' % (name.get(pid, 'acmed'), call))
EOF
workers=$(grep -c '^acmed-worker ' "$T/roles" || true)
signers=$(grep -c '^acmed-signer ' "$T/roles" || true)
say "$workers workers, $signers signers traced"
# Four jobs with a signer each; an ARI probe of the CA has a worker only.
((workers >= 4)) || fail "expected a worker for each of the 4 jobs, saw $workers"
((signers == 4)) || fail "expected a signer for each of the 4 jobs, saw $signers"

# No worker ever opened a key file.
if grep '^acmed-worker ' "$T/roles" | grep -v ' -$'; then
	fail "a worker opened a private key file (above)"
fi
# Each signer made itself undumpable (no core file, no ptrace without
# CAP_SYS_PTRACE).
undumpable=$(grep -c 'prctl(PR_SET_DUMPABLE, SUID_DUMP_DISABLE' "$T/trace" || true)
((undumpable == signers)) || fail "$undumpable of $signers signers made themselves undumpable"
# Nor wrote anything; the signers wrote what the jobs saved.
if grep '^acmed-worker ' "$T/writes"; then
	fail "a worker wrote (above): only the signer writes during a job"
fi
# (grep reads the whole file: with pipefail, "grep | grep -q" fails when
# the first grep is cut off by SIGPIPE.)
signer_did() { grep -E "^acmed-signer .*$2" "$T/$1" >/dev/null; }
signer_did writes "\"${A//./\\.}\\.conf\"\\)" || fail "no signer saved a renewal file"
signer_did writes 'account\.json' || fail "no signer saved account.json"
# The signers did: the account key, the certificate keys, the next key.
signer_did roles 'key\.pem' || fail "no signer opened an account key"
signer_did roles 'privkey' || fail "no signer read a certificate key"
signer_did roles 'key\.next\.pem' || fail "no signer made key.next.pem"
if [[ $landlock == yes ]]; then
	if grep '^acmed-worker ' "$T/roles" | grep -v ' confined '; then
		fail "a worker did not confine itself (above)"
	fi
	if grep '^acmed-signer ' "$T/roles" | grep -v ' confined '; then
		fail "a signer did not confine itself (above)"
	fi
fi
pass
