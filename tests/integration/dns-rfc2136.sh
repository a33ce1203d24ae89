#!/bin/bash
# --dns-rfc2136: dns-01 through TSIG-signed DNS UPDATEs to a real BIND 9,
# which Pebble also uses as its resolver, so validation is real.
#   - a wildcard and its apex in one certificate; the lineage is named after
#     the apex (certbot's rule); BIND logged the signed adds and deletes, and
#     the TXT records are gone afterwards (queried);
#   - the renewal file records the authenticator and its options, and a
#     renewal runs unattended through it;
#   - a credentials file others may read is refused; a wrong TSIG secret
#     fails with an error naming the key and BIND's reason, and leaves no
#     lineage, no record and no order behind; a name in no zone of the
#     server is reported as such.
source "$(dirname "$0")/lib.sh"

ZONE=rfc2136.test
start_bind "$ZONE"
# No authorization reuse: the renewal must answer its challenges again.
start_pebble --dnsserver "$BIND_DNS" PEBBLE_AUTHZREUSE=0
start_ca_proxy # its log names the authorizations to drop before the renewal
start_acmed

creds() { # FILE SECRET: certbot's credentials file for BIND's key
	cat >"$1" <<-EOF
		# certbot-dns-rfc2136 credentials
		dns_rfc2136_server = 127.0.0.1
		dns_rfc2136_port = $BIND_PORT
		dns_rfc2136_name = $BIND_KEY_NAME
		dns_rfc2136_secret = $2
		dns_rfc2136_algorithm = HMAC-SHA256
	EOF
	chmod 600 "$1"
}
CREDS=$T/rfc2136.ini
creds "$CREDS" "$BIND_KEY_SECRET"

# BIND logs each change with the key that signed it.
added() { grep -c "/key ${BIND_KEY_NAME%.}: updating zone '$ZONE/IN': adding an RR at '$1' TXT" "$BIND_LOG" || true; }
deleted() { grep -c "/key ${BIND_KEY_NAME%.}: updating zone '$ZONE/IN': deleting an RR at $1 TXT" "$BIND_LOG" || true; }

# --- refused before any CA traffic ---------------------------------------
chmod 644 "$CREDS"
assert_exit 2 acmectl certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" -d "$ZONE" \
	--agree-tos --register-unsafely-without-email
assert_match "$OUT" "credentials file $CREDS may be read or written by others \\(mode 0644\\): run chmod 600 $CREDS"
chmod 600 "$CREDS"
assert_exit 2 acmectl certonly --dns-rfc2136 -d "$ZONE"
assert_match "$OUT" "--dns-rfc2136 needs --dns-rfc2136-credentials FILE"
assert_exit 2 acmectl certonly --standalone --dns-rfc2136-credentials "$CREDS" -d "$ZONE"
assert_match "$OUT" "go with --dns-rfc2136"
[[ ! -e $T/state/live/$ZONE ]] || fail "a refused request made a lineage"

# --- a wildcard and its apex -----------------------------------------------
assert_exit 0 acmectl certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" \
	--dns-rfc2136-propagation-seconds 20 -d "*.$ZONE" -d "$ZONE" --agree-tos \
	--register-unsafely-without-email
# Progress names each authorization as it was asked for.
assert_match "$OUT" "Authorization [12]/2 valid: \\*\\.$ZONE \\(dns-01\\)"
assert_match "$OUT" "Authorization [12]/2 valid: $ZONE \\(dns-01\\)"
assert_match "$OUT" "Saved as version 1 of $ZONE"
assert_symlink "$T/state/live/$ZONE/fullchain.pem"
sans=$(openssl x509 -in "$T/state/live/$ZONE/cert.pem" -noout -ext subjectAltName)
assert_match "$sans" "DNS:\\*\\.$ZONE"
assert_match "$sans" "DNS:$ZONE"
# Two values at one owner (wildcard and apex), each added and deleted, signed.
owner=_acme-challenge.$ZONE
assert_eq "$(added "$owner")" 2 "TXT records BIND added"
assert_eq "$(deleted "$owner")" 2 "TXT records BIND deleted"
assert_eq "$(bind_txt "$owner")" "" "TXT records left at $owner"
conf=$T/state/renewal/$ZONE.conf
assert_contains "$conf" 'name = "dns-rfc2136";'
assert_contains "$conf" "dns_rfc2136_credentials = \"$CREDS\";"
assert_contains "$conf" "dns_rfc2136_propagation_seconds = 20;"

# --- the renewal runs unattended from the renewal file ---------------------
pebble_drop_authzs
assert_exit 0 acmectl renew --cert-name "$ZONE" --force-renewal
assert_eq "$(live_version "$ZONE")" 2 "version after the renewal"
assert_eq "$(added "$owner")" 4 "TXT records added by the two jobs"
assert_eq "$(deleted "$owner")" 4 "TXT records deleted by the two jobs"
assert_eq "$(bind_txt "$owner")" "" "TXT records left after the renewal"

# --- a wrong secret ----------------------------------------------------------
BAD=$T/wrong.ini
creds "$BAD" "$(openssl rand -base64 32)"
W=wrong.$ZONE
assert_exit 1 acmectl certonly --dns-rfc2136 --dns-rfc2136-credentials "$BAD" -d "$W"
assert_match "$OUT" "check dns_rfc2136_name, _secret and _algorithm in $BAD"
assert_eq "$(bind_txt "_acme-challenge.$W")" "" "TXT records at _acme-challenge.$W"
assert_eq "$(added "_acme-challenge.$W")" 0 "TXT records BIND added with the wrong key"
for d in live archive; do
	[[ ! -e $T/state/$d/$W ]] || fail "the failed request left $d/$W"
done
[[ ! -e $T/state/renewal/$W.conf ]] || fail "the failed request left renewal/$W.conf"
# The key is tried (a signed SOA query) before the order is placed.
assert_match "$OUT" "SOA query for $W: 127\\.0\\.0\\.1 port $BIND_PORT refused key $BIND_KEY_NAME \\(NOTAUTH, TSIG BADSIG\\)"
[[ $OUT != *"Order created"* ]] || fail "an order was placed with a key the server refuses"

# --- a name the server holds no zone for --------------------------------------
assert_exit 1 acmectl certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" \
	-d elsewhere.example
assert_match "$OUT" "127\\.0\\.0\\.1 port $BIND_PORT is authoritative for no zone holding elsewhere\\.example"

stop_acmed
pass
