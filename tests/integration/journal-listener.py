#!/usr/bin/env python3
"""A stand-in for systemd-journald's native socket, for the tests.

Usage: journal-listener.py SOCKET LOG

Binds the AF_UNIX datagram socket SOCKET and writes every entry it receives
to LOG as one JSON object a line: the entry's fields (a field sent twice
becomes a list), plus "_PID" from the sender's credentials (SCM_CREDENTIALS,
as journald takes it). The native protocol (systemd's JOURNAL_NATIVE_PROTOCOL
documentation): one datagram per entry, fields as "KEY=VALUE\n", or, for a
value holding a newline, "KEY\n", its length as 64-bit little-endian, the
value, "\n". An entry too large for a datagram comes as an empty datagram
with a sealed memfd attached (SCM_RIGHTS) that holds it.
"""
import json
import os
import socket
import struct
import sys


def parse(data):
    fields = {}
    i = 0
    while i < len(data):
        nl = data.find(b"\n", i)
        if nl < 0:
            raise ValueError("field without a newline at %d" % i)
        line = data[i:nl]
        eq = line.find(b"=")
        if eq >= 0:
            key, value = line[:eq], line[eq + 1:]
            i = nl + 1
        else:
            key = line
            (size,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            value = data[nl + 9:nl + 9 + size]
            if data[nl + 9 + size:nl + 10 + size] != b"\n":
                raise ValueError("binary field %r not ended by a newline" % key)
            i = nl + 10 + size
        key = key.decode()
        value = value.decode(errors="replace")
        if key in fields:
            old = fields[key]
            fields[key] = (old if isinstance(old, list) else [old]) + [value]
        else:
            fields[key] = value
    return fields


def main():
    path, log = sys.argv[1:3]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    # journald's socket takes large entries; so must ours.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
    s.bind(path)
    os.chmod(path, 0o666)
    out = open(log, "a", buffering=1)
    fd_space = socket.CMSG_SPACE(16 * 4)
    while True:
        msg, ancillary, _, _ = s.recvmsg(256 * 1024, socket.CMSG_SPACE(12) + fd_space)
        pid, fds = 0, []
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
            elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += list(struct.unpack("%di" % (len(data) // 4), data))
        for fd in fds:
            # From the start, as journald maps it: the sender's writes
            # left the shared offset at the end.
            msg += os.pread(fd, os.fstat(fd).st_size, 0)
            os.close(fd)
        try:
            entry = parse(msg)
        except (ValueError, struct.error) as e:
            entry = {"_BAD": str(e), "_RAW": msg.decode(errors="replace")}
        entry["_PID"] = pid
        entry["_MEMFD"] = bool(fds)
        out.write(json.dumps(entry, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
