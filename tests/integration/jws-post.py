#!/usr/bin/python3
"""jws-post.py: one signed ACME request, made without acmed, for the tests.

Signs a POST-as-GET (or a JSON payload) to URL with an EC P-256 key
(ES256) or an RSA key (RS256, as certbot's accounts have) in PEM (openssl
does the signing), as account KID, with a fresh nonce from the
directory's newNonce, and prints the HTTP status and the body. The tests
use it to show that a CA refuses a key acmed no longer uses.

Usage: jws-post.py DIRECTORY_URL CA_BUNDLE KEY_PEM KID URL [PAYLOAD_JSON]
"""
import base64
import json
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

directory, ca, key, kid, url = sys.argv[1:6]
payload = sys.argv[6] if len(sys.argv) > 6 else ""
ctx = ssl.create_default_context(cafile=ca)


def b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def der_to_raw(sig):
    """An ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) as r || s, 32 bytes each."""
    assert sig[0] == 0x30
    i = 2 if sig[1] < 0x80 else 2 + (sig[1] & 0x7F)
    out = b""
    for _ in range(2):
        assert sig[i] == 0x02
        n = sig[i + 1]
        out += sig[i + 2:i + 2 + n].lstrip(b"\0").rjust(32, b"\0")
        i += 2 + n
    return out


d = json.load(urllib.request.urlopen(directory, context=ctx))
rsa = "modulus:" in subprocess.run(["openssl", "pkey", "-in", key, "-noout", "-text"],
                                   capture_output=True, check=True, text=True).stdout


def attempt():
    nonce = urllib.request.urlopen(urllib.request.Request(d["newNonce"], method="HEAD"),
                                   context=ctx).headers["Replay-Nonce"]
    protected = b64(json.dumps({"alg": "RS256" if rsa else "ES256", "kid": kid, "nonce": nonce,
                                "url": url}).encode())
    body = b64(payload.encode()) if payload else ""
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                         input=(protected + "." + body).encode(), capture_output=True,
                         check=True).stdout
    jws = json.dumps({"protected": protected, "payload": body,
                      "signature": b64(sig if rsa else der_to_raw(sig))})
    req = urllib.request.Request(url, data=jws.encode(), method="POST",
                                 headers={"Content-Type": "application/jose+json"})
    try:
        resp = urllib.request.urlopen(req, context=ctx)
        return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# Pebble refuses some nonces on purpose: try again then, as any client.
for _ in range(10):
    status, text = attempt()
    if "badNonce" not in text:
        break
print(status)
print(text)
