#!/usr/bin/env python3
"""The Markdown tables of tests/bench/compare.sh, from its results directory.

    report.py RESULTS RUNS B_CERTS D_N IDLE_SECONDS STARTUP_N

RESULTS holds one file per scenario, metric and tool (A.seconds.lego), one
value per run in run order. A figure is "median (min-max)"; a ratio is
computed run by run (run i of the peer against run i of acmed) and then
summarised the same way, so that both sides of a ratio come from the same
moment of the machine.
"""
import os
import statistics
import sys


def load(d, scenario, metric, tool):
    path = os.path.join(d, "%s.%s.%s" % (scenario, metric, tool))
    if not os.path.exists(path):
        return []
    return [float(x) for x in open(path).read().split()]


def fmt(v, unit):
    if unit == "s":
        return "%.3f s" % v if v < 10 else "%.1f s" % v
    if unit == "KiB":
        return "%.1f MiB" % (v / 1024)
    if unit == "/s":
        return "%.1f/s" % v
    if unit == "x":
        return "%.1f×" % v if v < 100 else "%.0f×" % v
    return "%g" % v


def summary(vals, unit):
    if not vals:
        return "–"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med, unit)
    return "%s (%s–%s)" % (fmt(med, unit), fmt(min(vals), unit), fmt(max(vals), unit))


def ratios(num, den):
    return [a / b for a, b in zip(num, den) if b > 0]


def main(argv):
    d, runs, b_certs, d_n, idle, startup_n = argv[1:7]
    out = []
    w = out.append

    w("### A. One certificate (%s runs per tool)\n" % runs)
    w("| tool | wall time | peak RSS | time / acmed's | RSS / acmed's |")
    w("|---|---|---|---|---|")
    at, ar = load(d, "A", "seconds", "acmed"), load(d, "A", "rss_kib", "acmed")
    for tool in ("acmed", "certbot", "lego", "uacme"):
        t, r = load(d, "A", "seconds", tool), load(d, "A", "rss_kib", tool)
        w("| %s | %s | %s | %s | %s |" % (
            tool, summary(t, "s"), summary(r, "KiB"),
            "" if tool == "acmed" else summary(ratios(t, at), "x"),
            "" if tool == "acmed" else summary(ratios(r, ar), "x")))
    w("")

    w("### B. %s certificates one after another\n" % b_certs)
    w("| tool | total wall time | per certificate | time / acmed's |")
    w("|---|---|---|---|")
    bt = load(d, "B", "seconds", "acmed")
    for tool in ("acmed", "certbot", "lego", "uacme"):
        t = load(d, "B", "seconds", tool)
        w("| %s | %s | %s | %s |" % (
            tool, summary(t, "s"), summary([x / int(b_certs) for x in t], "s"),
            "" if tool == "acmed" else summary(ratios(t, bt), "x")))
    w("")

    c4, c16 = load(d, "C", "certs_per_s", "acmed-4"), load(d, "C", "certs_per_s", "acmed-16")
    cl, cp = load(d, "C", "certs_per_s", "lego"), load(d, "C", "certs_per_s", "pebble")
    if c4:
        w("### C. 100 certificates at once\n")
        w("| client | certificates per second | / lego's | / Pebble's ceiling |")
        w("|---|---|---|---|")
        w("| acmed, 4 parallel jobs (default) | %s | %s | %s |" % (
            summary(c4, "/s"), summary(ratios(c4, cl), "x"), summary(ratios(c4, cp), "x")))
        w("| acmed, 16 parallel jobs | %s | %s | %s |" % (
            summary(c16, "/s"), summary(ratios(c16, cl), "x"), summary(ratios(c16, cp), "x")))
        w("| lego, 10 processes | %s | | %s |" % (summary(cl, "/s"),
                                                  summary(ratios(cl, cp), "x")))
        w("| Pebble's ceiling (acmed at 32 and 64 jobs, the better) | %s | | |" %
          summary(cp, "/s"))
        w("")

    w("### D. Listing %s lineages\n" % d_n)
    w("| command | wall time | peak RSS | time / acmed's |")
    w("|---|---|---|---|")
    dt = load(d, "D", "seconds", "acmed")
    ct = load(d, "D", "seconds", "certbot")
    w("| `acmectl certificates` | %s | %s | |" % (summary(dt, "s"),
                                                   summary(load(d, "D", "rss_kib", "acmed"), "KiB")))
    w("| `certbot certificates` | %s | %s | %s |" % (
        summary(ct, "s"), summary(load(d, "D", "rss_kib", "certbot"), "KiB"),
        summary(ratios(ct, dt), "x")))
    wt = load(d, "D", "seconds", "acmed_wrapped")
    if wt:
        w("| `acmectl certificates`, the pipe made by a bash script of its own "
          "(how earlier runs measured) | %s | | certbot's / this: %s |" % (
              summary(wt, "s"), summary(ratios(ct, wt), "x")))
    w("")

    er = load(d, "E", "rss_kib", "acmed")
    if er:
        cr = load(d, "E", "rss_kib", "certbot")
        w("### E. At rest with %s lineages\n" % d_n)
        w("| | RSS | wake-ups in %s s | time per run |" % idle)
        w("|---|---|---|---|")
        w("| acmed daemon | %s | %s | |" % (summary(er, "KiB"),
                                            summary(load(d, "E", "wakeups", "acmed"), "")))
        nw = load(d, "E", "next_wakeup_days", "acmed")
        w("| one `certbot renew` run (nothing due), peak | %s | | %s |" % (
            summary(cr, "KiB"), summary(load(d, "E", "seconds", "certbot"), "s")))
        ea = load(d, "E", "anon_kib", "acmed")
        if ea:
            w("| acmed daemon, private (anonymous) memory only | %s | | |" % summary(ea, "KiB"))
        w("| certbot's peak / acmed's RSS | %s | | |" % summary([c / er[0] for c in cr], "x"))
        if ea:
            w("| certbot's peak / acmed's private memory | %s | | |" %
              summary([c / ea[0] for c in cr], "x"))
        w("")
        if nw:
            w("The daemon's next planned wake-up was %.1f days away.\n" % nw[0])

    ft = load(d, "F", "seconds", "acmed")
    if ft:
        w("### F. Start-up with %s lineages\n" % startup_n)
        w("| | until the socket answers | RSS then |")
        w("|---|---|---|")
        w("| acmed | %s | %s |" % (summary(ft, "s"), summary(load(d, "F", "rss_kib", "acmed"),
                                                           "KiB")))
        w("")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv)
