#!/bin/bash
# Nothing the CA sends reaches live/ unchecked (common/certcheck.h). The
# test proxy forges the chain Pebble would have sent, for the CSR's key:
# expired, valid only from ten years ahead, a bad signature, a CA:TRUE
# leaf, the leaf sent as its own chain, an intermediate that did not sign
# it, a name not asked for, another key, a chain just under 1 MiB. For
# each, a forced renewal fails naming the check; live/, the archive and the
# renewal file's settings stay as they were; the failure and its backoff
# are recorded; the order is kept, so that once the CA sends the right
# certificate the next renewal takes it from the same order: one order for
# the renewal and all its retries. A CA clock two minutes ahead, or a backdated notBefore,
# is accepted. With an issuer_bundle for the CA (acmed.conf "ca"), a chain
# that does not lead to it is refused. `acmectl check` runs the same
# checks on what is stored, and the signer refuses what the worker should
# have (tests/unit/test_signer.c).
source "$(dirname "$0")/lib.sh"
require_cmd jq openssl

start_pebble PEBBLE_AUTHZREUSE=0
pebble_root
start_ca_proxy
start_acmed
N=checks.$TEST_DOMAIN
standalone=(--standalone --http-01-port "$HTTP01_PORT")
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$N" --agree-tos -m admin@example.org -n
R=$T/state/renewal/$N.conf

orders() { proxy_requests '(.path | test("^/order-plz")) and .status == 201' | wc -l; }
# The renewal file without its state group (failures, next attempt).
settings() { awk '/^state/ { skip = 1 } !skip { print } skip && /^};/ { skip = 0 }' "$R"; }
# Everything of the lineage but the renewal file.
lineage() {
	(cd "$T/state" && find "live/$N" "archive/$N" -printf '%p %l %m\n' | grep -v '\.pending' |
		sort && find "live/$N" "archive/$N" -type f -name '*.pem' -exec sha256sum {} + | sort)
}

o0=$(orders)
# refused KIND WHAT: a renewal while the CA sends a KIND chain fails with
# WHAT; nothing changes but the failure record, and the order is kept.
refused() {
	local kind=$1 want=$2 f0 before settings0
	say "a $kind certificate"
	f0=$(cert_json "$N" failures) before=$(lineage) settings0=$(settings)
	proxy_config "{\"faults\": [{\"path\": \"^/certZ/\", \"forge\": \"$kind\"}]}"
	assert_exit 1 "$ACMECTL" renew --cert-name "$N" --force-renewal
	assert_match "$OUT" "$want"
	proxy_config '{}'
	proxy_requests ".forged == \"$kind\"" | grep -q . || fail "$kind: the proxy forged nothing"
	assert_eq "$(lineage)" "$before" "$kind: live/ and archive/"
	assert_eq "$(settings)" "$settings0" "$kind: the renewal file's settings"
	assert_eq "$(cert_json "$N" failures)" "$((f0 + 1))" "$kind: failures recorded"
	(($(cert_json "$N" next_attempt) > $(date +%s))) || fail "$kind: no backoff"
	[[ -e $T/state/archive/$N/.pending ]] || fail "$kind: the order was dropped"
	assert_exit 0 "$ACMECTL" check --cert-name "$N"
}

step="checking the certificate the CA sent failed"
refused expired "$step: the certificate expired at 20[0-9-]+T"
refused future "$step: the certificate is not valid before 20[0-9-]+T.*, [0-9]+ minute\\(s\\) from now \\(is the CA's clock or this machine's wrong\\?\\)"
refused bad_signature "$step: the signature of the certificate does not verify with the key of chain certificate 1 \\(acmed test forging intermediate\\)"
refused ca_leaf "$step: the certificate is a CA certificate \\(basicConstraints CA:TRUE\\)"
refused leaf_as_chain "$step: the certificate is not issued by chain certificate 1 \\($N\\)"
refused wrong_issuer "$step: the certificate is not issued by chain certificate 1"
refused extra_name "$step: the certificate names extra.$N, which was not asked for"
refused other_key "$step: the certificate is for another key than the CSR's"
refused oversized "reading the certificate the CA sent failed: the certificate chain is larger than 131072 bytes"
assert_contains "$T/acmed.log" "Resuming order https://127.0.0.1:[0-9]+/my-order/"

say "the CA sends the right certificate: the same order's is taken"
v0=$(live_version "$N")
assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_eq "$(live_version "$N")" "$((v0 + 1))" "live/ after the CA is fixed"
assert_eq "$(orders)" "$((o0 + 1))" "orders for the renewal and its ten attempts"
[[ ! -e $T/state/archive/$N/.pending ]] || fail "the order is still kept after publish"
assert_eq "$(cert_json "$N" failures)" 0 "failures after success"

# A CA clock two minutes ahead, and a backdated certificate: accepted.
for kind in not_yet_valid_skew backdated; do
	say "a $kind certificate is accepted"
	v0=$(live_version "$N")
	proxy_config "{\"faults\": [{\"path\": \"^/certZ/\", \"forge\": \"$kind\"}]}"
	assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
	proxy_config '{}'
	assert_eq "$(live_version "$N")" "$((v0 + 1))" "$kind: published"
done

# An issuer_bundle for this CA: the forged chain (valid in every other
# way) is refused, Pebble's own is taken. (Pebble's first: live/ holds a
# forged chain now, which `check` would report.)
say "issuer_bundle: a chain to another root is refused"
assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
cat >"$T/acmed.conf" <<EOF
ca = ( { server = "$ACMED_SERVER"; issuer_bundle = "$PEBBLE_ROOT"; } );
EOF
assert_exit 0 "$ACMECTL" reload
refused valid "$step: the chain does not lead to a certificate in the issuer_bundle"
v0=$(live_version "$N")
assert_exit 0 "$ACMECTL" renew --cert-name "$N" --force-renewal
assert_eq "$(live_version "$N")" "$((v0 + 1))" "Pebble's chain with its root as issuer_bundle"

# acmectl check: the live version gets the same checks. A version made of
# the leaf as its own chain, linked by hand, is a problem; repair relinks
# to the newest good version.
say "check: a stored leaf-as-chain version"
v=$(live_version "$N") a=$T/state/archive/$N n=$(($(live_version "$N") + 1))
cp "$a/cert$v.pem" "$a/cert$n.pem"
cp "$a/cert$v.pem" "$a/chain$n.pem"
cat "$a/cert$v.pem" "$a/cert$v.pem" >"$a/fullchain$n.pem"
install -m 0600 "$a/privkey$v.pem" "$a/privkey$n.pem"
for f in cert chain fullchain privkey; do
	ln -sfn "../../archive/$N/$f$n.pem" "$T/state/live/$N/$f.pem"
done
assert_exit 1 "$ACMECTL" check --cert-name "$N"
assert_match "$OUT" "archive/$N version $n: the certificate is not issued by chain certificate 1"
assert_exit 0 "$ACMECTL" repair --cert-name "$N"
assert_eq "$(live_version "$N")" "$v" "repair relinked to the good version"
assert_exit 0 "$ACMECTL" check --cert-name "$N"
assert_match "$OUT" "version $n \\(not live\\): the certificate is not issued by chain certificate 1"
assert_exit 0 "$ACMECTL" status
pass
