#!/bin/bash
# acmectl revoke against Pebble, checked through Pebble's management API
# (/cert-status-by-serial/ shows the status and reason code):
#   - by the account key, with a reason: the lineage is marked revoked, not
#     renewed by `renew` unless named, shown as REVOKED;
#   - by the certificate's own key (--cert-path, --key-path), then deleted
#     with --delete-after-revoke, other lineages untouched;
#   - bad input changes nothing: a wrong key, an unknown name, a bad reason.
source "$(dirname "$0")/lib.sh"

start_pebble
start_acmed
standalone=(--standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT")
A=a.$TEST_DOMAIN
B=b.$TEST_DOMAIN
C=c.$TEST_DOMAIN
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$A" --agree-tos \
	--register-unsafely-without-email
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$B"
assert_exit 0 "$ACMECTL" certonly "${standalone[@]}" -d "$C"
live=$T/state/live

status_of() { # CERT-FILE: "Status Reason" from Pebble's management API
	local serial
	serial=$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)
	curl -sSf --cacert "$PEBBLE_CA_BUNDLE" "$PEBBLE_MGMT/cert-status-by-serial/$serial" |
		jq -r '"\(.Status) \(.Reason // "-")"'
}
snapshot() { # NAME: every file of the lineage, with links shown as links
	(cd "$T/state" && find "archive/$1" "live/$1" "renewal/$1.conf" -printf '%p %l %s\n' |
		sort && cat "archive/$1"/* "renewal/$1.conf" | sha256sum)
}

# 1. Usage errors and bad input: exit 2 or 1, nothing changes.
before_a=$(snapshot "$A")
assert_exit 2 "$ACMECTL" revoke
assert_exit 2 "$ACMECTL" revoke --cert-name "$A" --cert-path "$live/$A/cert.pem"
assert_exit 2 "$ACMECTL" revoke --cert-name "$A" --reason bored
assert_match "$OUT" "--reason bored: not one of unspecified, keycompromise"
assert_exit 1 "$ACMECTL" revoke --cert-name nosuch.example
assert_match "$OUT" "no certificate named 'nosuch.example'"
assert_exit 1 "$ACMECTL" revoke --cert-path "$live/$A/cert.pem" --key-path "$live/$B/privkey.pem"
assert_match "$OUT" "the key given with --key-path does not belong to the certificate"
assert_exit 2 "$ACMECTL" revoke --cert-path "$T/pebble.json"
assert_match "$OUT" "--cert-path: not a PEM certificate"
assert_eq "$(status_of "$live/$A/cert.pem")" "Valid -" "A still valid"
assert_eq "$(snapshot "$A")" "$before_a" "A unchanged by refused revocations"

# 2. By the account key, reason keyCompromise (1).
assert_exit 0 "$ACMECTL" revoke --cert-name "$A" --reason keyCompromise
assert_match "$OUT" "successfully revoked the certificate $A .*reason keycompromise"
assert_match "$OUT" "Lineage $A is marked revoked"
assert_eq "$(status_of "$live/$A/cert.pem")" "Revoked 1" "Pebble: A revoked, keyCompromise"
assert_contains "$T/state/renewal/$A.conf" 'reason = "keycompromise";'
assert_exit 0 "$ACMECTL" certificates --cert-name "$A"
assert_match "$OUT" "\\(INVALID: REVOKED\\)"
assert_match "$OUT" "Next Renewal: none: revoked"
assert_eq "$(cert_json "$A" revoked.reason)" keycompromise "JSON revoked.reason"
assert_eq "$(cert_json "$A" next_renewal)" null "no next renewal for a revoked lineage"
# `renew --force-renewal` leaves it alone; named, it gets a new certificate.
assert_exit 0 "$ACMECTL" renew --force-renewal --cert-name "$C"
assert_exit 0 "$ACMECTL" renew --force-renewal
assert_match "$OUT" "revoked: renew it by name"
assert_eq "$(live_version "$A")" 1 "renew skipped the revoked lineage"
assert_exit 0 "$ACMECTL" renew --cert-name "$A"
assert_eq "$(live_version "$A")" 2 "renewed by name"
assert_eq "$(cert_json "$A" revoked)" null "a new version is not revoked"
# Revoking it again is no error at the CA's "already revoked".
cp "$T/state/archive/$A/cert1.pem" "$T/a1.pem"
assert_exit 0 "$ACMECTL" revoke --cert-path "$T/a1.pem" --reason superseded
assert_match "$OUT" "had revoked the certificate $T/a1.pem already"

# 3. By the certificate's own key (as after losing the account), reason
#    superseded (4), then deleted; C is untouched.
before_c=$(snapshot "$C")
b_cert=$T/b-cert.pem
cp "$live/$B/cert.pem" "$b_cert"
assert_exit 0 "$ACMECTL" revoke --cert-path "$live/$B/cert.pem" --key-path "$live/$B/privkey.pem" \
	--reason superseded --delete-after-revoke
assert_match "$OUT" "Deleted all files relating to certificate $B"
assert_eq "$(status_of "$b_cert")" "Revoked 4" "Pebble: B revoked, superseded"
for d in archive/$B live/$B renewal/$B.conf; do
	[[ ! -e $T/state/$d ]] || fail "$d is still there after --delete-after-revoke"
done
assert_eq "$(snapshot "$C")" "$before_c" "C untouched"
"$ACMECTL" --json revoke --cert-name "$C" --reason cessationofoperation >"$T/revoke.json" ||
	fail "revoke --json failed"
assert_eq "$(jq -r '[.schema, .name, .reason, .already_revoked] | join(" ")' "$T/revoke.json")" \
	"1 $C cessationofoperation false" "revoke JSON"
assert_match "$(jq -r .revoked_at "$T/revoke.json")" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"
assert_eq "$(status_of "$live/$C/cert.pem")" "Revoked 5" "Pebble: C revoked, cessation"
# Revoked again with another reason: the CA says alreadyRevoked, and the
# first revocation's reason and time stay recorded.
at0=$(cert_json "$C" revoked.at)
sleep 1.1
assert_exit 0 "$ACMECTL" revoke --cert-name "$C" --reason superseded
assert_match "$OUT" "had revoked the certificate .* already"
assert_eq "$(cert_json "$C" revoked.reason)" cessationofoperation "reason after a second revoke"
assert_eq "$(cert_json "$C" revoked.at)" "$at0" "time after a second revoke"
pass
