#!/usr/bin/python3
"""Draw acmed-dashboard.json's panels from a Prometheus server's data.

Usage: render.py DASHBOARD PROMETHEUS_URL START END OUT.png [SUBTITLE]

Every panel's queries are the dashboard's own, sent to Prometheus's HTTP
API (query_range for the time series, query at END for the stats), with
$instance matching every host and $__rate_interval set to 30s. Needs
Debian's python3-matplotlib.
"""
import json
import sys
import urllib.parse
import urllib.request

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RATE_INTERVAL = "30s"
BG, PANEL, TEXT, GRID = "#111217", "#181b1f", "#ccccdc", "#2c3235"
COLOURS = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9",
           "#fade2a", "#37872d", "#96d98d"]


def expr_of(target):
    return (target["expr"].replace('instance=~"$instance"', 'instance=~".*"')
            .replace("$__rate_interval", RATE_INTERVAL))


def api(base, path, params):
    url = base.rstrip("/") + path + "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=30) as r:
        reply = json.load(r)
    if reply.get("status") != "success":
        sys.exit(f"render.py: {path} {params.get('query')}: {reply}")
    return reply["data"]["result"]


def legend(fmt, metric):
    out = fmt
    for k, v in metric.items():
        out = out.replace("{{" + k + "}}", v)
    return out.strip() or "value"


def scale(unit, values):
    """For seconds: the divisor and name that suit their size (minutes,
    hours or days); otherwise 1 and no name."""
    if unit != "s":
        return 1, ""
    top = max((abs(v) for v in values), default=0)
    for div, name in ((86400, "days"), (3600, "hours"), (60, "minutes")):
        if top >= 2 * div:
            return div, name
    return 1, "seconds"


def stat_colour(panel, value):
    """The colour of the highest threshold step at or below VALUE."""
    colour = "#73bf69"
    steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
    named = {"green": "#73bf69", "yellow": "#fade2a", "orange": "#ff9830", "red": "#f2495c"}
    for s in steps:
        if s["value"] is None or value >= s["value"]:
            colour = named.get(s["color"], s["color"])
    return colour


def stat_text(panel, base, end):
    unit = panel["fieldConfig"]["defaults"].get("unit")
    res = api(base, "/api/v1/query", {"query": expr_of(panel["targets"][0]), "time": end})
    if not res:
        return "no data", TEXT
    v = float(res[0]["value"][1])
    if unit == "s":
        div, name = scale("s", [v])
        return f"{v / div:.1f} {name}", stat_colour(panel, v)
    if unit == "dateTimeFromNow":
        return f"{(end - v / 1000) / 60:.0f} minutes ago", stat_colour(panel, v)
    return f"{v:g}", stat_colour(panel, v)


def draw_series(ax, panel, base, start, end, step):
    unit = panel["fieldConfig"]["defaults"].get("unit")
    lines = []
    for t in panel["targets"]:
        for s in api(base, "/api/v1/query_range",
                     {"query": expr_of(t), "start": start, "end": end, "step": step}):
            xs, ys, last = [], [], None
            for x, y in s["values"]:
                # A gap (no sample, or filtered out) stays a gap.
                if last is not None and float(x) - last > 1.5 * step:
                    xs.append((last + step - start) / 60)
                    ys.append(float("nan"))
                last = float(x)
                xs.append((last - start) / 60)
                ys.append(float(y))
            lines.append((legend(t.get("legendFormat", ""), s["metric"]), xs, ys))
    div, name = scale(unit, [y for _, _, ys in lines for y in ys])
    for i, (label, xs, ys) in enumerate(sorted(lines)):
        ax.plot(xs, [y / div for y in ys], label=label, color=COLOURS[i % len(COLOURS)], lw=1.6)
    ax.set_title(panel["title"], color=TEXT, fontsize=10, loc="left")
    ax.set_facecolor(PANEL)
    ax.tick_params(colors=TEXT, labelsize=8)
    ax.grid(color=GRID, lw=0.6)
    for sp in ax.spines.values():
        sp.set_color(GRID)
    ax.set_xlabel("minutes into the run", color=TEXT, fontsize=8)
    if name:
        ax.set_ylabel(name, color=TEXT, fontsize=8)
    if lines:
        ax.legend(fontsize=7, facecolor=PANEL, edgecolor=GRID, labelcolor=TEXT, loc="best")
    else:
        ax.text(0.5, 0.5, "no data", color=TEXT, ha="center", transform=ax.transAxes)


def main():
    dash_file, base, start, end, out = sys.argv[1:6]
    subtitle = sys.argv[6] if len(sys.argv) > 6 else ""
    start, end = float(start), float(end)
    step = max(2, int((end - start) / 300))
    dash = json.load(open(dash_file))
    stats = [p for p in dash["panels"] if p["type"] == "stat"]
    series = [p for p in dash["panels"] if p["type"] == "timeseries"]
    rows = (len(series) + 1) // 2
    fig = plt.figure(figsize=(16, 1.2 + 3.2 * rows), facecolor=BG)
    grid = fig.add_gridspec(rows + 1, len(stats) * 2, height_ratios=[0.45] + [1] * rows,
                            hspace=0.55, wspace=0.6)
    for i, p in enumerate(stats):
        ax = fig.add_subplot(grid[0, 2 * i:2 * i + 2])
        ax.set_facecolor(PANEL)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.04, 0.8, p["title"], color=TEXT, fontsize=10, transform=ax.transAxes)
        text, colour = stat_text(p, base, end)
        ax.text(0.5, 0.3, text, color=colour, fontsize=16,
                ha="center", transform=ax.transAxes, weight="bold")
    half = len(stats)
    for i, p in enumerate(series):
        r, c = 1 + i // 2, (i % 2) * half
        draw_series(fig.add_subplot(grid[r, c:c + half]), p, base, start, end, step)
    fig.suptitle(f"{dash['title']}: {subtitle}", color=TEXT, fontsize=13, x=0.01, y=0.995,
                 ha="left")
    fig.subplots_adjust(top=0.96)
    fig.savefig(out, dpi=80, facecolor=BG, bbox_inches="tight")


if __name__ == "__main__":
    main()
