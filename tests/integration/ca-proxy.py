#!/usr/bin/python3
r"""ca-proxy.py: a small HTTPS proxy in front of Pebble, for the tests.

Pebble 2.4 has no ARI (RFC 9773) and no profiles, and cannot be made to
answer 5xx or 429 on demand. This proxy forwards every request to Pebble
unchanged (the Host header included, so Pebble's URLs point back at the
proxy and JWS "url" checks pass), and, as its config file says:

  - adds "renewalInfo" to the directory and answers GET renewal-info/ID;
  - adds meta.profiles to the directory;
  - answers chosen requests with an error (status, Retry-After, a problem
    document) instead of forwarding them, or drops the connection;
  - changes Pebble's answers (body, headers, challenge objects);
  - replaces a certificate download by a forged chain.

The config file (JSON) is re-read when it changes, so a test can switch
faults on and off while acmed runs:

  {
    "ari": {"start": "2026-01-01T00:00:00Z", "end": "...", "retry_after": 3600}
           or {"start": ..., "end": ...} per certificate ID under "windows",
           "answer": "malformed" | "inverted" | "missing" for a bad answer,
    "profiles": {"classic": "the default", "shortlived": "6 days"},
    "faults": [{"path": "REGEX", "method": "POST", "status": 503,
                "retry_after": "120", "type": "serverInternal",
                "detail": "...",         # any string, "\u001b[31m" too
                "times": 1}]            # "times" omitted: every time;
                                        # "until_posts": K: only while the
                                        # proxy has seen fewer than K
                                        # challenge POSTs (see below);
                                        # {"path":..., "delay": 3}: forward
                                        # after 3 s; "ari": {"delay": 3, ...}
                                        # delays renewal-info answers
                                        # {"path":..., "edit": {...}}:
                                        # forward, then change the answer:
                                        # "truncate": true (half the body,
                                        # then hang up), "pad_mb": N (an N
                                        # MiB body), "content_type": "...",
                                        # "drop_headers": ["Replay-Nonce"],
                                        # "set_headers": {"Location": "..."}
                                        # (replaced or added, sent as UTF-8
                                        # with control characters and all),
                                        # "json": {...} (merged in at the
                                        # top; JSON escapes such as
                                        # "\u001b" arrive as escapes),
                                        # "challenges": {...} (merged into
                                        # every object of "challenges", and
                                        # into the answer itself when it is
                                        # a challenge: has "type" and "url"),
                                        # "token": "../x" (every challenge),
                                        # "body_file": PATH (the body)
                                        # {"path": "^/certZ/", "forge": KIND,
                                        # "times": 1}: forward, then send a
                                        # forged chain instead (see below)
    "accept_reposts": true,              # see "Challenge re-POSTs" below
    "down": true                         # drop every connection
  }

Forged certificates. At start-up the proxy makes its own CA: an EC P-256
root "acmed test forging root" and an intermediate "acmed test forging
intermediate" signed by it (both CA:TRUE, keyCertSign), and writes them to
forge-root.pem and forge-intermediate.pem in the config file's directory.
A "forge" fault forwards the request (a nonce is used up, Pebble's real
chain is known) and, if Pebble answers 200, replaces the body (any other
answer, such as badNonce, goes through unchanged, "forge_skipped": true in
its log entry, and does not count as one of the fault's "times"). The forged
leaf has Pebble's leaf's subject and SubjectAltNames (DNS and IP names, in
order) and the public key of the CSR of the last finalize request the
proxy saw (Pebble's leaf's key if it saw none); as KIND says, it is

  valid               CA:FALSE (critical), keyUsage digitalSignature
                      (critical), EKU serverAuth, SKI and AKI, valid from
                      now-1h to now+90d, signed by the forging intermediate;
                      the body is the leaf and that intermediate in PEM;
  expired             valid from now-100d to now-10d;
  future              valid from now+3650d to now+3740d;
  not_yet_valid_skew  valid from now+120s (a CA clock 2 min ahead);
  backdated           valid from now-7d (a CA that backdates);
  bad_signature       one bit of the signature flipped (still parses);
  ca_leaf             basicConstraints CA:TRUE;
  leaf_as_chain       the body is the leaf, then the same leaf again;
  wrong_issuer        the chain sent is another intermediate (another name
                      and key, signed by the forging root), not the one
                      that signed the leaf;
  extra_name          one more DNS name, "extra." + the first DNS name;
  other_key           for a new key, not the CSR's;
  oversized           the leaf and intermediate, then more copies of the
                      intermediate while the body stays at or under the
                      fault's "oversize_bytes" (default 1048000) bytes;

otherwise as valid. Its log entry has "forged": KIND.

Challenge POSTs. "until_posts": K on a fault makes it apply only while the
number of POSTs with payload {} to challenge URLs (^/chalZ/) is below K,
counted since the config last changed (as "times" is); a challenge POST is
counted after its own fault is picked, so "until_posts": 1 on ^/chalZ/
changes the first one, and not at all if Pebble refuses it with badNonce
(the client sends it again). With "edit": {"json": {"status": "pending"},
"challenges": {"status": "invalid", "error": {...}}} on ^/authZ/ and
"until_posts": 2, an authorization looks pending with a failed challenge
until the client POSTs the challenge a second time.

Challenge re-POSTs. Pebble answers a {} POST to a challenge that is no
longer pending (valid or invalid) 400 malformed "Cannot update challenge
with status valid, only status pending"; while it validates, the challenge
stays "pending" and a re-POST is accepted (200, another validation). With
"accept_reposts": true (the default when a fault has "until_posts"), the
proxy still forwards such a re-POST (so the nonce is used up) but, when
Pebble refuses it that way, answers 200 with the challenge object Pebble
returned to the first {} POST of that URL, "status": "processing", Pebble's
new Replay-Nonce and the first answer's Link rel="up", as a CA that
validates inside the POST and accepts re-POSTs would. Logged with
"injected": true, "repost": true, "upstream_status": 400.

Every request is logged to the log file as one JSON line: time, method,
path, the client's User-Agent, the answer's status, whether it was
injected, and for a JWS POST its decoded payload (so tests can see
"replaces", "profile" and an account's "contact").

Usage: ca-proxy.py PORT UPSTREAM_URL CERT KEY CA_BUNDLE CONFIG LOG
"""
import base64
import datetime
import http.client
import http.server
import json
import os
import re
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PORT, UPSTREAM, CERT, KEY, CA, CONFIG, LOG = sys.argv[1:8]
up = urllib.parse.urlsplit(UPSTREAM)
lock = threading.Lock()
# used: uses of each fault; chal_posts: challenge POSTs with payload {}
# (both since the config last changed); csr_key: the public key of the
# last finalize's CSR; chal_first: Pebble's 200 answer to the first {} POST
# of each challenge URL (the object and its Link rel="up").
state = {"mtime": None, "config": {}, "used": {}, "chal_posts": 0,
         "csr_key": None, "chal_first": {}}
up_ctx = ssl.create_default_context(cafile=CA)
CHALLENGE_PATH = re.compile(r"^/chalZ/")
FINALIZE_PATH = re.compile(r"^/finalize-order/")


def config():
    """The config, re-read if the file changed."""
    with lock:
        try:
            mtime = os.stat(CONFIG).st_mtime_ns
        except FileNotFoundError:
            return {}
        if mtime != state["mtime"]:
            with open(CONFIG) as f:
                text = f.read()
            state["config"] = json.loads(text) if text.strip() else {}
            state["mtime"] = mtime
            state["used"] = {}
            state["chal_posts"] = 0
        return state["config"]


def log(entry):
    entry["t"] = round(time.time(), 3)
    with lock, open(LOG, "a") as f:
        f.write(json.dumps(entry) + "\n")


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jws_payload(body):
    try:
        obj = json.loads(body)
        raw = b64d(obj["payload"])
        return json.loads(raw) if raw else ""
    except Exception:
        return None


def pick_fault(cfg, method, path):
    """The first matching fault with uses left (and count the use)."""
    for i, f in enumerate(cfg.get("faults", [])):
        if f.get("method", method) != method or not re.search(f.get("path", ""), path):
            continue
        with lock:
            used = state["used"].get(i, 0)
            if "times" in f and used >= f["times"]:
                continue
            if "until_posts" in f and state["chal_posts"] >= f["until_posts"]:
                continue
            state["used"][i] = used + 1
        return f
    return None


def unuse(cfg, fault):
    """Give back the use pick_fault counted for FAULT."""
    with lock:
        if state["config"] is not cfg:
            return
        for i, f in enumerate(cfg.get("faults", [])):
            if f is fault and state["used"].get(i, 0) > 0:
                state["used"][i] -= 1


# ------------------------------------------------------------ forging

DAY = datetime.timedelta(days=1)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def cn_name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def make_ca(cn, key, issuer=None, issuer_key=None):
    """A CA certificate for KEY: self-signed, or signed by ISSUER."""
    now = utcnow()
    b = (x509.CertificateBuilder()
         .subject_name(cn_name(cn))
         .issuer_name(issuer.subject if issuer else cn_name(cn))
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - 200 * DAY)   # older than any forged leaf
         .not_valid_after(now + 4000 * DAY)   # and outlives it
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(
             digital_signature=False, content_commitment=False, key_encipherment=False,
             data_encipherment=False, key_agreement=False, key_cert_sign=True,
             crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                        critical=False))
    if issuer:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    return b.sign(issuer_key or key, hashes.SHA256())


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def der_to_pem(der):
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) +
            "\n-----END CERTIFICATE-----\n").encode()


def write_atomically(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


# The forging CA, new at every start: its root and intermediate are written
# next to the config file, for tests that want to verify a forged chain.
FORGE_DIR = os.path.dirname(os.path.abspath(CONFIG))
forge_root_key = new_key()
forge_root = make_ca("acmed test forging root", forge_root_key)
forge_int_key = new_key()
forge_int = make_ca("acmed test forging intermediate", forge_int_key,
                    forge_root, forge_root_key)
write_atomically(os.path.join(FORGE_DIR, "forge-intermediate.pem"), pem(forge_int))
write_atomically(os.path.join(FORGE_DIR, "forge-root.pem"), pem(forge_root))

# KIND: (notBefore, notAfter) relative to now.
FORGE_TIMES = {
    "valid": (-datetime.timedelta(hours=1), 90 * DAY),
    "expired": (-100 * DAY, -10 * DAY),
    "future": (3650 * DAY, 3740 * DAY),
    "not_yet_valid_skew": (datetime.timedelta(seconds=120), 90 * DAY),
    "backdated": (-7 * DAY, 90 * DAY),
}
FORGE_KINDS = set(FORGE_TIMES) | {"bad_signature", "ca_leaf", "leaf_as_chain",
                                  "wrong_issuer", "extra_name", "other_key",
                                  "oversized"}


def first_cert(chain):
    """The first certificate of a PEM chain."""
    m = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", chain, re.S)
    return x509.load_pem_x509_certificate(m.group(0))


def forge(kind, real_chain, fault):
    """The PEM chain sent instead of Pebble's REAL_CHAIN (see the module doc)."""
    real = first_cert(real_chain)
    try:
        san = real.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = [n for n in san.value if isinstance(n, (x509.DNSName, x509.IPAddress))]
        san_critical = san.critical
    except x509.ExtensionNotFound:
        names, san_critical = [], False
    if kind == "extra_name":
        dns = [n.value for n in names if isinstance(n, x509.DNSName)]
        names.append(x509.DNSName("extra." + (dns[0] if dns else "invalid")))
    with lock:
        key = state["csr_key"]
    if key is None:  # no finalize seen (the proxy started later): Pebble's key
        key = real.public_key()
    if kind == "other_key":
        key = new_key().public_key()
    before, after = FORGE_TIMES.get(kind, FORGE_TIMES["valid"])
    now = utcnow()
    leaf = (x509.CertificateBuilder()
            .subject_name(real.subject)
            .issuer_name(forge_int.subject)
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + before)
            .not_valid_after(now + after)
            .add_extension(x509.BasicConstraints(ca=kind == "ca_leaf", path_length=None),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                forge_int_key.public_key()), critical=False))
    if names:
        leaf = leaf.add_extension(x509.SubjectAlternativeName(names), critical=san_critical)
    leaf = leaf.sign(forge_int_key, hashes.SHA256())
    leaf_pem, int_pem = pem(leaf), pem(forge_int)
    if kind == "bad_signature":
        # Certificate ::= SEQUENCE {tbs, algorithm, signatureValue BIT STRING}:
        # the last byte of the DER is the last byte of the signature (of
        # ECDSA's s), so flipping its low bit keeps the DER well-formed.
        der = bytearray(leaf.public_bytes(serialization.Encoding.DER))
        der[-1] ^= 0x01
        leaf_pem = der_to_pem(bytes(der))
    if kind == "leaf_as_chain":
        return leaf_pem + leaf_pem
    if kind == "wrong_issuer":
        other = make_ca("acmed test forging other intermediate", new_key(),
                        forge_root, forge_root_key)
        return leaf_pem + pem(other)
    body = leaf_pem + int_pem
    if kind == "oversized":
        limit = fault.get("oversize_bytes", 1048000)
        body += int_pem * max(0, (limit - len(body)) // len(int_pem))
    return body


def accept_reposts(cfg):
    """Whether a re-POST of a challenge that Pebble refuses is answered 200."""
    if "accept_reposts" in cfg:
        return bool(cfg["accept_reposts"])
    return any("until_posts" in f for f in cfg.get("faults", []))


def note_finalize(payload):
    """Keep the public key of a finalize request's CSR, for forge."""
    try:
        csr = x509.load_der_x509_csr(b64d(payload["csr"]))
        with lock:
            state["csr_key"] = csr.public_key()
    except Exception as e:  # a test sending a broken CSR on purpose
        print("ca-proxy: finalize CSR not understood: %r" % e, file=sys.stderr)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def drop(self):
        """Close the connection without an answer, as a dead server would."""
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        cfg = config()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        entry = {"method": self.command, "path": self.path,
                 "user_agent": self.headers.get("User-Agent")}
        if self.command == "POST":
            entry["payload"] = jws_payload(body)
            if FINALIZE_PATH.search(self.path) and isinstance(entry["payload"], dict):
                note_finalize(entry["payload"])
        if cfg.get("down"):
            entry["status"] = "dropped"
            log(entry)
            self.drop()
            return
        fault = pick_fault(cfg, self.command, self.path)
        # A challenge POST counts for "until_posts" once its own fault is
        # picked: "until_posts": 1 on the challenge applies to the first.
        chal_post = (self.command == "POST" and CHALLENGE_PATH.search(self.path)
                     and entry["payload"] == {})
        if chal_post:
            with lock:
                state["chal_posts"] += 1
        if fault and "forge" in fault and fault["forge"] not in FORGE_KINDS:
            entry.update(status=500, injected=True, error="unknown forge kind")
            log(entry)
            self.reply(500, json.dumps({
                "type": "urn:ietf:params:acme:error:serverInternal",
                "detail": "ca-proxy.py: unknown forge kind %r" % fault["forge"],
                "status": 500}).encode(), [("Content-Type", "application/problem+json")])
            return
        if fault and ("edit" in fault or "forge" in fault):
            entry["injected"] = True
            self.forward(cfg, body, entry, fault.get("edit"), fault, chal_post)
            return
        if fault and "status" not in fault and not fault.get("drop"):
            time.sleep(fault.get("delay", 0))
            fault = None
        if fault:
            entry.update(status=fault.get("status", 500), injected=True)
            log(entry)
            if fault.get("drop"):
                self.drop()
                return
            problem = json.dumps({
                "type": "urn:ietf:params:acme:error:" + fault.get("type", "serverInternal"),
                "detail": fault.get("detail", "injected by the test proxy"),
                "status": fault.get("status", 500)}).encode()
            headers = [("Content-Type", "application/problem+json")]
            if "retry_after" in fault:
                headers.append(("Retry-After", str(fault["retry_after"])))
            self.reply(fault.get("status", 500), problem, headers)
            return
        if self.command == "GET" and "/renewal-info/" in self.path and "ari" in cfg:
            self.renewal_info(cfg["ari"], self.path.rsplit("/", 1)[1], entry)
            return
        self.forward(cfg, body, entry, chal_post=chal_post)

    def renewal_info(self, ari, cert_id, entry):
        time.sleep(ari.get("delay", 0))
        answer = ari.get("answer", "ok")
        window = ari.get("windows", {}).get(cert_id, ari)
        headers = [("Content-Type", "application/json")]
        if "retry_after" in ari:
            headers.append(("Retry-After", str(ari["retry_after"])))
        if answer == "missing":
            entry["status"] = 404
            log(entry)
            self.reply(404, b'{"type":"urn:ietf:params:acme:error:malformed",'
                            b'"detail":"no such certificate"}',
                       [("Content-Type", "application/problem+json")])
            return
        if answer == "malformed":
            body = b'{"suggestedWindow": {"start": "yesterday"'
        elif answer == "inverted":
            body = json.dumps({"suggestedWindow": {"start": window["end"],
                                                   "end": window["start"]}}).encode()
        else:
            obj = {"suggestedWindow": {"start": window["start"], "end": window["end"]}}
            if "explanation" in ari:
                obj["explanationURL"] = ari["explanation"]
            body = json.dumps(obj).encode()
        entry.update(status=200, ari=answer, cert_id=cert_id)
        log(entry)
        self.reply(200, body, headers)

    def forward(self, cfg, body, entry, edit=None, fault=None, chal_post=False):
        conn = http.client.HTTPSConnection(up.hostname, up.port, context=up_ctx, timeout=30)
        headers = {"Host": self.headers.get("Host", "")}
        if self.headers.get("Content-Type"):
            headers["Content-Type"] = self.headers["Content-Type"]
        conn.request(self.command, self.path, body=body if body else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        status = resp.status
        out = []
        for k, v in resp.getheaders():
            if k.lower() in ("content-type", "replay-nonce", "location", "link",
                             "retry-after", "cache-control"):
                out.append((k, v))
        if self.command == "GET" and urllib.parse.urlsplit(self.path).path == up.path:
            data = self.edit_directory(cfg, data)
        conn.close()
        entry["status"] = status
        if chal_post and status == 400 and b"badNonce" in data:
            # Not counted for "until_posts": the client sends it again.
            with lock:
                if state["config"] is cfg:
                    state["chal_posts"] -= 1
        elif chal_post:
            status, data, out = self.challenge_post(cfg, status, data, out, entry)
        if fault and "forge" in fault:
            if status == 200:
                data = forge(fault["forge"], data, fault)
                entry["forged"] = fault["forge"]
            else:  # e.g. badNonce: the client tries again, forge that one
                unuse(cfg, fault)
                entry["forge_skipped"] = True
        log(entry)
        if edit:
            self.reply_edited(status, data, out, edit)
            return
        self.reply(status, data, out)

    def challenge_post(self, cfg, status, data, headers, entry):
        """Keep Pebble's first answer to a challenge POST; answer a re-POST
        that Pebble refuses (the challenge is no longer pending) with it."""
        path = urllib.parse.urlsplit(self.path).path
        ups = [v for k, v in headers if k.lower() == "link" and 'rel="up"' in v]
        with lock:
            first = state["chal_first"].get(path)
            if status == 200 and first is None:
                try:
                    state["chal_first"][path] = (json.loads(data), ups)
                except ValueError:
                    pass
                return status, data, headers
        if first is None or status != 400 or not accept_reposts(cfg):
            return status, data, headers
        try:
            problem = json.loads(data)
        except ValueError:
            return status, data, headers
        if not (problem.get("type", "").endswith(":malformed")
                and "Cannot update challenge" in problem.get("detail", "")):
            return status, data, headers
        obj, ups = first
        obj = dict(obj, status="processing")
        headers = [(k, v) for k, v in headers if k.lower() in ("replay-nonce", "link")]
        headers.append(("Content-Type", "application/json; charset=utf-8"))
        headers += [("Link", v) for v in ups if ("Link", v) not in headers]
        entry.update(status=200, injected=True, repost=True, upstream_status=status)
        return 200, json.dumps(obj, indent=3).encode(), headers

    def reply_edited(self, status, data, headers, edit):
        """Pebble's answer, changed as EDIT says (see the module doc)."""
        if "json" in edit or "token" in edit or "challenges" in edit:
            obj = json.loads(data)
            obj.update(edit.get("json", {}))
            for ch in obj.get("challenges", []) if "token" in edit else []:
                ch["token"] = edit["token"]
            if "challenges" in edit:
                chals = obj.get("challenges")
                for ch in chals if isinstance(chals, list) else []:
                    if isinstance(ch, dict):
                        ch.update(edit["challenges"])
                if "type" in obj and "url" in obj:  # a challenge itself
                    obj.update(edit["challenges"])
            data = json.dumps(obj).encode()
        if "body_file" in edit:
            with open(edit["body_file"], "rb") as f:
                data = f.read()
        if "pad_mb" in edit:
            data = b'{"status": "' + b"x" * (edit["pad_mb"] << 20) + b'"}'
        drop = [h.lower() for h in edit.get("drop_headers", [])]
        headers = [(k, v) for k, v in headers if k.lower() not in drop]
        if "content_type" in edit and status < 300:  # a JSON answer, not a problem
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("Content-Type", edit["content_type"]))
        for name, value in edit.get("set_headers", {}).items():
            # Sent as UTF-8 bytes, control characters and all.
            headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
            headers.append((name, value.encode("utf-8").decode("latin-1")))
        if edit.get("truncate"):
            # Announce the whole body, send half of it, hang up.
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.drop()
            return
        self.reply(status, data, headers)

    def edit_directory(self, cfg, data):
        d = json.loads(data)
        if "ari" in cfg:
            d["renewalInfo"] = "https://%s/renewal-info" % self.headers.get("Host")
        if "profiles" in cfg:
            d.setdefault("meta", {})["profiles"] = cfg["profiles"]
        return json.dumps(d).encode()

    do_GET = do_POST = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", int(PORT)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
