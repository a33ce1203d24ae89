#!/bin/bash
# A full disk, for real: the state directory is a 16 MiB tmpfs, filled up
# with a file at chosen moments, so every write() of acmed's meets ENOSPC
# as it would on a full disk.
#   - full before a renewal: it fails saying so; live/ and the renewal file
#     are byte for byte as before (nothing emptied, as acme.sh once did),
#     no temp file is left, the failure and its backoff are known;
#   - full while the certificate downloads (the test proxy holds it 3 s),
#     after the order was finalized and saved: the publish fails and leaves
#     nothing behind; with room again, the next renewal finishes that same
#     order (no new order) and publishes its certificate.
source "$(dirname "$0")/lib.sh"

require_cmd mount umount
mkdir -p "$T/state"
mount -t tmpfs -o size=16m,mode=0755 tmpfs "$T/state" ||
	fail "cannot mount a tmpfs (this test needs root and mount(2))"
at_exit "umount -l '$T/state'"
start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
start_ca_proxy
start_acmed
N=full.$TEST_DOMAIN
S=$T/state
assert_exit 0 "$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" -d "$N" \
	--agree-tos -m admin@example.org -n

# (No sync: the state is on tmpfs, and a sync of the whole machine under
# load could outlast the 3 s the download is held.)
fill() { dd if=/dev/zero of="$S/filler" bs=4k 2>/dev/null || true; }
unfill() { rm -f "$S/filler"; }
snapshot() {
	(cd "$S" && find live renewal accounts -printf '%p %y %m %l\n' | sort &&
		find live/ renewal/ accounts/ -type f -exec sha256sum {} + | sort &&
		cat live/"$N"/*.pem | sha256sum)
}
temps() { find "$S" -regextype posix-extended -regex '.*/\..+\.[0-9a-f]{12}'; }
orders() { proxy_requests '.path == "/order-plz" and .status == 201' | wc -l; }

say "the disk is full before a renewal"
snapshot >"$T/before"
fill
assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "No space left on device"
unfill
snapshot | diff "$T/before" - || fail "a full disk changed live/, a renewal file or an account"
[[ -z $(temps) ]] || fail "temp files left: $(temps)"
assert_eq "$(cert_json "$N" failures)" 1 "the failure is known"
(($(cert_json "$N" next_attempt) > $(date +%s))) || fail "no backoff"
assert_exit 0 "$ACMECTL" check

say "the disk fills while the certificate downloads"
assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal # room again: v2
assert_eq "$(live_version "$N")" 2 "renewed with room again"
snapshot >"$T/before"
proxy_config '{"faults": [{"path": "^/certZ/", "delay": 3}]}'
o0=$(orders)
"$ACMECTL" renew --cert-name "$N" --force-renewal >"$T/renew.out" 2>&1 &
renew=$!
wait_until 20 "the order was finalized" grep -q "Order finalized" "$T/renew.out"
[[ -f $S/archive/$N/.pending ]] || fail "the order was not saved before finalize"
fill
rc=0
wait "$renew" || rc=$?
proxy_config '{}'
assert_eq "$rc" 1 "renew exit status on a full disk"
assert_contains "$T/renew.out" "No space left on device"
unfill
snapshot | diff "$T/before" - || fail "a full disk changed live/, a renewal file or an account"
[[ -z $(temps) ]] || fail "temp files left: $(temps)"
[[ ! -e $S/archive/$N/cert3.pem ]] || fail "a partial version 3 is left"
assert_exit 0 "$ACMECTL" check
assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_match "$OUT" "Resuming order"
assert_match "$OUT" "Saved as version 3 of $N"
assert_eq "$(($(orders) - o0))" 1 "orders for the renewal the full disk interrupted"
assert_exit 0 "$ACMECTL" check

pass
