#!/usr/bin/python3
"""ca-proxy.py: a small HTTPS proxy in front of Pebble, for the tests.

Pebble 2.4 has no ARI (RFC 9773) and no profiles, and cannot be made to
answer 5xx or 429 on demand. This proxy forwards every request to Pebble
unchanged (the Host header included, so Pebble's URLs point back at the
proxy and JWS "url" checks pass), and, as its config file says:

  - adds "renewalInfo" to the directory and answers GET renewal-info/ID;
  - adds meta.profiles to the directory;
  - answers chosen requests with an error (status, Retry-After, a problem
    document) instead of forwarding them, or drops the connection.

The config file (JSON) is re-read when it changes, so a test can switch
faults on and off while acmed runs:

  {
    "ari": {"start": "2026-01-01T00:00:00Z", "end": "...", "retry_after": 3600}
           or {"start": ..., "end": ...} per certificate ID under "windows",
           "answer": "malformed" | "inverted" | "missing" for a bad answer,
    "profiles": {"classic": "the default", "shortlived": "6 days"},
    "faults": [{"path": "REGEX", "method": "POST", "status": 503,
                "retry_after": "120", "type": "serverInternal",
                "times": 1}]            # "times" omitted: every time;
                                        # {"path":..., "delay": 3}: forward
                                        # after 3 s; "ari": {"delay": 3, ...}
                                        # delays renewal-info answers
                                        # {"path":..., "edit": {...}}:
                                        # forward, then change the answer:
                                        # "truncate": true (half the body,
                                        # then hang up), "pad_mb": N (an N
                                        # MiB body), "content_type": "...",
                                        # "drop_headers": ["Replay-Nonce"],
                                        # "json": {...} (merged in),
                                        # "token": "../x" (every challenge),
                                        # "body_file": PATH (the body)
    "down": true                         # drop every connection
  }

Every request is logged to the log file as one JSON line: time, method,
path, the answer's status, whether it was injected, and for a JWS POST its
decoded payload (so tests can see "replaces" and "profile").

Usage: ca-proxy.py PORT UPSTREAM_URL CERT KEY CA_BUNDLE CONFIG LOG
"""
import base64
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

PORT, UPSTREAM, CERT, KEY, CA, CONFIG, LOG = sys.argv[1:8]
up = urllib.parse.urlsplit(UPSTREAM)
lock = threading.Lock()
state = {"mtime": None, "config": {}, "used": {}}
up_ctx = ssl.create_default_context(cafile=CA)


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
            state["used"][i] = used + 1
        return f
    return None


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
        entry = {"method": self.command, "path": self.path}
        if self.command == "POST":
            entry["payload"] = jws_payload(body)
        if cfg.get("down"):
            entry["status"] = "dropped"
            log(entry)
            self.drop()
            return
        fault = pick_fault(cfg, self.command, self.path)
        if fault and "edit" in fault:
            entry["injected"] = True
            self.forward(cfg, body, entry, fault["edit"])
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
        self.forward(cfg, body, entry)

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

    def forward(self, cfg, body, entry, edit=None):
        conn = http.client.HTTPSConnection(up.hostname, up.port, context=up_ctx, timeout=30)
        headers = {"Host": self.headers.get("Host", "")}
        if self.headers.get("Content-Type"):
            headers["Content-Type"] = self.headers["Content-Type"]
        conn.request(self.command, self.path, body=body if body else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        out = []
        for k, v in resp.getheaders():
            if k.lower() in ("content-type", "replay-nonce", "location", "link",
                             "retry-after", "cache-control"):
                out.append((k, v))
        if self.command == "GET" and urllib.parse.urlsplit(self.path).path == up.path:
            data = self.edit_directory(cfg, data)
        conn.close()
        entry["status"] = resp.status
        log(entry)
        if edit:
            self.reply_edited(resp.status, data, out, edit)
            return
        self.reply(resp.status, data, out)

    def reply_edited(self, status, data, headers, edit):
        """Pebble's answer, changed as EDIT says (see the module doc)."""
        if "json" in edit or "token" in edit:
            obj = json.loads(data)
            obj.update(edit.get("json", {}))
            for ch in obj.get("challenges", []) if "token" in edit else []:
                ch["token"] = edit["token"]
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
