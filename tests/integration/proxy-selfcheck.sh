#!/bin/bash
# tests/integration/proxy-selfcheck.sh: shows that the test proxy
# (ca-proxy.py) does what its module doc says, against a real Pebble. Not a
# test of acmed and not registered in meson: run it by hand after changing
# the proxy,
#
#     tests/integration/proxy-selfcheck.sh
#
# A small ACME client (written to $T/acme.py below) places an order through
# the proxy and makes single signed requests, so every answer can be seen
# as it leaves the proxy:
#   - each "forge" KIND: the chain has the stated property (openssl x509,
#     openssl verify), the key of the CSR, Pebble's names;
#   - "challenges" and "until_posts" edits in authorization answers;
#   - what Pebble answers to a challenge re-POST, and what the proxy does;
#   - "set_headers", and control characters in "json" and "detail";
#   - end to end: acmectl certonly through a "forge": "valid" fault stores
#     the forged chain (skipped if acmed is not built).
source "$(dirname "$0")/lib.sh"
require_cmd jq openssl curl

start_pebble PEBBLE_AUTHZREUSE=0
start_ca_proxy
assert_file "$CA_PROXY_FORGE_ROOT"
assert_file "$CA_PROXY_FORGE_INTERMEDIATE"

cat >"$T/acme.py" <<'PY'
"""A small ACME client for the self-check: just enough RFC 8555 to place an
order, answer http-01, finalize, and make single signed requests whose
answers (status, headers, body) are printed as one JSON line.

Usage: acme.py STATE DIRECTORY_URL CA_BUNDLE CMD [ARGS...]
  account                 a new account (key and URL kept in STATE)
  serve PORT [DELAY]      answer every http-01 token on 127.0.0.1:PORT
                          (DELAY seconds late; 404 for names fail.*)
  order ID...             a new order (dns names; IP addresses as ip)
  post URL [JSON [FILE]]  POST JSON (none or "": POST-as-GET), print the
                          answer (and save its body in FILE)
  authz N                 POST-as-GET the order's authorization N
  chal N                  print the http-01 challenge URL of authorization N
  validate                POST {} to each http-01 challenge, wait for ready
  finalize                a key and CSR, finalize, wait for valid, print
                          the certificate URL
"""
import base64
import hashlib
import http.client
import http.server
import ipaddress
import json
import ssl
import sys
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

STATE, DIRECTORY, CA, CMD = sys.argv[1:5]
ARGS = sys.argv[5:]
ctx = ssl.create_default_context(cafile=CA)


def b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def load_state():
    try:
        with open(STATE) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


st = load_state()


def save_state():
    with open(STATE, "w") as f:
        json.dump(st, f)


def request(method, url, body=None, headers=None):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
    conn.request(method, u.path + ("?" + u.query if u.query else ""), body=body,
                 headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, resp.getheaders(), data


def header(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


_, _, d = request("GET", DIRECTORY)
directory = json.loads(d)
nonce = [None]


def account_key():
    return serialization.load_pem_private_key(st["key"].encode(), None)


def jwk(key):
    n = key.public_key().public_numbers()
    return {"crv": "P-256", "kty": "EC", "x": b64(n.x.to_bytes(32, "big")),
            "y": b64(n.y.to_bytes(32, "big"))}


def thumbprint(key):
    j = jwk(key)
    canon = json.dumps({k: j[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return b64(hashlib.sha256(canon.encode()).digest())


def post(url, payload=None, use_jwk=False):
    """A signed POST (payload None: POST-as-GET), retried on badNonce."""
    key = account_key()
    for _ in range(10):
        if nonce[0] is None:
            _, h, _ = request("HEAD", directory["newNonce"])
            nonce[0] = header(h, "Replay-Nonce")
        prot = {"alg": "ES256", "nonce": nonce[0], "url": url}
        if use_jwk:
            prot["jwk"] = jwk(key)
        else:
            prot["kid"] = st["kid"]
        p64 = b64(json.dumps(prot).encode())
        b64payload = "" if payload is None else b64(json.dumps(payload).encode())
        der = key.sign((p64 + "." + b64payload).encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        sig = b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        body = json.dumps({"protected": p64, "payload": b64payload, "signature": sig})
        status, headers, data = request("POST", url, body.encode(),
                                        {"Content-Type": "application/jose+json"})
        nonce[0] = header(headers, "Replay-Nonce")
        if status == 400 and b"badNonce" in data:
            continue
        return status, headers, data
    sys.exit("acme.py: 10 badNonce answers in a row")


def show(status, headers, data):
    try:
        body = json.loads(data)
    except ValueError:
        body = data.decode("utf-8", "replace")
    heads = {}
    for k, v in headers:
        heads.setdefault(k.lower(), []).append(v)
    print(json.dumps({"status": status, "headers": heads, "body": body}))


def must(status, headers, data, want=(200, 201)):
    if status not in want:
        show(status, headers, data)
        sys.exit("acme.py: unexpected answer %d" % status)
    return json.loads(data) if data.startswith(b"{") else data


def poll(url, until, bad=("invalid",)):
    for _ in range(100):
        obj = must(*post(url))
        if obj["status"] in until:
            return obj
        if obj["status"] in bad:
            sys.exit("acme.py: %s is %s: %s" % (url, obj["status"], json.dumps(obj)))
        time.sleep(0.2)
    sys.exit("acme.py: %s stays %s" % (url, obj["status"]))


def http01_chal(n):
    authz = must(*post(st["authzs"][n]))
    return [c for c in authz["challenges"] if c["type"] == "http-01"][0]


if CMD == "account":
    key = ec.generate_private_key(ec.SECP256R1())
    st["key"] = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode()
    status, headers, data = post(directory["newAccount"], {"termsOfServiceAgreed": True},
                                 use_jwk=True)
    must(status, headers, data)
    st["kid"] = header(headers, "Location")
    save_state()
elif CMD == "serve":
    thumb = thumbprint(account_key())

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(float(ARGS[1]) if len(ARGS) > 1 else 0)
            if self.headers.get("Host", "").startswith("fail."):
                self.send_error(404)
                return
            token = self.path.rsplit("/", 1)[-1]
            body = (token + "." + thumb).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", int(ARGS[0])), H).serve_forever()
elif CMD == "order":
    ids = []
    for name in ARGS:
        try:
            ipaddress.ip_address(name)
            ids.append({"type": "ip", "value": name})
        except ValueError:
            ids.append({"type": "dns", "value": name})
    status, headers, data = post(directory["newOrder"], {"identifiers": ids})
    order = must(status, headers, data)
    st.update(order=header(headers, "Location"), authzs=order["authorizations"],
              finalize=order["finalize"], identifiers=ids)
    save_state()
    show(status, headers, data)
elif CMD == "post":
    status, headers, data = post(ARGS[0], json.loads(ARGS[1]) if len(ARGS) > 1 and ARGS[1]
                                 else None)
    if len(ARGS) > 2:
        with open(ARGS[2], "wb") as f:
            f.write(data)
    show(status, headers, data)
elif CMD == "authz":
    show(*post(st["authzs"][int(ARGS[0])]))
elif CMD == "chal":
    print(http01_chal(int(ARGS[0]))["url"])
elif CMD == "validate":
    for n in range(len(st["authzs"])):
        if must(*post(st["authzs"][n]))["status"] == "pending":
            must(*post(http01_chal(n)["url"], {}))
    poll(st["order"], ("ready",))
elif CMD == "finalize":
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.IPAddress(ipaddress.ip_address(i["value"])) if i["type"] == "ip"
            else x509.DNSName(i["value"]) for i in st["identifiers"]]
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([]))
           .add_extension(x509.SubjectAlternativeName(sans), critical=False)
           .sign(key, hashes.SHA256()))
    with open(STATE + ".key.pem", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    must(*post(st["finalize"], {"csr": b64(csr.public_bytes(serialization.Encoding.DER))}))
    order = poll(st["order"], ("valid",))
    st["certificate"] = order["certificate"]
    save_state()
    print(order["certificate"])
else:
    sys.exit(__doc__)
PY

A() { "$PYTHON" "$T/acme.py" "$T/acct.json" "$ACMED_SERVER" "$PEBBLE_CA_BUNDLE" "$@"; }
# ok DESC JQ-FILTER JSON: the filter is true of the JSON (an answer of A).
ok() {
	jq -e "$2" >/dev/null <<<"$3" || {
		printf -- '--- answer:\n%s\n' "$3" >&2
		fail "$1: not $2"
	}
	say "  ok: $1"
}
now() { date +%s; }
# notbefore/notafter CERT: as Unix times.
notbefore() { date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s; }
notafter() { date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s; }
# near A B SLACK DESC: |A - B| <= SLACK.
near() {
	(($1 - $2 <= $3 && $2 - $1 <= $3)) || fail "$4: $1 is not within $3 s of $2"
}
# split_chain FILE: FILE.1.pem, FILE.2.pem, ... one certificate each.
split_chain() {
	rm -f "$1".[0-9]*.pem
	awk -v f="$1" '/-----BEGIN CERTIFICATE-----/ { n++; out = f "." n ".pem" }
		n { print > out } /-----END CERTIFICATE-----/ { close(out) }' "$1"
}
ncerts() { grep -c -- '-----BEGIN CERTIFICATE-----' "$1"; }
# verify_int LEAF: openssl verify against the forging intermediate alone.
verify_int() {
	openssl verify -partial_chain -CAfile "$CA_PROXY_FORGE_INTERMEDIATE" "$1" 2>&1
}
pubkey() { openssl x509 -in "$1" -noout -pubkey; }
sans() { openssl x509 -in "$1" -noout -ext subjectAltName | tail -n +2; }

A account
spawn responder "$T/responder.log" "$PYTHON" "$T/acme.py" "$T/acct.json" "$ACMED_SERVER" \
	"$PEBBLE_CA_BUNDLE" serve "$HTTP01_PORT"
RESPONDER=$SPAWNED_PID
wait_for responder "$RESPONDER" curl -sf "http://127.0.0.1:$HTTP01_PORT/x"

say "an order for two names and an address, through the proxy"
A order "b.$TEST_DOMAIN" "a.$TEST_DOMAIN" 127.0.0.1 >/dev/null
A validate
CERT_URL=$(A finalize)
csr_key=$(openssl pkey -in "$T/acct.json.key.pem" -pubout)
A post "$CERT_URL" "" "$T/real.pem" >/dev/null
say "Pebble's leaf: $(openssl x509 -in "$T/real.pem" -noout -subject -issuer | tr '\n' ' ')"
say "  $(sans "$T/real.pem")"

# forge KIND [EXTRA-JSON]: download the certificate with a forge fault;
# the body is $T/KIND.pem, its certificates $T/KIND.pem.N.pem.
forge() {
	local kind=$1 out
	say "forge: $kind"
	proxy_config "{\"faults\": [{\"path\": \"^/certZ/\", \"forge\": \"$kind\", \"times\": 1${2:+, $2}}]}"
	out=$(A post "$CERT_URL" "" "$T/$kind.pem")
	ok "200 with a PEM chain" '.status == 200 and (.headers["content-type"][0] | test("pem-certificate-chain"))' "$out"
	assert_eq "$(proxy_requests '.path | test("^/certZ/")' | tail -n 1 | jq -r .forged)" "$kind" \
		"the log entry's \"forged\""
	split_chain "$T/$kind.pem"
	LEAF=$T/$kind.pem.1.pem
	openssl x509 -in "$LEAF" -noout >/dev/null || fail "$kind: openssl x509 cannot parse the leaf"
	[[ $(openssl x509 -in "$LEAF" -noout -issuer) == *"acmed test forging intermediate"* ]] ||
		fail "$kind: issuer"
	say "  $(openssl x509 -in "$LEAF" -noout -dates | tr '\n' ' ')"
	say "  $(openssl x509 -in "$LEAF" -noout -ext basicConstraints | tr -s '\n ' ' ')"
	if [[ $kind != other_key ]]; then
		assert_eq "$(pubkey "$LEAF")" "$csr_key" "$kind: the CSR's key"
	fi
	if [[ $kind != extra_name ]]; then
		assert_eq "$(sans "$LEAF")" "$(sans "$T/real.pem")" "$kind: Pebble's names"
	fi
	# Each certificate ends in a newline, as Pebble's do.
	[[ $(tail -c 1 "$T/$kind.pem" | od -An -c | tr -d ' ') == '\n' ]] || fail "$kind: last newline"
}
V="verify against the forging intermediate"

forge valid
assert_eq "$(ncerts "$T/valid.pem")" 2 "valid: certificates"
cmp -s "$T/valid.pem.2.pem" "$CA_PROXY_FORGE_INTERMEDIATE" || fail "valid: the intermediate sent"
assert_match "$(verify_int "$LEAF")" ": OK$"
assert_match "$(openssl verify -CAfile "$CA_PROXY_FORGE_ROOT" -untrusted "$T/valid.pem.2.pem" "$LEAF" 2>&1)" ": OK$"
say "  ok: $V, and against the forging root with the intermediate sent"
assert_match "$(openssl x509 -in "$LEAF" -noout -ext basicConstraints)" "critical"
assert_match "$(openssl x509 -in "$LEAF" -noout -ext basicConstraints)" "CA:FALSE"
assert_match "$(openssl x509 -in "$LEAF" -noout -ext keyUsage)" "critical"
assert_match "$(openssl x509 -in "$LEAF" -noout -ext keyUsage)" "Digital Signature$"
assert_match "$(openssl x509 -in "$LEAF" -noout -ext extendedKeyUsage)" "TLS Web Server Authentication$"
assert_match "$(openssl x509 -in "$LEAF" -noout -ext subjectKeyIdentifier,authorityKeyIdentifier)" \
	"Authority Key Identifier"
near "$(notbefore "$LEAF")" $(($(now) - 3600)) 120 "valid: notBefore"
near "$(notafter "$LEAF")" $(($(now) + 90 * 86400)) 120 "valid: notAfter"
assert_match "$(openssl x509 -in "$CA_PROXY_FORGE_ROOT" -noout -subject -ext basicConstraints,keyUsage)" \
	"CA:TRUE"
assert_match "$(openssl x509 -in "$CA_PROXY_FORGE_INTERMEDIATE" -noout -ext keyUsage)" "Certificate Sign"

forge expired
near "$(notbefore "$LEAF")" $(($(now) - 100 * 86400)) 120 "expired: notBefore"
near "$(notafter "$LEAF")" $(($(now) - 10 * 86400)) 120 "expired: notAfter"
assert_match "$(verify_int "$LEAF")" "certificate has expired"
say "  ok: $V: certificate has expired"

forge future
near "$(notbefore "$LEAF")" $(($(now) + 3650 * 86400)) 120 "future: notBefore"
near "$(notafter "$LEAF")" $(($(now) + 3740 * 86400)) 120 "future: notAfter"
assert_match "$(verify_int "$LEAF")" "certificate is not yet valid"
say "  ok: $V: certificate is not yet valid"

forge not_yet_valid_skew
near "$(notbefore "$LEAF")" $(($(now) + 120)) 15 "not_yet_valid_skew: notBefore"
near "$(notafter "$LEAF")" $(($(now) + 90 * 86400)) 120 "not_yet_valid_skew: notAfter"
assert_match "$(verify_int "$LEAF")" "certificate is not yet valid"
say "  ok: $V: certificate is not yet valid (for two minutes)"

forge backdated
near "$(notbefore "$LEAF")" $(($(now) - 7 * 86400)) 120 "backdated: notBefore"
near "$(notafter "$LEAF")" $(($(now) + 90 * 86400)) 120 "backdated: notAfter"
assert_match "$(verify_int "$LEAF")" ": OK$"
say "  ok: $V: OK"

forge bad_signature
openssl x509 -in "$LEAF" -noout -text >/dev/null || fail "bad_signature: does not parse"
"$PYTHON" -c 'import sys; from cryptography import x509
x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())' "$LEAF" ||
	fail "bad_signature: cryptography cannot parse it"
assert_match "$(verify_int "$LEAF")" "certificate signature failure"
say "  ok: parses (openssl, cryptography); $V: certificate signature failure"

forge ca_leaf
assert_match "$(openssl x509 -in "$LEAF" -noout -ext basicConstraints)" "CA:TRUE"
assert_match "$(verify_int "$LEAF")" ": OK$"
say "  ok: CA:TRUE; $V: OK"

forge leaf_as_chain
assert_eq "$(ncerts "$T/leaf_as_chain.pem")" 2 "leaf_as_chain: certificates"
cmp -s "$T/leaf_as_chain.pem.1.pem" "$T/leaf_as_chain.pem.2.pem" ||
	fail "leaf_as_chain: the chain is not the leaf"
say "  ok: the second certificate is the leaf again"

forge wrong_issuer
assert_eq "$(ncerts "$T/wrong_issuer.pem")" 2 "wrong_issuer: certificates"
other=$T/wrong_issuer.pem.2.pem
assert_match "$(openssl x509 -in "$other" -noout -subject)" "acmed test forging other intermediate"
assert_match "$(openssl verify -CAfile "$CA_PROXY_FORGE_ROOT" "$other" 2>&1)" ": OK$"
assert_match "$(openssl verify -CAfile "$CA_PROXY_FORGE_ROOT" -untrusted "$other" "$LEAF" 2>&1)" \
	"unable to get local issuer certificate"
assert_match "$(verify_int "$LEAF")" ": OK$"
say "  ok: the intermediate sent is another one (signed by the root); with it the leaf does not verify, with the real one it does"

forge extra_name
first=$(sans "$T/real.pem" | grep -oE 'DNS:[^, ]+' | head -1)
assert_eq "$(sans "$LEAF")" "$(sans "$T/real.pem"), DNS:extra.${first#DNS:}" "extra_name: names"
say "  ok: $(sans "$LEAF")"

forge other_key
[[ $(pubkey "$LEAF") != "$csr_key" ]] || fail "other_key: the CSR's key"
assert_match "$(verify_int "$LEAF")" ": OK$"
say "  ok: not the CSR's key; $V: OK"

check_oversized() { # FILE LIMIT
	"$PYTHON" - "$1" "$2" "$CA_PROXY_FORGE_INTERMEDIATE" <<-'CHECK'
		import sys
		body, limit, inter = open(sys.argv[1], "rb").read(), int(sys.argv[2]), open(sys.argv[3], "rb").read()
		end = body.index(b"-----END CERTIFICATE-----\n") + 26
		rest = body[end:]
		n = len(rest) // len(inter)
		assert rest == inter * n, "after the leaf: not copies of the intermediate"
		assert len(body) <= limit < len(body) + len(inter), (len(body), limit)
		print("%d bytes: the leaf and %d copies of the intermediate" % (len(body), n))
	CHECK
}
forge oversized
say "  ok: $(check_oversized "$T/oversized.pem" 1048000)"
forge oversized '"oversize_bytes": 5000'
say "  ok: $(check_oversized "$T/oversized.pem" 5000) (oversize_bytes 5000)"
say "the fault had \"times\": 1: the next download is Pebble's chain"
A post "$CERT_URL" "" "$T/again.pem" >/dev/null
cmp -s "$T/again.pem" "$T/real.pem" || fail "the download after the fault is not Pebble's chain"
proxy_config '{}'

# ------------------------------------------------------------ challenges

chal_error='{"type": "urn:ietf:params:acme:error:connection", "detail": "injected: connection refused"}'
say "challenges: an authorization that stays pending with an invalid challenge until the second challenge POST"
A order "u.$TEST_DOMAIN" >/dev/null
C=$(A chal 0)
ORDER=$(jq -r .order "$T/acct.json")
proxy_config "{\"faults\": [{\"path\": \"^/authZ/\", \"until_posts\": 2, \"edit\": {
	\"json\": {\"status\": \"pending\"},
	\"challenges\": {\"status\": \"invalid\", \"error\": $chal_error}}}]}"
out=$(A authz 0)
ok "before any challenge POST: pending, every challenge invalid with the error" \
	'.body.status == "pending" and ([.body.challenges[] | select(.status == "invalid" and .error.type == "urn:ietf:params:acme:error:connection")] | length) == (.body.challenges | length)' "$out"
out=$(A post "$C" '{}')
ok "the first challenge POST goes to Pebble: 200, pending" '.status == 200 and .body.status == "pending"' "$out"
for _ in $(seq 50); do
	[[ $(A post "$ORDER" "" | jq -r .body.status) == ready ]] && break
	sleep 0.1
done
out=$(A authz 0)
ok "Pebble has validated it (the order is ready), the authorization still looks pending with the error" \
	'.body.status == "pending" and (.body.challenges[] | select(.type == "http-01") | .status == "invalid" and .error.detail == "injected: connection refused")' "$out"
out=$(A post "$C" '{}')
say "  the second challenge POST (a re-POST): $(jq -c '{status, link: .headers.link, body}' <<<"$out")"
ok "re-POST: 200, the first answer's challenge with status processing, Link up" \
	'.status == 200 and .body.status == "processing" and .body.type == "http-01" and (.headers.link | any(test("authZ/.*rel=\"up\"")))' "$out"
ok "logged as injected, repost" 'length == 1' \
	"$(proxy_requests '.repost == true and .injected == true and .upstream_status == 400' | jq -s .)"
out=$(A authz 0)
ok "after the second challenge POST: Pebble's own answer, valid" \
	'.body.status == "valid" and (.body.challenges[0] | .status == "valid" and (has("error") | not))' "$out"

say "challenges: a pending challenge with an error, in the challenge's own answer"
proxy_config "{\"faults\": [{\"path\": \"^/chalZ/\", \"edit\": {
	\"challenges\": {\"status\": \"pending\", \"error\": $chal_error}}}]}"
out=$(A post "$C" "")
ok "POST-as-GET of the challenge: pending, with the error" \
	'.body.status == "pending" and .body.error.type == "urn:ietf:params:acme:error:connection" and .body.type == "http-01"' "$out"

say "what Pebble itself answers to a challenge re-POST"
proxy_config '{"accept_reposts": false}'
out=$(A post "$C" '{}')
say "  a valid challenge: $(jq -c '{status, body}' <<<"$out")"
ok "400 malformed, status valid" \
	'.status == 400 and .body.type == "urn:ietf:params:acme:error:malformed" and (.body.detail | test("Cannot update challenge with status valid, only status pending"))' "$out"
A order "fail.$TEST_DOMAIN" >/dev/null
F=$(A chal 0)
out=$(A post "$F" '{}')
ok "a challenge that will fail: first POST 200" '.status == 200' "$out"
for _ in $(seq 50); do
	[[ $(A authz 0 | jq -r .body.status) == invalid ]] && break
	sleep 0.1
done
out=$(A post "$F" '{}')
say "  an invalid challenge: $(jq -c '{status, body}' <<<"$out")"
ok "400 malformed, status invalid" \
	'.status == 400 and (.body.detail | test("Cannot update challenge with status invalid"))' "$out"
proxy_config '{"accept_reposts": true}'
out=$(A post "$F" '{}')
ok "with accept_reposts: 200 processing" '.status == 200 and .body.status == "processing"' "$out"

say "while Pebble validates (the responder answers 3 s late), a re-POST"
stop_pid "$RESPONDER" || true
spawn responder "$T/responder2.log" "$PYTHON" "$T/acme.py" "$T/acct.json" "$ACMED_SERVER" \
	"$PEBBLE_CA_BUNDLE" serve "$HTTP01_PORT" 3
RESPONDER=$SPAWNED_PID
wait_for responder "$RESPONDER" curl -sf "http://127.0.0.1:$HTTP01_PORT/x"
proxy_config '{"accept_reposts": false}'
A order "s.$TEST_DOMAIN" >/dev/null
S=$(A chal 0)
A post "$S" '{}' >/dev/null
out=$(A post "$S" '{}')
say "  answer: $(jq -c '{status, body}' <<<"$out")"
ok "Pebble accepts it: 200, the challenge still pending" '.status == 200 and .body.status == "pending"' "$out"
stop_pid "$RESPONDER" || true

# ------------------------------------------------------------ headers, control characters

say "set_headers, and control characters in json and detail"
proxy_config '{"faults": [{"path": "^/order-plz", "times": 1, "edit": {
	"set_headers": {"Location": "https://127.0.0.1:1/my-order/\u001b[31mred\u001b[0m", "X-Test": "b\u00e4d"},
	"json": {"identifiers": [{"type": "dns", "value": "evil\u001b]8;;https://x/\u0007.acmed.test"}],
	         "status": "pending\r\n"}}}]}'
out=$(A order "h.$TEST_DOMAIN")
say "  $(jq -c '{location: .headers.location, x: .headers["x-test"], identifiers: .body.identifiers, status: .body.status}' <<<"$out")"
ok "Location with ESC" '.headers.location == ["https://127.0.0.1:1/my-order/\u001b[31mred\u001b[0m"]' "$out"
ok "X-Test as UTF-8 bytes (read as Latin-1)" '.headers["x-test"] == ["b\u00c3\u00a4d"]' "$out"
ok "an identifier with ESC and BEL" '.body.identifiers[0].value == "evil\u001b]8;;https://x/\u0007.acmed.test"' "$out"
ok "a status with CR LF" '.body.status == "pending\r\n"' "$out"
proxy_config '{"faults": [{"path": "^/order-plz", "status": 403, "type": "unauthorized", "times": 1,
	"detail": "no\u001b[2J\u0007 way\nsecond line \u00e9"}]}'
new_order=$(curl -sSf --cacert "$PEBBLE_CA_BUNDLE" "$ACMED_SERVER" | jq -r .newOrder)
out=$(A post "$new_order" "{\"identifiers\": [{\"type\": \"dns\", \"value\": \"h.$TEST_DOMAIN\"}]}")
say "  $(jq -c '{status, body}' <<<"$out")"
ok "a problem detail with ESC, BEL, LF" \
	'.status == 403 and .body.detail == "no\u001b[2J\u0007 way\nsecond line \u00e9" and .body.type == "urn:ietf:params:acme:error:unauthorized"' "$out"
jq -e . "$CA_PROXY_LOG" >/dev/null || fail "the proxy's log is not JSON lines any more"
proxy_config '{}'

# ------------------------------------------------------------ end to end

if [[ -x $ACMED && -x $ACMECTL ]]; then
	say "end to end: acmectl certonly through a forge valid fault"
	start_acmed
	N=x.$TEST_DOMAIN
	proxy_config '{"faults": [{"path": "^/certZ/", "forge": "valid", "times": 1}]}'
	assert_exit 0 "$ACMECTL" certonly --standalone --http-01-port "$HTTP01_PORT" -d "$N" \
		--agree-tos -m a@example.org -n
	proxy_config '{}'
	assert_eq "$(proxy_requests '.forged == "valid"' | wc -l)" 2 "log entries with forged: valid"
	stored=$T/state/archive/$N/fullchain1.pem
	assert_file "$stored"
	say "  stored: $(openssl x509 -in "$stored" -noout -issuer -ext subjectAltName | tr -s '\n ' ' ')"
	assert_match "$(openssl x509 -in "$stored" -noout -issuer)" "acmed test forging intermediate"
	assert_match "$(verify_int "$stored")" ": OK$"
	assert_eq "$(pubkey "$stored")" "$(openssl pkey -in "$T/state/archive/$N/privkey1.pem" -pubout)" \
		"the stored key and the forged certificate's"
else
	say "acmed is not built: no end-to-end check"
fi

pass
