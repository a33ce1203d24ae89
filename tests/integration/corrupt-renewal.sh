#!/bin/bash
# Corrupt renewal files: empty, truncated, binary, a duplicate setting, a
# missing field, a symlink to another lineage's file, 100 MB. Each
# quarantines its lineage alone, at start-up and at reload: it is reported
# by name (with the file and the reason), never renewed, and its file is
# never rewritten; the other lineage keeps renewing; a fixed file is taken
# back by a reload.
source "$(dirname "$0")/lib.sh"

start_pebble
pebble_root
start_acmed
R=$T/state/renewal
KINDS=(empty truncated binary duplicate missing symlink huge)
for n in good "${KINDS[@]}"; do
	assert_exit 0 "$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" \
		-d "$n.$TEST_DOMAIN" --agree-tos -m admin@example.org -n
done
stop_acmed
cp "$R/truncated.$TEST_DOMAIN.conf" "$T/truncated.orig"
: >"$R/empty.$TEST_DOMAIN.conf"
f=$R/truncated.$TEST_DOMAIN.conf
head -c "$(($(stat -c %s "$f") / 2))" "$T/truncated.orig" >"$f"
head -c 4096 /dev/urandom >"$R/binary.$TEST_DOMAIN.conf"
echo 'server = "https://ca.invalid/dir";' >>"$R/duplicate.$TEST_DOMAIN.conf"
sed -i '/^domains = /d' "$R/missing.$TEST_DOMAIN.conf"
ln -sf "good.$TEST_DOMAIN.conf" "$R/symlink.$TEST_DOMAIN.conf"
truncate -s 100M "$R/huge.$TEST_DOMAIN.conf"
sums() { for k in "${KINDS[@]}"; do printf '%s ' "$k"; stat -c '%F %s' "$R/$k.$TEST_DOMAIN.conf" |
	tr '\n' ' '; sha256sum <"$R/$k.$TEST_DOMAIN.conf"; done; }
sums >"$T/sums.before"

say "start-up quarantines the seven, and says why"
start_acmed
for k in "${KINDS[@]}"; do
	assert_contains "$T/acmed.log" "renewal/$k.$TEST_DOMAIN.conf"
done
assert_exit 0 "$ACMECTL" --json certificates
assert_eq "$(jq '[.certificates[] | select(.problem != null)] | length' <<<"$OUT")" 7 \
	"lineages listed with a problem"
assert_match "$(jq -r '.certificates[] | select(.name | startswith("symlink.")) | .problem' <<<"$OUT")" \
	"symbolic link"
assert_match "$(jq -r '.certificates[] | select(.name | startswith("huge.")) | .problem' <<<"$OUT")" \
	"too large|File too large"
assert_match "$(jq -r '.certificates[] | select(.name | startswith("duplicate.")) | .problem' <<<"$OUT")" \
	"duplicate.$TEST_DOMAIN.conf:[0-9]+"

say "renewing everything renews the good one only"
assert_exit 1 "$ACMECTL" renew --force-renewal
assert_match "$OUT" "good.$TEST_DOMAIN/fullchain.pem \(success\)"
assert_eq "$(live_version "good.$TEST_DOMAIN")" 2 "the good lineage renewed"
for k in "${KINDS[@]}"; do
	assert_eq "$(live_version "$k.$TEST_DOMAIN")" 1 "$k: not renewed"
done
sums | diff "$T/sums.before" - || fail "a quarantined renewal file changed"
assert_exit 1 "$ACMECTL" check
assert_match "$OUT" "7 lineage\(s\) with problems"
assert_match "$OUT" "good.$TEST_DOMAIN: ok"

say "a reload keeps them quarantined; a fixed file comes back"
assert_exit 1 "$ACMECTL" reload
assert_match "$OUT" "7 quarantined \(fix and reload\)"
cp "$T/truncated.orig" "$R/truncated.$TEST_DOMAIN.conf"
assert_exit 1 "$ACMECTL" reload
assert_match "$OUT" "reloaded acmed.conf and 2 renewal files; 6 quarantined"
assert_exit 0 "$ACMECTL" renew --cert-name "truncated.$TEST_DOMAIN" --force-renewal
assert_eq "$(live_version "truncated.$TEST_DOMAIN")" 2 "the fixed lineage renews again"
sums | grep -v '^truncated ' | diff <(grep -v '^truncated ' "$T/sums.before") - ||
	fail "a quarantined renewal file changed"

pass
