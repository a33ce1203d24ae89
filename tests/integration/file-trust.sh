#!/bin/bash
# Files that decide what runs as root are trusted only when root owns them
# and no one else may write them, along their whole path: a renewal file
# of another owner or mode 0666 quarantines its lineage (never renewed,
# its hooks never run); a hook in renewal-hooks/ that others may write, or
# in a directory others may write, is not run and counts as a failed hook;
# an acmed.conf (or a file it includes) others may write is refused; a
# renewal/ others may write stops acmed from starting. And where a regular
# file is meant, nothing else is opened: a FIFO as acmed.conf, as an
# included file, in renewal/ or as the CA bundle is refused at once,
# nothing hangs, and `acmectl status` keeps answering.
source "$(dirname "$0")/lib.sh"
((EUID == 0)) || skip "needs root: files of another owner"

start_pebble
start_acmed
S=$T/state R=$T/state/renewal
for n in good open theirs; do
	assert_exit 0 "$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" \
		-d "$n.$TEST_DOMAIN" --agree-tos -m admin@example.org -n \
		--deploy-hook "touch $T/deployed-$n"
done
rm -f "$T"/deployed-*

say "renewal files others could change are quarantined"
chmod 0666 "$R/open.$TEST_DOMAIN.conf"
chown 4242 "$R/theirs.$TEST_DOMAIN.conf"
assert_exit 1 "$ACMECTL" reload
assert_match "$OUT" "2 quarantined"
assert_exit 0 "$ACMECTL" --json certificates
assert_match "$(jq -r '.certificates[] | select(.name == "open.'$TEST_DOMAIN'") | .problem' <<<"$OUT")" \
	"renewal/open.$TEST_DOMAIN.conf is writable by others \\(mode 0666\\): what it says runs as root; chmod go-w"
assert_match "$(jq -r '.certificates[] | select(.name == "theirs.'$TEST_DOMAIN'") | .problem' <<<"$OUT")" \
	"renewal/theirs.$TEST_DOMAIN.conf is owned by uid 4242, not root: .*chown root"
v_open=$(live_version "open.$TEST_DOMAIN")
assert_exit 1 "$ACMECTL" renew --force-renewal
assert_match "$OUT" "good.$TEST_DOMAIN/fullchain.pem \\(success\\)"
[[ -e $T/deployed-good ]] || fail "the good lineage's deploy hook did not run"
[[ ! -e $T/deployed-open && ! -e $T/deployed-theirs ]] || fail "a quarantined lineage's hook ran"
assert_eq "$(live_version "open.$TEST_DOMAIN")" "$v_open" "a quarantined lineage was renewed"
chmod 0600 "$R/open.$TEST_DOMAIN.conf"
chown 0 "$R/theirs.$TEST_DOMAIN.conf"
assert_exit 0 "$ACMECTL" reload
assert_match "$OUT" "reloaded acmed.conf and 3 renewal files"

say "hooks in renewal-hooks/ others could change are not run"
mkdir -p "$S/renewal-hooks/deploy"
printf '#!/bin/sh\ntouch %s/ran-$(basename "$0")\n' "$T" >"$T/hook"
install -m 0755 "$T/hook" "$S/renewal-hooks/deploy/10-fine"
install -m 0777 "$T/hook" "$S/renewal-hooks/deploy/20-open"
install -m 0755 -o 4242 "$T/hook" "$S/renewal-hooks/deploy/30-theirs"
assert_exit 1 "$ACMECTL" renew --cert-name "good.$TEST_DOMAIN" --force-renewal
assert_match "$OUT" "deploy hook not run: $S/renewal-hooks/deploy/20-open is writable by others \\(mode 0777\\)"
assert_match "$OUT" "deploy hook not run: $S/renewal-hooks/deploy/30-theirs is owned by uid 4242"
[[ -e $T/ran-10-fine ]] || fail "the trusted hook did not run"
[[ ! -e $T/ran-20-open && ! -e $T/ran-30-theirs ]] || fail "an untrusted hook ran"
rm -f "$T"/ran-* "$S/renewal-hooks/deploy/20-open" "$S/renewal-hooks/deploy/30-theirs"
chmod 0777 "$S/renewal-hooks/deploy"
assert_exit 1 "$ACMECTL" renew --cert-name "good.$TEST_DOMAIN" --force-renewal
assert_match "$OUT" "deploy hook not run: $S/renewal-hooks/deploy is writable by others"
[[ ! -e $T/ran-10-fine ]] || fail "a hook in a directory open to others ran"
chmod 0755 "$S/renewal-hooks/deploy"

say "acmed.conf and its includes: trusted and regular, or the reload is refused"
echo 'max_clients = 32;' >"$T/acmed.conf"
chmod 0666 "$T/acmed.conf"
assert_exit 1 "$ACMECTL" reload
assert_match "$OUT" "$T/acmed.conf is writable by others \\(mode 0666\\)"
chmod 0600 "$T/acmed.conf"
mkdir "$T/conf.d"
printf 'max_clients = 32;\n@include "conf.d"\n' >"$T/acmed.conf"
assert_exit 1 "$ACMECTL" reload
assert_match "$OUT" "acmed.conf:2: @include \"conf.d\": .*Is a directory"
mkfifo "$T/fifo.conf"
printf '@include "fifo.conf"\n' >"$T/acmed.conf"
assert_exit 1 timeout 10 "$ACMECTL" reload
assert_match "$OUT" "acmed.conf:1: @include \"fifo.conf\": .*not a regular file"
rm "$T/acmed.conf"
mkfifo "$T/acmed.conf"
assert_exit 1 timeout 10 "$ACMECTL" reload
assert_match "$OUT" "$T/acmed.conf: not a regular file"
echo 'max_parallel_jobs = 4294967297;' >"$T/acmed.conf.new"
mv "$T/acmed.conf.new" "$T/acmed.conf"
assert_exit 1 "$ACMECTL" reload
assert_match "$OUT" "acmed.conf:1: max_parallel_jobs: 4294967297 is out of range"

say "a FIFO in renewal/ is a quarantined lineage, not a hang"
echo '# defaults' >"$T/acmed.conf"
mkfifo "$R/fifo.$TEST_DOMAIN.conf"
assert_exit 1 timeout 10 "$ACMECTL" reload
assert_match "$OUT" "1 quarantined.*fifo.$TEST_DOMAIN.conf: not a regular file"
assert_exit 0 timeout 10 "$ACMECTL" status
rm "$R/fifo.$TEST_DOMAIN.conf"
assert_exit 0 "$ACMECTL" reload
stop_acmed

say "at start-up: a FIFO as acmed.conf or CA bundle, a renewal/ open to others"
mkfifo "$T/fifo-ca.pem"
assert_exit 1 timeout 10 "$ACMED" --foreground --config "$T/fifo.conf" --state-dir "$S" \
	--socket "$T/s2.sock"
assert_match "$OUT" "$T/fifo.conf: not a regular file"
assert_exit 1 timeout 10 "$ACMED" --foreground --config "$T/acmed.conf" --state-dir "$S" \
	--socket "$T/s2.sock" --ca-bundle "$T/fifo-ca.pem"
assert_match "$OUT" "CA bundle $T/fifo-ca.pem: not a regular file"
chmod 0777 "$R"
assert_exit 1 timeout 10 "$ACMED" --foreground --config "$T/acmed.conf" --state-dir "$S" \
	--socket "$T/s2.sock"
assert_match "$OUT" "refusing to start: $R is writable by others \\(mode 0777\\)"
chmod 0755 "$R"
start_acmed
assert_exit 0 "$ACMECTL" check
pass
