#!/usr/bin/env python3
"""Materialisation latency in cluster mode: from the moment etcd's watch
reports a lineage's new current version to the moment each host's live/
link switches to it.

    cluster-latency.py OUT PREFIX STATE_DIR... -- ETCDCTL_COMMAND...

Watches PREFIX/lineages/ through `ETCDCTL_COMMAND watch --prefix
--write-out=json` (one stream, each event timestamped on arrival) and every STATE_DIR/live/*/ directory with
inotify (a rename over cert.pem is the switch). On SIGTERM it writes OUT:
JSON {"latencies": [seconds...], "pairs": N, "missing": N}, one latency
per (lineage, version, host), negative when the host switched before the
event arrived (the host that published switches its own live/ right after
its transaction).
"""
import base64
import ctypes
import json
import os
import select
import signal
import struct
import subprocess
import sys
import time

IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
libc = ctypes.CDLL("libc.so.6", use_errno=True)


def main():
    sep = sys.argv.index("--")
    out, prefix, states = sys.argv[1], sys.argv[2], sys.argv[3:sep]
    etcdctl = sys.argv[sep + 1:]
    fd = libc.inotify_init1(os.O_NONBLOCK)
    if fd < 0:
        sys.exit("inotify_init1 failed")
    wd = {}
    for state in states:
        live = os.path.join(state, "live")
        for name in os.listdir(live):
            d = os.path.join(live, name)
            w = libc.inotify_add_watch(fd, d.encode(), IN_MOVED_TO | IN_CREATE)
            if w >= 0:
                wd[w] = (state, name, d)
    watch = subprocess.Popen(etcdctl + ["watch", "--prefix", prefix + "lineages/",
                                        "--write-out=json"],
                             stdout=subprocess.PIPE, text=True, bufsize=1)
    published = {}  # (name, version) -> time
    switched = {}   # (name, version, state) -> time
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    while not stop:
        try:
            r, _, _ = select.select([fd, watch.stdout], [], [], 0.2)
        except InterruptedError:
            continue
        now = time.monotonic()
        if fd in r:
            data = os.read(fd, 65536)
            i = 0
            while i < len(data):
                w, mask, cookie, ln = struct.unpack_from("iIII", data, i)
                fname = data[i + 16:i + 16 + ln].rstrip(b"\0").decode()
                i += 16 + ln
                if w in wd and fname == "cert.pem":
                    state, name, d = wd[w]
                    try:
                        target = os.readlink(os.path.join(d, "cert.pem"))
                        v = int(target.rsplit("cert", 1)[1][:-4])
                    except (OSError, ValueError, IndexError):
                        continue
                    switched.setdefault((name, v, state), now)
        if watch.stdout in r:
            line = watch.stdout.readline()
            if not line:
                break
            try:
                events = json.loads(line).get("Events") or []
            except ValueError:
                continue
            for ev in events:
                kv = ev.get("kv") or {}
                key = base64.b64decode(kv.get("key", "")).decode(errors="replace")
                if ev.get("type", "PUT") != "PUT" or not key.endswith("/current"):
                    continue
                name = key[len(prefix + "lineages/"):-len("/current")]
                try:
                    v = int(base64.b64decode(kv.get("value", "")))
                except ValueError:
                    continue
                published.setdefault((name, v), now)
    watch.terminate()
    lat, missing = [], 0
    for (name, v), t in published.items():
        for state in states:
            s = switched.get((name, v, state))
            if s is None:
                missing += 1
            else:
                lat.append(s - t)
    with open(out, "w") as f:
        json.dump({"latencies": sorted(lat), "pairs": len(lat), "missing": missing}, f)


main()
