#!/usr/bin/env python3
"""The cluster benchmark's report (tests/bench/cluster.sh): a Markdown
table from its results directory.

    cluster-report.py RESULTS LINEAGES RESYNC
"""
import glob
import json
import os
import platform
import statistics
import sys


def mmm(xs, fmt="%.2f"):
    if not xs:
        return "-"
    return (fmt + " (" + fmt + "–" + fmt + ")") % (statistics.median(xs), min(xs), max(xs))


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def main():
    res, lineages, resync = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rounds = {}
    orders = {}
    path = os.path.join(res, "rounds")
    for line in open(path) if os.path.exists(path) else []:
        kind, run, secs, n = line.split()
        rounds.setdefault(kind, []).append(float(secs))
        orders.setdefault(kind, []).append(int(n))
    print("# Cluster mode benchmark\n")
    print("Machine: %s, %d CPUs, %s\n" % (platform.node() and "this machine", os.cpu_count(),
                                         platform.platform()))
    print("## R: %d renewals due at once, until every host has every new version\n" % lineages)
    print("| setup | seconds, median (min–max) | orders per round | vs local |")
    print("|---|---|---|---|")
    base = rounds.get("local", [])
    for kind, label in (("local", "1 host, local files"), ("1host", "1 host, etcd"),
                        ("3hosts", "3 hosts, etcd")):
        xs = rounds.get(kind, [])
        ratio = [x / b for x, b in zip(xs, base)] if base else []
        print("| %s | %s | %s | %s |" % (label, mmm(xs), ", ".join(map(str, orders.get(kind, []))),
                                        mmm(ratio) if kind != "local" else "1"))
    print("\n## L: materialisation latency, 3 hosts (etcd's watch event → a host's live/ switched)\n")
    print("| when | pairs (lineage, host) | p50 ms | p99 ms | max ms | not seen |")
    print("|---|---|---|---|---|---|")
    for label, pattern in (("during the round of %d" % lineages, "3hosts*.latency"),
                           ("one renewal at a time", "quiet*.latency")):
        lat, missing = [], 0
        for f in sorted(glob.glob(os.path.join(res, pattern))):
            d = json.load(open(f))
            lat += d["latencies"]
            missing += d["missing"]
        print("| %s | %d | %.0f | %.0f | %.0f | %d |" % (
            label, len(lat), 1000 * pct(lat, 50), 1000 * pct(lat, 99),
            1000 * max(lat) if lat else float("nan"), missing))
    path = os.path.join(res, "resync")
    if resync and os.path.exists(path):
        r = dict(line.split() for line in open(path))
        print("\n## S and M: %d lineages\n" % resync)
        print("| figure | value |")
        print("|---|---|")
        print("| single host, local files: start-up until the socket answers | %.2f s |"
              % float(r.get("local-startup", "nan")))
        print("| `acmectl store migrate --to etcd` of all of them | %.1f s |"
              % float(r.get("migrate", "nan")))
        print("| a new host's resync from etcd, until every live/ and cluster.revision | %.1f s |"
              % float(r.get("resync", "nan")))
        print("| at rest, single host (local): acmed RSS | %d KiB |" % int(r.get("local-rss", 0)))
        print("| at rest, cluster host: acmed RSS | %d KiB |" % int(r.get("etcd-rss", 0)))
        print("| at rest, cluster host: acmed-watch RSS | %d KiB |" % int(r.get("watch-rss", 0)))


main()
