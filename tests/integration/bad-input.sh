#!/bin/bash
# Bad input gets one clear error naming the thing, a non-zero exit, and
# changes nothing under live/ or archive/.
source "$(dirname "$0")/lib.sh"

start_pebble
start_acmed
D=good.$TEST_DOMAIN
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$D" --agree-tos \
	--register-unsafely-without-email -n

snapshot() { # everything under the state dir except accounts: names, link targets, contents
	(cd "$T/state" && find live archive renewal -printf '%p %l %m\n' | sort &&
		find live archive renewal -type f -exec sha256sum {} + | sort)
}
before=$(snapshot)
unchanged() { assert_eq "$(snapshot)" "$before" "state unchanged after: $1"; }

# Usage errors: exit 2, one line.
assert_exit 2 "$ACMECTL" certonly --no-such-flag -d "$D"
assert_match "$OUT" "unknown option|unrecognized option"
assert_exit 2 "$ACMECTL" frobnicate
assert_match "$OUT" "unknown command 'frobnicate'"
assert_exit 2 "$ACMECTL" certonly "${standalone[@]}" -d "bad_name.$TEST_DOMAIN" -n
assert_match "$OUT" "'bad_name.$TEST_DOMAIN' is not a valid domain name"
assert_exit 2 "$ACMECTL" certonly "${standalone[@]}" -d localhost -n
assert_match "$OUT" "not a fully qualified domain name"
assert_exit 2 "$ACMECTL" certonly -d "$D" -n
assert_match "$OUT" "--webroot -w DIR, --standalone, --manual --manual-auth-hook CMD or --dns-rfc2136"
assert_exit 2 "$ACMECTL" certonly "${standalone[@]}" -d "$D" --cert-name ../etc -n
assert_match "$OUT" "--cert-name '../etc'"
assert_exit 2 "$ACMECTL" certonly "${standalone[@]}" -d "$D" --key-type dsa -n
assert_match "$OUT" "key type 'dsa'"
unchanged "usage errors"

# A webroot that does not exist: named, nothing sent to the CA, nothing changed.
assert_exit 1 "$ACMECTL" certonly --webroot -w "$T/nonexistent" -d "$D" -n --force-renewal
assert_match "$OUT" "webroot $T/nonexistent does not exist"
unchanged "missing webroot"

# An unreachable CA.
assert_exit 1 "$ACMECTL" certonly "${standalone[@]}" -d "$D" --server https://127.0.0.1:1/dir -n --force-renewal
assert_match "$OUT" "loading the CA's directory failed: .*127.0.0.1:1"
unchanged "unreachable CA"

# A CA that answers an error: the responder listens where Pebble does not
# connect, so validation fails and Pebble's problem document is shown. (A
# fresh name: Pebble may reuse the valid authorization of one it has seen.)
other=$(free_port)
assert_exit 1 "$ACMECTL" certonly --standalone --http-01-address 127.0.0.1 --http-01-port "$other" \
	-d "fresh.$TEST_DOMAIN" --cert-name "$D" -n
assert_match "$OUT" "validating fresh.$TEST_DOMAIN failed: urn:ietf:params:acme:error:connection"
unchanged "failed validation"

# The daemon's socket is not there: one line naming it, exit status 3.
assert_exit 3 "$ACMECTL" --socket "$T/nope.sock" certificates
assert_match "$OUT" "cannot reach acmed at $T/nope.sock"
assert_eq "$(wc -l <<<"$OUT")" 1 "one line"

# A client that is neither root nor in the read group is refused outright
# (tests/integration/access.sh covers real users and groups).
chmod 0711 "$T"
chmod 0666 "$T/acmed.sock"
assert_exit 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$ACMECTL" certificates
assert_match "$OUT" "permission denied: acmed answers root and the members of group"
unchanged "unauthorised client"

# A malformed frame on the socket is answered with an error, not a crash.
printf '\0\0\0\5hello' | timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
print(s.recv(4096)[4:].decode())' "$T/acmed.sock" > "$T/frame.out"
assert_contains "$T/frame.out" '"malformed request"'
assert_exit 0 "$ACMECTL" status

# Configuration errors name file, line and setting. (Under `timeout`: a
# config that unexpectedly parses would otherwise leave acmed running.)
printf 'server = "https://x/dir";\nmax_parallel_jobs = 0;\n' > "$T/bad1.conf"
assert_exit 1 timeout 10 "$ACMED" --config "$T/bad1.conf" --foreground --state-dir "$T/s2" --socket "$T/s2.sock"
assert_match "$OUT" "bad1.conf:2: max_parallel_jobs: must be between 1 and 64"
printf '# comment\nemail = "a@b.c";\nagree_tos = = true;\n' > "$T/bad2.conf"
assert_exit 1 timeout 10 "$ACMED" --config "$T/bad2.conf" --foreground --state-dir "$T/s2" --socket "$T/s2.sock"
assert_match "$OUT" "bad2.conf:3: syntax error"
printf 'colour = "blue";\n' > "$T/bad3.conf"
assert_exit 1 timeout 10 "$ACMED" --config "$T/bad3.conf" --foreground --state-dir "$T/s2" --socket "$T/s2.sock"
assert_match "$OUT" "bad3.conf:1: colour: unknown setting"
assert_exit 1 timeout 10 "$ACMED" --config "$T/missing.conf" --foreground --state-dir "$T/s2" --socket "$T/s2.sock"
assert_match "$OUT" "missing.conf: No such file or directory"
assert_exit 2 timeout 10 "$ACMED" --bogus
# A state directory others could write to (or one below such a parent) is
# refused before anything is made in it.
mkdir -m 0777 "$T/open"
assert_exit 1 timeout 10 "$ACMED" --config "$T/acmed.conf" --foreground \
	--state-dir "$T/open/state" --socket "$T/s3.sock"
assert_match "$OUT" "refusing to start: $T/open is writable by others \\(mode 0777\\)"
[[ ! -e $T/open/state ]] || fail "acmed made a state directory under $T/open"
mkdir -m 0775 "$T/shared"
assert_exit 1 timeout 10 "$ACMED" --config "$T/acmed.conf" --foreground \
	--state-dir "$T/shared" --socket "$T/s3.sock"
assert_match "$OUT" "$T/shared is writable by its group \\(mode 0775\\): acmed keeps private keys"
# A second daemon on the same state directory refuses to start, naming the
# first, whatever its socket; so does acmed --oneshot.
assert_exit 1 timeout 10 "$ACMED" --config "$T/acmed.conf" --foreground --state-dir "$T/state" --socket "$T/other.sock"
assert_match "$OUT" "another acmed \\(pid $ACMED_PID\\) already manages $T/state: stop it first"
assert_exit 1 timeout 10 "$ACMED" --config "$T/acmed.conf" --oneshot --state-dir "$T/state"
assert_match "$OUT" "another acmed \\(pid $ACMED_PID\\) already manages $T/state: it renews what is due itself"
[[ ! -e $T/other.sock ]] || fail "the second acmed made its socket"
# One on the same socket with its own state directory: refused too.
assert_exit 1 timeout 10 "$ACMED" --config "$T/acmed.conf" --foreground --state-dir "$T/state2" --socket "$T/acmed.sock"
assert_match "$OUT" "another acmed is already listening on $T/acmed.sock"
unchanged "configuration errors"

# A corrupt renewal file is reported by name and line, and changes nothing.
printf 'name = "%s";\ndomains = 5;\nserver = "x";\n' "$D" > "$T/state/renewal/$D.conf"
before=$(snapshot)
assert_exit 1 "$ACMECTL" certonly "${standalone[@]}" -d "$D" -n --force-renewal
assert_match "$OUT" "renewal/$D.conf:2: domains: must be a non-empty list of strings"
unchanged "corrupt renewal file"

# A web root the worker may not write: said once, not "starting the signer
# failed: starting the signer failed: ...".
assert_exit 1 "$ACMECTL" certonly --webroot -w /etc -d "web.$TEST_DOMAIN" -n
assert_match "$OUT" "starting the signer failed: web root /etc is a system directory: the worker may not write there"
[[ $OUT != *"failed: starting the signer failed"* ]] || fail "the step is named twice: $OUT"

pass
